// shared/aws/sigv4.h: verify() of any request, signed in the header or presigned in the query,
// must return an identity or one of its errors, never crash. And for requests an HTTP server
// could carry (header names that are tokens, a Host header), what sign() and presign() produce
// must verify, whatever the path, query, header values and body.
//
// Input: the AWS SigV4 test suite's request format, so its .sreq files are seeds as they are:
//   METHOD target HTTP/1.1        (the target ends at the last " HTTP/")
//   Name:value                    (one header a line; a line without ':' is a header with no value)
//   <blank line>
//   body
// The server's clock is the suite's, 2015-08-30T12:36:00Z; the one key it knows is the suite's.

#include <algorithm>
#include <cctype>
#include <string>

#include "shared/aws/sigv4.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const aws::Clock::time_point kNow = std::chrono::sys_days{2015y / 8 / 30} + 12h + 36min;

std::optional<std::string> lookup(std::string_view id) {
    if (id == kKeyId) return std::string(kSecret);
    return std::nullopt;
}

aws::HttpRequest parse_request(std::string_view text) {
    aws::HttpRequest req;
    size_t blank = text.find("\n\n");
    std::string_view head = text.substr(0, blank);
    if (blank != std::string_view::npos) req.body = text.substr(blank + 2);
    size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    size_t sp = line.find(' ');
    req.method = line.substr(0, sp);
    if (sp != std::string_view::npos) {
        std::string_view rest = line.substr(sp + 1);
        req.target = rest.substr(0, rest.rfind(" HTTP/"));
    }
    while (eol != std::string_view::npos) {
        head.remove_prefix(eol + 1);
        eol = head.find('\n');
        line = head.substr(0, eol);
        size_t colon = line.find(':');
        req.headers.emplace_back(line.substr(0, colon),
                                 colon == std::string_view::npos ? "" : line.substr(colon + 1));
    }
    return req;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 9110 token characters: what a header name is made of on the wire.
bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

bool has_header(const aws::HttpRequest& req, std::string_view name) {
    return std::any_of(req.headers.begin(), req.headers.end(),
                       [&](const auto& h) { return iequals(h.first, name); });
}

// Whether the query already names an X-Amz-* parameter (after %-decoding, as verify() reads
// it): a presigned request then carries two of them, and verify() rightly reads the first.
bool query_has_amz_param(std::string_view target) {
    size_t q = target.find('?');
    if (q == std::string_view::npos) return false;
    std::string decoded;
    for (size_t i = q + 1; i < target.size(); ++i) {
        int hi = i + 2 < target.size() ? hex_value(target[i + 1]) : -1;
        int lo = i + 2 < target.size() ? hex_value(target[i + 2]) : -1;
        if (target[i] == '%' && hi >= 0 && lo >= 0) {
            decoded += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            decoded += target[i];
        }
    }
    // Parameter names start the query or follow '&'; '&' inside a decoded name is harmless here
    // (a false positive only skips the property).
    std::string lowered = decoded;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
    return lowered.find("x-amz-") != std::string::npos;
}

void check_verify_only_fails_with_its_errors(const aws::HttpRequest& req) {
    auto id = aws::verify(req, lookup, kNow);
    if (id) {
        TRIB_FUZZ_CHECK(id->access_key_id == kKeyId, "only the known key verifies");
        (void)aws::check_scope(*id, "us-east-1", "kinesis");
    } else {
        TRIB_FUZZ_CHECK(id.error().code.category() == aws::aws_auth_category(),
                        "verify errors are sigv4 errors");
    }
}

void check_sign_then_verify(aws::HttpRequest req, std::string_view service) {
    aws::sign(req, {std::string(kKeyId), std::string(kSecret), ""}, "us-east-1", service, kNow);
    auto id = aws::verify(req, lookup, kNow);
    if (!id) std::fprintf(stderr, "verify: %s\n", id.error().message.c_str());
    TRIB_FUZZ_CHECK(id.has_value(), "a request sign() made verifies");
    TRIB_FUZZ_CHECK(id->service == service, "verify reports the signed service");
}

void check_presign_then_verify(aws::HttpRequest req, std::string_view service) {
    aws::presign(req, {std::string(kKeyId), std::string(kSecret), ""}, "us-east-1", service, kNow,
                 300s);
    auto id = aws::verify(req, lookup, kNow + 1min);
    if (!id) std::fprintf(stderr, "verify: %s\n", id.error().message.c_str());
    TRIB_FUZZ_CHECK(id.has_value(), "a request presign() made verifies");
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(sigv4) {
    aws::HttpRequest req =
        parse_request(std::string_view(reinterpret_cast<const char*>(data), size));
    check_verify_only_fails_with_its_errors(req);

    // Building blocks on what the request carries.
    (void)aws::canonical_uri(req.target, "kinesis");
    (void)aws::canonical_uri(req.target, "s3");
    std::string cq = aws::canonical_query_string(req.target);
    TRIB_FUZZ_CHECK(aws::canonical_query_string(cq) == cq, "canonical query is a fixed point");
    (void)aws::parse_amz_date(req.target);

    // Sign/verify agreement, for requests a server could receive. Skipped where verify() is
    // right to refuse: a declared payload hash that may not be the body's, a query that already
    // has X-Amz-* parameters (verify() reads the first of two), and, for presign(), an
    // Authorization header beside the query's signature.
    bool carried = std::all_of(req.headers.begin(), req.headers.end(),
                               [](const auto& h) { return is_token(h.first); }) &&
                   has_header(req, "host") && !has_header(req, "x-amz-content-sha256") &&
                   req.method.find_first_of(" \r\n") == std::string::npos;
    if (!carried) return 0;
    if (!query_has_amz_param(req.target)) {
        check_sign_then_verify(req, "kinesis");
        check_sign_then_verify(req, "s3");
        if (!has_header(req, "authorization")) {
            check_presign_then_verify(req, "kinesis");
        }
    }
    return 0;
}
