#include "shared/aws/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shared/encoding/base64.h"

namespace tributary::aws {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

// The AWS SigV4 test suite's credentials and clock (testdata/aws4_testsuite).
constexpr std::string_view suite_key_id = "AKIDEXAMPLE";
constexpr std::string_view suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const Clock::time_point suite_time = sys_days{2015y / 8 / 30} + 12h + 36min;
const Credentials suite_creds{std::string(suite_key_id), std::string(suite_secret), ""};

// The botocore fixtures' credentials and clock (testdata/botocore/generate.py).
constexpr std::string_view boto_key_id = "AKIDTRIBUTARY";
constexpr std::string_view boto_secret = "tributary/secret+KEY0123456789";
const Clock::time_point boto_time = sys_days{2026y / 5 / 9} + 7h + 35min + 25s;

std::optional<std::string> lookup_key(std::string_view id) {
    if (id == suite_key_id) return std::string(suite_secret);
    if (id == boto_key_id) return std::string(boto_secret);
    return std::nullopt;
}
const SecretLookup lookup = lookup_key;

std::string testdata(const std::string& rel) { return std::string(TRIB_AWS_TESTDATA) + "/" + rel; }

std::string read(const std::string& rel) {
    std::ifstream in(testdata(rel), std::ios::binary);
    EXPECT_TRUE(in) << "missing test data " << rel;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Request bodies outlive the HttpRequest views that point into them.
std::string_view keep(std::string s) {
    static std::deque<std::string> arena;
    return arena.emplace_back(std::move(s));
}

// Parses the suite's request format: "METHOD target HTTP/1.1", "Name:value" lines, a blank line,
// the body. The target may contain spaces (get-space), so it ends at the last " HTTP/".
HttpRequest parse_request(std::string_view text) {
    HttpRequest req;
    size_t blank = text.find("\n\n");
    std::string_view head = text.substr(0, blank);
    req.body =
        blank == std::string_view::npos ? keep("") : keep(std::string(text.substr(blank + 2)));
    size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    size_t sp = line.find(' ');
    req.method = line.substr(0, sp);
    req.target = line.substr(sp + 1, line.rfind(" HTTP/") - sp - 1);
    while (eol != std::string_view::npos) {
        head.remove_prefix(eol + 1);
        eol = head.find('\n');
        line = head.substr(0, eol);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
            req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
        }
    }
    return req;
}

std::string header(const HttpRequest& req, std::string_view name) {
    for (const auto& [k, v] : req.headers) {
        if (k == name) return v;
    }
    return {};
}

void drop_header(HttpRequest& req, std::string_view name) {
    std::erase_if(req.headers, [&](const auto& h) { return h.first == name; });
}

// A Kinesis PutRecord as the agent's HTTPS sink sends it, signed by sign().
HttpRequest signed_put_record(const Credentials& creds = suite_creds, bool add_sha256 = false) {
    HttpRequest req{
        "POST", "/", {}, keep(R"({"StreamName":"s","Data":"eA==","PartitionKey":"k"})")};
    req.headers = {{"Host", "127.0.0.1:4567"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Target", "Kinesis_20131202.PutRecord"}};
    sign(req, creds, "us-east-1", "kinesis", suite_time, add_sha256);
    return req;
}

void expect_error(const Result<VerifiedIdentity>& r, errc code, std::string_view message) {
    ASSERT_FALSE(r) << "verified unexpectedly";
    EXPECT_EQ(r.error().code, make_error_code(code));
    EXPECT_EQ(r.error().message, message);
}

// ---- The AWS SigV4 test suite ----------------------------------------------------------------

const char* const suite_vectors[] = {
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-query-order-encoded",
    "get-query-plus",
    "get-header-key-duplicate",
    "get-header-value-order",
    "get-header-value-trim",
    "get-unreserved",
    "get-utf8",
    "normalize-path-get-relative",
    "normalize-path-get-relative-relative",
    "normalize-path-get-slash",
    "normalize-path-get-slash-dot-slash",
    "normalize-path-get-slash-pointless-dot",
    "normalize-path-get-slashes",
    "normalize-path-get-space",
    "post-vanilla",
    "post-vanilla-query",
    "post-vanilla-empty-query-value",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-header-before",
    "post-sts-header-after",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};

class AwsTestSuite : public testing::TestWithParam<const char*> {
protected:
    std::string file(std::string_view ext) const {
        std::string name = GetParam();
        return "aws4_testsuite/" + name + "/" + name + "." + std::string(ext);
    }
    bool has(std::string_view ext) const { return std::filesystem::exists(testdata(file(ext))); }
};

TEST_P(AwsTestSuite, ComputesPublishedCanonicalRequestStringToSignAndAuthorization) {
    HttpRequest req = parse_request(read(file("req")));
    std::string authz = read(file("authz"));
    size_t from = authz.find("SignedHeaders=") + 14;
    std::string signed_headers = authz.substr(from, authz.find(',', from) - from);

    std::string creq = canonical_request(req, signed_headers, payload_hash(req.body), "service");
    if (has("creq")) {
        EXPECT_EQ(creq, read(file("creq")));
    }
    std::string scope = credential_scope("20150830", "us-east-1", "service");
    std::string sts = string_to_sign("20150830T123600Z", scope, creq);
    if (has("sts")) {
        EXPECT_EQ(sts, read(file("sts")));
    }
    std::string sig = signature(signing_key(suite_secret, "20150830", "us-east-1", "service"), sts);
    EXPECT_EQ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                  ", SignedHeaders=" + signed_headers + ", Signature=" + sig,
              authz);
}

TEST_P(AwsTestSuite, VerifiesPublishedAuthorization) {
    HttpRequest req = parse_request(read(file("req")));
    req.headers.emplace_back("Authorization", read(file("authz")));
    auto id = verify(req, lookup, suite_time);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(id->region, "us-east-1");
    EXPECT_EQ(id->service, "service");
}

INSTANTIATE_TEST_SUITE_P(Vectors, AwsTestSuite, testing::ValuesIn(suite_vectors),
                         [](const testing::TestParamInfo<const char*>& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

const char* const presigned_vectors[] = {
    "get-vanilla-query-order-key-case",
    "get-header-value-trim",
    "get-utf8",
    "get-vanilla-utf8-query",
};

class AwsPresignedSuite : public testing::TestWithParam<const char*> {};

TEST_P(AwsPresignedSuite, VerifiesPublishedQueryStringSignature) {
    HttpRequest req = parse_request(read("presigned/" + std::string(GetParam()) + ".sreq"));
    auto id = verify(req, lookup, suite_time + 30min);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->service, "service");
}

INSTANTIATE_TEST_SUITE_P(Vectors, AwsPresignedSuite, testing::ValuesIn(presigned_vectors),
                         [](const testing::TestParamInfo<const char*>& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(Sign, ReproducesSuiteAuthorizationForGetVanilla) {
    HttpRequest req = parse_request(read("aws4_testsuite/get-vanilla/get-vanilla.req"));
    sign(req, suite_creds, "us-east-1", "service", suite_time);
    EXPECT_EQ(header(req, "X-Amz-Date"), "20150830T123600Z");
    EXPECT_EQ(header(req, "Authorization"), read("aws4_testsuite/get-vanilla/get-vanilla.authz"));
}

TEST(Sign, SignsContentTypeLikeSuitePostForm) {
    HttpRequest req = parse_request(
        read("aws4_testsuite/post-x-www-form-urlencoded/post-x-www-form-urlencoded.req"));
    sign(req, suite_creds, "us-east-1", "service", suite_time);
    EXPECT_EQ(header(req, "Authorization"),
              read("aws4_testsuite/post-x-www-form-urlencoded/post-x-www-form-urlencoded.authz"));
}

TEST(Sign, AddsAndSignsSessionTokenLikeSuiteStsHeaderBefore) {
    HttpRequest req = parse_request(read("aws4_testsuite/post-vanilla/post-vanilla.req"));
    std::string token = header(
        parse_request(read("aws4_testsuite/post-sts-header-before/post-sts-header-before.req")),
        "X-Amz-Security-Token");
    sign(req, {std::string(suite_key_id), std::string(suite_secret), token}, "us-east-1", "service",
         suite_time);
    EXPECT_EQ(header(req, "X-Amz-Security-Token"), token);
    EXPECT_EQ(header(req, "Authorization"),
              read("aws4_testsuite/post-sts-header-before/post-sts-header-before.authz"));
}

TEST(SigningKey, MatchesAwsDocumentationExample) {
    EXPECT_EQ(encoding::hex_encode(signing_key(suite_secret, "20120215", "us-east-1", "iam")),
              "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// ---- Real botocore-signed requests -------------------------------------------------------------

TEST(Botocore, VerifiesKinesisPutRecordSignedByBotocore) {
    HttpRequest req = parse_request(read("botocore/put_record.sreq"));
    auto id = verify(req, lookup, boto_time + 2min);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->access_key_id, "AKIDTRIBUTARY");
    EXPECT_EQ(id->region, "us-east-1");
    EXPECT_EQ(id->service, "kinesis");
}

TEST(Botocore, SignProducesBotocoreAuthorizationForPutRecord) {
    HttpRequest req = parse_request(read("botocore/put_record.sreq"));
    std::string expected = header(req, "Authorization");
    drop_header(req, "Authorization");
    drop_header(req, "X-Amz-Date");
    sign(req, {std::string(boto_key_id), std::string(boto_secret), ""}, "us-east-1", "kinesis",
         boto_time);
    EXPECT_EQ(header(req, "Authorization"), expected);
}

TEST(Botocore, VerifiesSessionTokenRequestSignedByBotocore) {
    HttpRequest req = parse_request(read("botocore/create_stream_session_token.sreq"));
    auto id = verify(req, lookup, boto_time);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->region, "eu-west-1");
}

TEST(Botocore, VerifiesPresignedRequestWithEncodedPathSignedByBotocore) {
    HttpRequest req = parse_request(read("botocore/list_streams_presigned.sreq"));
    auto id = verify(req, lookup, boto_time + 4min);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->service, "kinesis");
}

TEST(Botocore, DoubleEncodesPathAndAcceptsDateHeader) {
    const Clock::time_point t = sys_days{2011y / 9 / 9} + 23h + 36min;
    for (std::string name : {"get_space_2011", "get_utf8_2011"}) {
        HttpRequest req = parse_request(read("botocore/" + name + ".sreq"));
        EXPECT_EQ(canonical_request(req, "date;host", payload_hash(""), "host"),
                  read("botocore/" + name + ".creq"));
        auto id = verify(req, lookup, t);
        EXPECT_TRUE(id) << name << ": " << id.error().message;
    }
}

// ---- verify(): accepted requests ---------------------------------------------------------------

TEST(Verify, AcceptsRequestSignedBySign) {
    HttpRequest req = signed_put_record();
    EXPECT_EQ(header(req, "X-Amz-Date"), "20150830T123600Z");
    EXPECT_TRUE(header(req, "Authorization")
                    .find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,") !=
                std::string::npos);
    auto id = verify(req, lookup, suite_time);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->service, "kinesis");
}

TEST(Verify, AcceptsSessionTokenAndContentSha256Headers) {
    HttpRequest req = signed_put_record({"AKIDEXAMPLE", std::string(suite_secret), "tok+/="}, true);
    EXPECT_EQ(header(req, "X-Amz-Security-Token"), "tok+/=");
    EXPECT_EQ(header(req, "X-Amz-Content-Sha256"), payload_hash(req.body));
    auto id = verify(req, lookup, suite_time);
    EXPECT_TRUE(id) << id.error().message;
}

TEST(Verify, AcceptsUnsignedPayloadWhateverTheBody) {
    HttpRequest req{
        "POST", "/", {{"Host", "h"}, {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}}, keep("one")};
    sign(req, suite_creds, "us-east-1", "kinesis", suite_time);
    req.body = keep("another");
    auto id = verify(req, lookup, suite_time);
    EXPECT_TRUE(id) << id.error().message;
}

TEST(Verify, AcceptsClockSkewOfFifteenMinutesEitherWay) {
    HttpRequest req = signed_put_record();
    EXPECT_TRUE(verify(req, lookup, suite_time + 15min));
    EXPECT_TRUE(verify(req, lookup, suite_time - 15min));
}

// ---- verify(): rejected requests ---------------------------------------------------------------

TEST(Verify, DatesFarFromTheClockRangeAreExpiredNotOverflowed) {  // found by fuzz_sigv4
    // Years outside 1678-2261 do not fit the clock's nanoseconds; they must still compare.
    HttpRequest req = signed_put_record();
    drop_header(req, "X-Amz-Date");
    req.headers.emplace_back("X-Amz-Date", "00150830T123600Z");
    auto r = verify(req, lookup, suite_time);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_signature);
    EXPECT_TRUE(r.error().message.starts_with("Signature expired: 00150830T123600Z"))
        << r.error().message;
    drop_header(req, "X-Amz-Date");
    req.headers.emplace_back("X-Amz-Date", "99990830T123600Z");
    r = verify(req, lookup, suite_time);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().message.starts_with("Signature not yet current: 99990830T123600Z"))
        << r.error().message;
}

constexpr std::string_view mismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

TEST(Verify, RejectsTamperedBody) {
    HttpRequest req = signed_put_record();
    req.body = keep(R"({"StreamName":"s","Data":"eQ==","PartitionKey":"k"})");
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature, mismatch);
}

TEST(Verify, RejectsTamperedSignedHeader) {
    HttpRequest req = signed_put_record();
    drop_header(req, "X-Amz-Target");
    req.headers.emplace_back("X-Amz-Target", "Kinesis_20131202.DeleteStream");
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature, mismatch);
}

TEST(Verify, RejectsWrongSecret) {
    HttpRequest req = signed_put_record({"AKIDEXAMPLE", "not-the-secret", ""});
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature, mismatch);
}

TEST(Verify, RejectsUnknownAccessKeyAsUnrecognizedClient) {
    HttpRequest req = signed_put_record({"AKIDUNKNOWN", std::string(suite_secret), ""});
    expect_error(verify(req, lookup, suite_time), errc::unrecognized_client,
                 "The security token included in the request is invalid.");
}

TEST(Verify, TreatsEmptyLookupAsKnowingNoKey) {
    HttpRequest req = signed_put_record();
    expect_error(verify(req, SecretLookup{}, suite_time), errc::unrecognized_client,
                 "The security token included in the request is invalid.");
}

TEST(Verify, RejectsRequestWithoutAuthenticationAsMissingToken) {
    HttpRequest req = signed_put_record();
    drop_header(req, "Authorization");
    expect_error(verify(req, lookup, suite_time), errc::missing_authentication_token,
                 "Missing Authentication Token");
}

TEST(Verify, ListsEveryMissingAuthorizationElement) {
    HttpRequest req{"POST", "/", {{"Host", "h"}, {"Authorization", "AWS4-HMAC-SHA256 Foo=Bar"}}};
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "Authorization header requires 'Credential' parameter. Authorization header "
                 "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                 "parameter. Authorization header requires existence of either a 'X-Amz-Date' or "
                 "a 'Date' header. Authorization=AWS4-HMAC-SHA256 Foo=Bar");
}

TEST(Verify, ListsOnlyTheMissingAuthorizationElements) {
    const std::string authz =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=host;x-amz-date";
    HttpRequest req{"POST", "/", {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}}};
    req.headers.emplace_back("Authorization", authz);
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "Authorization header requires 'Signature' parameter. Authorization=" + authz);
}

TEST(Verify, RejectsUnsupportedAlgorithm) {
    HttpRequest req{"POST", "/", {{"Host", "h"}, {"Authorization", "AWS4-HMAC-SHA512 x=y"}}};
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.");
}

TEST(Verify, RejectsAuthorizationElementWithoutEqualSign) {
    HttpRequest req{"POST", "/", {{"Authorization", "AWS4-HMAC-SHA256 FooBar, BazBurp"}}};
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization "
                 "header: 'AWS4-HMAC-SHA256 FooBar, BazBurp'");
}

TEST(Verify, RejectsBothAuthorizationHeaderAndQueryAlgorithm) {
    HttpRequest req = signed_put_record();
    req.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256";
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature,
                 "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                 "HTTP header.");
}

TEST(Verify, RejectsRequestOlderThanFifteenMinutes) {
    HttpRequest req = signed_put_record();
    expect_error(verify(req, lookup, suite_time + 20min), errc::invalid_signature,
                 "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z "
                 "(20150830T125600Z - 15 min.)");
}

TEST(Verify, RejectsRequestMoreThanFifteenMinutesAhead) {
    HttpRequest req = signed_put_record();
    expect_error(verify(req, lookup, suite_time - 16min), errc::invalid_signature,
                 "Signature not yet current: 20150830T123600Z is still later than "
                 "20150830T123500Z (20150830T122000Z + 15 min.)");
}

TEST(Verify, RejectsDateNotInIsoBasicFormat) {
    HttpRequest req = signed_put_record();
    drop_header(req, "X-Amz-Date");
    req.headers.emplace_back("X-Amz-Date", "2015-08-30T12:36:00Z");
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See "
                 "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST(Verify, RejectsCredentialWithoutFiveElements) {
    HttpRequest req{"POST", "/", {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}}};
    req.headers.emplace_back("Authorization",
                             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, "
                             "SignedHeaders=host;x-amz-date, Signature=00");
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "Credential must have exactly 5 slash-delimited elements, e.g. "
                 "keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830'");
}

TEST(Verify, RejectsCredentialScopeNotMatchingRequestDate) {
    HttpRequest req{"POST", "/", {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}}};
    req.headers.emplace_back("Authorization",
                             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/kinesis/"
                             "aws5_request, SignedHeaders=host;x-amz-date, Signature=00");
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature,
                 "Credential should be scoped with a valid terminator: 'aws4_request', not "
                 "'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                 "version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.");
}

TEST(Verify, RequiresHostToBeSigned) {
    HttpRequest req{"POST", "/", {{"X-Amz-Date", "20150830T123600Z"}}};
    sign(req, suite_creds, "us-east-1", "kinesis", suite_time);
    req.headers.emplace_back("Host", "h");
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature,
                 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST(Verify, RejectsContentSha256NotMatchingBody) {
    HttpRequest req = signed_put_record(suite_creds, true);
    req.body = keep("{}");
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature,
                 "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

// ---- Presigned (query-string) requests ---------------------------------------------------------

HttpRequest presigned_list_streams(std::chrono::seconds expires) {
    HttpRequest req{"GET", "/?Limit=10", {{"Host", "127.0.0.1:4567"}}};
    presign(req, suite_creds, "us-east-1", "kinesis", suite_time, expires);
    return req;
}

TEST(Presign, RoundTripsThroughVerify) {
    HttpRequest req = presigned_list_streams(300s);
    EXPECT_TRUE(req.target.starts_with("/?Limit=10&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    auto id = verify(req, lookup, suite_time + 1min);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->service, "kinesis");
}

TEST(Presign, QueryEndingInQuestionMarkStillVerifies) {  // found by fuzz_sigv4
    HttpRequest req{"GET", "/?a=b?", {{"Host", "127.0.0.1:4567"}}};
    presign(req, suite_creds, "us-east-1", "kinesis", suite_time, 300s);
    EXPECT_TRUE(req.target.starts_with("/?a=b?&X-Amz-Algorithm=")) << req.target;
    auto id = verify(req, lookup, suite_time);
    EXPECT_TRUE(id) << id.error().message;
}

TEST(Presign, RejectsRequestPastItsExpiry) {
    HttpRequest req = presigned_list_streams(60s);
    expect_error(verify(req, lookup, suite_time + 2min), errc::invalid_signature,
                 "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
                 "(20150830T123800Z - 1 min.)");
}

TEST(Presign, RejectsTamperedQueryParameter) {
    HttpRequest req = presigned_list_streams(300s);
    req.target.replace(req.target.find("Limit=10"), 8, "Limit=99");
    expect_error(verify(req, lookup, suite_time), errc::invalid_signature, mismatch);
}

TEST(Presign, ListsMissingQueryParameters) {
    HttpRequest req{"GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z", {}};
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
                 "parameters must include 'X-Amz-Signature'. AWS query-string parameters must "
                 "include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
}

TEST(Presign, RejectsExpiryLongerThanAWeek) {
    HttpRequest req = presigned_list_streams(std::chrono::seconds{604801});
    expect_error(verify(req, lookup, suite_time), errc::incomplete_signature,
                 "X-Amz-Expires must be less than a week (in seconds); that is, the given "
                 "X-Amz-Expires must be less than 604800 seconds");
}

// ---- Scope, errors, building blocks ------------------------------------------------------------

TEST(CheckScope, AcceptsMatchingRegionAndService) {
    EXPECT_TRUE(check_scope({"AKIDEXAMPLE", "us-east-1", "kinesis"}, "us-east-1", "kinesis"));
}

TEST(CheckScope, RejectsOtherRegionAndServiceWithAwsText) {
    auto r = check_scope({"AKIDEXAMPLE", "eu-west-1", "firehose"}, "us-east-1", "kinesis");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::invalid_signature));
    EXPECT_EQ(r.error().message,
              "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should "
              "be scoped to correct service: 'kinesis'.");
}

TEST(Errc, MapsEachCodeToAwsTypeAndStatus) {
    EXPECT_STREQ(aws_auth_category().name(), "aws_auth");
    EXPECT_EQ(aws_error_type(errc::missing_authentication_token),
              "MissingAuthenticationTokenException");
    EXPECT_EQ(aws_error_type(errc::incomplete_signature), "IncompleteSignatureException");
    EXPECT_EQ(aws_error_type(errc::invalid_signature), "InvalidSignatureException");
    EXPECT_EQ(aws_error_type(errc::unrecognized_client), "UnrecognizedClientException");
    for (errc e : {errc::missing_authentication_token, errc::incomplete_signature,
                   errc::invalid_signature, errc::unrecognized_client}) {
        EXPECT_EQ(http_status(e), 400);
        EXPECT_EQ(make_error_code(e).message(), default_message(e));
    }
}

TEST(CanonicalUri, EncodesWirePathAgainExceptForS3) {
    EXPECT_EQ(canonical_uri("/a%20b/c d/./e/../f", "kinesis"), "/a%2520b/c%20d/f");
    EXPECT_EQ(canonical_uri("", "kinesis"), "/");
    EXPECT_EQ(canonical_uri("/a%20b//c d/", "s3"), "/a%20b//c%20d/");
    EXPECT_EQ(canonical_uri("/bucket/a%2Fb", "s3"), "/bucket/a%2Fb");
}

TEST(CanonicalQueryString, DecodesThenReencodesAndSortsByNameThenValue) {
    EXPECT_EQ(canonical_query_string("b=%7e&a=2&a=1&c&%41=x%2fy"), "A=x%2Fy&a=1&a=2&b=~&c=");
}

TEST(AmzDate, FormatsAndParsesIsoBasicUtc) {
    EXPECT_EQ(format_amz_date(suite_time + 999ms), "20150830T123600Z");
    EXPECT_EQ(parse_amz_date("20150830T123600Z"), suite_time);
    EXPECT_FALSE(parse_amz_date("20150230T123600Z"));
    EXPECT_FALSE(parse_amz_date("20150830T246000Z"));
    EXPECT_FALSE(parse_amz_date("2015-08-30T12:36:00Z"));
}

}  // namespace
}  // namespace tributary::aws
