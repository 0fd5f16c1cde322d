#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/sinks/https/wire.h"
#include "shared/encoding/base64.h"

namespace tributary::agent::sinks::https {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string producer = "0123456789abcdef0123456789abcdef";
const aws::Clock::time_point now = std::chrono::sys_days{std::chrono::year{2026} / 5 / 9} + 7h;

Endpoint local() { return *parse_endpoint("http://127.0.0.1:4567", Api::kinesis, "us-east-1"); }

Options kinesis_options() {
    Options o;
    o.endpoint = "http://127.0.0.1:4567";
    return o;
}

Options signed_options() {
    Options o = kinesis_options();
    o.credentials = {"AKIDTEST", "secret/KEY+1", ""};
    return o;
}

BatchTag tag(uint64_t seq = 7) { return BatchTag{producer, "kinesis:app:/var/log/*.log", seq}; }

std::string header(const Request& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return "<absent>";
}

Request build(const Options& o, std::string_view stream, std::span<const OutRecord> recs,
              const BatchTag& t = tag()) {
    auto ep = parse_endpoint(o.endpoint, o.api, o.region);
    EXPECT_TRUE(ep) << ep.error().message;
    auto r = build_request(*ep, o, stream, recs, t, now);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Request{};
}

Error build_error(const Options& o, std::string_view stream, std::span<const OutRecord> recs,
                  const BatchTag& t = tag()) {
    auto r = build_request(local(), o, stream, recs, t, now);
    EXPECT_FALSE(r);
    return r ? Error{} : r.error();
}

aws::HttpRequest as_http(const Request& r) {
    return aws::HttpRequest{"POST", r.target, r.headers, r.body};
}

// ---- body -----------------------------------------------------------------------------------

TEST(HttpsRequest, KinesisBodyHasStreamNameAndRecordsWithKeys) {
    OutRecord recs[] = {{"k1", "hello"}, {"k2", "world"}};
    json body = json::parse(build(kinesis_options(), "logs", recs).body);
    EXPECT_EQ(body["StreamName"], "logs");
    ASSERT_EQ(body["Records"].size(), 2u);
    EXPECT_EQ(body["Records"][0]["PartitionKey"], "k1");
    EXPECT_EQ(body["Records"][0]["Data"], encoding::base64_encode("hello"));
    EXPECT_EQ(body["Records"][1]["PartitionKey"], "k2");
    EXPECT_EQ(body.size(), 2u);
}

TEST(HttpsRequest, FirehoseBodyHasDeliveryStreamNameAndNoPartitionKey) {
    Options o = kinesis_options();
    o.api = Api::firehose;
    OutRecord recs[] = {{"ignored", "a"}, {"", "b"}};
    json body = json::parse(build(o, "delivery", recs).body);
    EXPECT_EQ(body["DeliveryStreamName"], "delivery");
    ASSERT_EQ(body["Records"].size(), 2u);
    EXPECT_EQ(body["Records"][1], json({{"Data", encoding::base64_encode("b")}}));
    EXPECT_FALSE(body.contains("StreamName"));
}

TEST(HttpsRequest, BinaryDataRoundTripsThroughBase64) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    OutRecord recs[] = {{"k", bytes}, {"k", ""}, {"k", std::string_view("\0", 1)}};
    json body = json::parse(build(kinesis_options(), "s", recs).body);
    EXPECT_EQ(encoding::base64_decode(body["Records"][0]["Data"].get<std::string>()), bytes);
    EXPECT_EQ(body["Records"][1]["Data"], "");
    EXPECT_EQ(encoding::base64_decode(body["Records"][2]["Data"].get<std::string>()),
              std::string(1, '\0'));
}

TEST(HttpsRequest, JsonStringsAreEscaped) {
    std::string key = "q\"b\\s\x01\n\xc3\xa9";  // quote, backslash, controls, é
    OutRecord recs[] = {{key, "x"}};
    json body = json::parse(build(kinesis_options(), "a\"b", recs).body);
    EXPECT_EQ(body["StreamName"], "a\"b");
    EXPECT_EQ(body["Records"][0]["PartitionKey"], key);
}

// ---- headers --------------------------------------------------------------------------------

TEST(HttpsRequest, HeadersNameTheActionContentTypeHostAndUserAgent) {
    OutRecord recs[] = {{"k", "v"}};
    Request r = build(kinesis_options(), "s", recs);
    EXPECT_EQ(r.target, "/");
    EXPECT_EQ(header(r, "X-Amz-Target"), "Kinesis_20131202.PutRecords");
    EXPECT_EQ(header(r, "Content-Type"), "application/x-amz-json-1.1");
    EXPECT_EQ(header(r, "Host"), "127.0.0.1:4567");
    EXPECT_EQ(header(r, "User-Agent"), "tributary-agent/0.1");

    Options f = kinesis_options();
    f.api = Api::firehose;
    EXPECT_EQ(header(build(f, "s", recs), "X-Amz-Target"), "Firehose_20150804.PutRecordBatch");
}

TEST(HttpsRequest, IdempotenceHeadersCarryProducerFlowAndSequence) {
    OutRecord recs[] = {{"k", "v"}};
    Request r = build(kinesis_options(), "s", recs, tag(18446744073709551615ull));
    EXPECT_EQ(header(r, "X-Tributary-Producer-Id"), producer);
    EXPECT_EQ(header(r, "X-Tributary-Flow"), "kinesis%3Aapp%3A%2Fvar%2Flog%2F%2A.log");
    EXPECT_EQ(header(r, "X-Tributary-Batch-Sequence"), "18446744073709551615");
}

TEST(HttpsRequest, UnsignedWithoutCredentials) {
    OutRecord recs[] = {{"k", "v"}};
    Request r = build(kinesis_options(), "s", recs);
    EXPECT_EQ(header(r, "Authorization"), "<absent>");
    EXPECT_EQ(header(r, "X-Amz-Date"), "<absent>");
}

TEST(HttpsRequest, SignatureVerifiesWithTheSameSecret) {
    OutRecord recs[] = {{"k", "v"}};
    Request r = build(signed_options(), "s", recs);
    auto lookup = [](std::string_view id) -> std::optional<std::string> {
        if (id == "AKIDTEST") return "secret/KEY+1";
        return std::nullopt;
    };
    auto id = aws::verify(as_http(r), lookup, now);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->service, "kinesis");
    EXPECT_EQ(id->region, "us-east-1");
}

TEST(HttpsRequest, SignatureFailsWithAnotherSecret) {
    OutRecord recs[] = {{"k", "v"}};
    Request r = build(signed_options(), "s", recs);
    auto lookup = [](std::string_view) -> std::optional<std::string> { return "wrong"; };
    auto id = aws::verify(as_http(r), lookup, now);
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, aws::errc::invalid_signature);
}

TEST(HttpsRequest, FirehoseIsSignedForTheFirehoseServiceAndRegion) {
    Options o = signed_options();
    o.api = Api::firehose;
    o.region = "eu-west-1";
    OutRecord recs[] = {{"", "v"}};
    auto lookup = [](std::string_view) -> std::optional<std::string> { return "secret/KEY+1"; };
    auto id = aws::verify(as_http(build(o, "s", recs)), lookup, now);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->service, "firehose");
    EXPECT_EQ(id->region, "eu-west-1");
}

TEST(HttpsRequest, SessionTokenIsSentAndSigned) {
    Options o = signed_options();
    o.credentials.session_token = "FwoGZXIvYXdzEXAMPLE";
    OutRecord recs[] = {{"k", "v"}};
    Request r = build(o, "s", recs);
    EXPECT_EQ(header(r, "X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLE");
    EXPECT_NE(header(r, "Authorization").find("x-amz-security-token"), std::string::npos);
}

TEST(HttpsRequest, IdempotenceHeadersStayOutOfSignedHeaders) {
    OutRecord recs[] = {{"k", "v"}};
    std::string authz = header(build(signed_options(), "s", recs), "Authorization");
    EXPECT_NE(authz.find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
              std::string::npos)
        << authz;
}

// ---- limits ---------------------------------------------------------------------------------

TEST(HttpsRequest, RejectsMoreThan500Records) {
    std::vector<OutRecord> recs(501, OutRecord{"k", "v"});
    EXPECT_NE(build_error(kinesis_options(), "s", recs).message.find("501 records"),
              std::string::npos);
}

TEST(HttpsRequest, RejectsKinesisRecordWhoseDataAndKeyExceedOneMiB) {
    std::string data((1 << 20) - 1, 'x');
    OutRecord ok[] = {{"k", data}};
    build(kinesis_options(), "s", ok);
    OutRecord over[] = {{"kk", data}};
    Error e = build_error(kinesis_options(), "s", over);
    EXPECT_EQ(e.code, errc::invalid_batch);
    EXPECT_NE(e.message.find("record 0"), std::string::npos) << e.message;
}

TEST(HttpsRequest, RejectsKinesisBatchOverFiveMiB) {
    std::string data((1 << 20) - 1, 'x');
    std::vector<OutRecord> recs(6, OutRecord{"k", data});
    EXPECT_NE(build_error(kinesis_options(), "s", recs).message.find("batch is"),
              std::string::npos);
}

TEST(HttpsRequest, RejectsFirehoseRecordOver1000KiB) {
    Options o = kinesis_options();
    o.api = Api::firehose;
    std::string data(1000 * 1024, 'x');
    OutRecord ok[] = {{"", data}};
    build(o, "s", ok);
    data += 'x';
    OutRecord over[] = {{"", data}};
    EXPECT_NE(build_error(o, "s", over).message.find("record 0"), std::string::npos);
}

TEST(HttpsRequest, RejectsEmptyOrOverlongOrNonUtf8PartitionKeys) {
    OutRecord empty[] = {{"", "v"}};
    EXPECT_NE(build_error(kinesis_options(), "s", empty).message.find("partition key"),
              std::string::npos);
    std::string long_key(257, 'k');
    OutRecord too_long[] = {{long_key, "v"}};
    build_error(kinesis_options(), "s", too_long);
    OutRecord bad_utf8[] = {{"\xc3\x28", "v"}};
    build_error(kinesis_options(), "s", bad_utf8);
    OutRecord overlong[] = {{"\xc0\xaf", "v"}};
    build_error(kinesis_options(), "s", overlong);
}

TEST(HttpsRequest, PartitionKeyLimitCountsCharactersNotBytes) {
    std::string key;
    for (int i = 0; i < 256; ++i) key += "\xc3\xa9";  // 256 characters, 512 bytes
    OutRecord recs[] = {{key, "v"}};
    build(kinesis_options(), "s", recs);
}

TEST(HttpsRequest, RejectsMalformedProducerIdAndEmptyStream) {
    OutRecord recs[] = {{"k", "v"}};
    BatchTag upper{"0123456789ABCDEF0123456789ABCDEF", "f", 1};
    EXPECT_NE(build_error(kinesis_options(), "s", recs, upper).message.find("producer id"),
              std::string::npos);
    BatchTag short_id{"abc", "f", 1};
    build_error(kinesis_options(), "s", recs, short_id);
    EXPECT_EQ(build_error(kinesis_options(), "", recs).message, "empty stream name");
}

TEST(HttpsRequest, RejectsEmptyOrOverlongFlowIds) {
    OutRecord recs[] = {{"k", "v"}};
    EXPECT_EQ(build_error(kinesis_options(), "s", recs, BatchTag{producer, "", 1}).message,
              "flow id must be 1..1024 bytes");
    build_error(kinesis_options(), "s", recs, BatchTag{producer, std::string(1025, 'f'), 1});
}

// ---- endpoints ------------------------------------------------------------------------------

TEST(HttpsEndpoint, PlainHttpWithPort) {
    auto ep = parse_endpoint("http://127.0.0.1:4567", Api::kinesis, "us-east-1");
    ASSERT_TRUE(ep);
    EXPECT_FALSE(ep->tls);
    EXPECT_EQ(ep->port, 4567);
    EXPECT_EQ(ep->host_header(), "127.0.0.1:4567");
    EXPECT_EQ(ep->base_url, "http://127.0.0.1:4567");
    EXPECT_EQ(ep->path, "/");
}

TEST(HttpsEndpoint, HttpsDefaultPortIsLeftOutOfHost) {
    auto ep = parse_endpoint("HTTPS://kinesis.eu-west-1.amazonaws.com/", Api::kinesis, "x");
    ASSERT_TRUE(ep);
    EXPECT_TRUE(ep->tls);
    EXPECT_EQ(ep->port, 443);
    EXPECT_EQ(ep->host_header(), "kinesis.eu-west-1.amazonaws.com");
}

TEST(HttpsEndpoint, PathBecomesTheRequestTarget) {
    auto ep = parse_endpoint("https://gw.example:8443/tributary/kinesis", Api::kinesis, "r");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->path, "/tributary/kinesis");
    EXPECT_EQ(ep->base_url, "https://gw.example:8443");
}

TEST(HttpsEndpoint, NoSchemeMeansHttps) {
    auto ep = parse_endpoint("collector.lan:4443", Api::kinesis, "r");
    ASSERT_TRUE(ep);
    EXPECT_TRUE(ep->tls);
    EXPECT_EQ(ep->port, 4443);
}

TEST(HttpsEndpoint, EmptyEndpointIsAwsForTheApiAndRegion) {
    EXPECT_EQ(parse_endpoint("", Api::kinesis, "eu-west-1")->base_url,
              "https://kinesis.eu-west-1.amazonaws.com");
    EXPECT_EQ(parse_endpoint("", Api::firehose, "cn-north-1")->base_url,
              "https://firehose.cn-north-1.amazonaws.com.cn");
    EXPECT_FALSE(parse_endpoint("", Api::kinesis, "eu west"));
}

TEST(HttpsEndpoint, Ipv6LiteralKeepsBrackets) {
    auto ep = parse_endpoint("http://[::1]:4567", Api::kinesis, "r");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->host_header(), "[::1]:4567");
}

TEST(HttpsEndpoint, RejectsMalformedUrlsWithAReason) {
    for (const char* bad : {"ftp://h", "http://", "http://:80", "http://h:0", "http://h:65536",
                            "http://h:x", "http://h:", "http://u:p@h", "http://h/?q=1",
                            "http://h/#f", "http://h h", "http://[::1", "http://h/a b"}) {
        auto ep = parse_endpoint(bad, Api::kinesis, "us-east-1");
        ASSERT_FALSE(ep) << bad;
        EXPECT_EQ(ep.error().code, errc::bad_endpoint);
        EXPECT_NE(ep.error().message.find(bad), std::string::npos) << ep.error().message;
    }
}

}  // namespace
}  // namespace tributary::agent::sinks::https
