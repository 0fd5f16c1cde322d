#pragma once
// AWS Signature Version 4 (AWS4-HMAC-SHA256): signing for clients, verification for servers.
//
// Both sides canonicalise the request from the same view (HttpRequest) so a request signed by
// sign() verifies with verify() byte for byte, and both follow what botocore and the AWS SigV4
// test suite do: for every service but "s3" the request-target path, as sent on the wire, is
// normalised (empty, "." and ".." segments removed) and URI-encoded again, which is the
// "double encoding" of the specification; "s3" paths are neither normalised nor double-encoded.
//
// All functions are pure and thread-safe; SecretLookup is called at most once per verify().

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/aws/errc.h"
#include "shared/result.h"

namespace tributary::aws {

using Clock = std::chrono::system_clock;

inline constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
// How far a signed request's date may be from the server's clock, either way.
inline constexpr std::chrono::minutes max_clock_skew{15};
// The longest X-Amz-Expires AWS accepts on a presigned request (7 days).
inline constexpr std::chrono::seconds max_presign_expiry{604800};

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty for long-term credentials
};

// A view of one HTTP request.
struct HttpRequest {
    std::string method;  // "POST"
    std::string target;  // raw request-target: path plus optional "?query" (not yet decoded)
    std::vector<std::pair<std::string, std::string>> headers;  // as received, any case, may repeat
    std::string_view body{};
};

// ---- Client side ----------------------------------------------------------------------------

// Signs `req` in place. Removes any previous Authorization, X-Amz-Date and (when set here)
// X-Amz-Security-Token / X-Amz-Content-Sha256 headers, then adds X-Amz-Date, X-Amz-Security-Token
// (when creds.session_token is set), X-Amz-Content-Sha256 (only if `add_content_sha256`) and
// Authorization. Signs host, content-type and every x-amz-* header present (x-amz-date,
// x-amz-target, x-amz-security-token, ...). The payload hash is X-Amz-Content-Sha256 when the
// request carries one (set it to UNSIGNED-PAYLOAD to skip hashing), else SHA-256 of the body. The
// caller must have set the Host header: it is signed only if present, and AWS rejects a request
// whose signature does not cover it.
void sign(HttpRequest& req, const Credentials& creds, std::string_view region,
          std::string_view service, Clock::time_point now, bool add_content_sha256 = false);

// Presigns `req` in place: appends X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders, X-Amz-Security-Token (when set) and X-Amz-Signature to the query string.
// Signs the same headers as sign(). The payload is hashed, except for "s3" (UNSIGNED-PAYLOAD).
void presign(HttpRequest& req, const Credentials& creds, std::string_view region,
             std::string_view service, Clock::time_point now, std::chrono::seconds expires);

// ---- Server side ----------------------------------------------------------------------------

// Returns the secret access key of an access key id, or nullopt when the id is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct VerifiedIdentity {
    std::string access_key_id;
    std::string region;   // from the credential scope; check it with check_scope()
    std::string service;  // from the credential scope
};

// Verifies a request signed with the Authorization header or presigned in the query string.
// `now` is the server's clock; `lookup` is called at most once and must not throw (an empty
// lookup knows no key). Errors carry AWS's exact messages and are checked in AWS's order:
//   1. invalid_signature     both an Authorization header and an X-Amz-Algorithm parameter
//   2. missing_authentication_token  neither of them
//   3. incomplete_signature  algorithm not AWS4-HMAC-SHA256; an Authorization element without
//                            '='; missing Credential / Signature / SignedHeaders / date (every
//                            sentence that applies, then "Authorization=<header>"); missing
//                            presign parameters; X-Amz-Expires not a number or over 7 days
//   4. invalid_signature     host not among the signed headers
//   5. incomplete_signature  date not ISO-8601 basic (the header form also takes an HTTP Date)
//   6. invalid_signature     date more than 15 minutes before or after `now`, or a presigned
//                            request past its X-Amz-Expires ("Signature expired: ...")
//   7. incomplete_signature  Credential not 5 '/'-separated elements
//   8. invalid_signature     scope terminator not aws4_request, or scope date not the request's
//   9. incomplete_signature  x-amz-content-sha256 neither UNSIGNED-PAYLOAD nor a SHA-256 digest
//      invalid_signature     x-amz-content-sha256 (header or presign parameter) not the body's
//  10. unrecognized_client   `lookup` does not know the access key id
//  11. invalid_signature     the signature does not match (compared in constant time)
// Region and service are taken from the credential scope, not checked (see check_scope()).
// Session tokens are covered by the signature but not validated here.
Result<VerifiedIdentity> verify(const HttpRequest& req, const SecretLookup& lookup,
                                Clock::time_point now);

// Checks the credential scope of a verified request against the region and service this server
// answers for; invalid_signature with AWS's "Credential should be scoped ..." sentences.
Result<void> check_scope(const VerifiedIdentity& id, std::string_view region,
                         std::string_view service);

// ---- Building blocks, exposed for tests ---------------------------------------------------

// RFC 3986 percent-encoding: every byte but A-Z a-z 0-9 - _ . ~ (and '/' if keep_slash) becomes
// %XX with upper-case hex.
std::string uri_encode(std::string_view s, bool keep_slash);

// The canonical URI of a raw (still percent-encoded) request path.
std::string canonical_uri(std::string_view raw_path, std::string_view service);

// The canonical query string of a raw query (without '?'): each name and value percent-decoded
// then re-encoded ('+' is a literal plus), pairs sorted by encoded name then encoded value.
std::string canonical_query_string(std::string_view raw_query);

// The canonical request. `signed_headers` is the ';'-separated lower-case list, in the order it
// appears in the Authorization header; `payload_hash` the hex SHA-256 of the body or
// UNSIGNED-PAYLOAD.
std::string canonical_request(const HttpRequest& req, std::string_view signed_headers,
                              std::string_view payload_hash, std::string_view service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>".
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// "<yyyymmdd>/<region>/<service>/aws4_request".
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
// as raw bytes. `date` is yyyymmdd.
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// Hex HMAC-SHA256 of the string to sign under the signing key.
std::string signature(std::string_view signing_key, std::string_view string_to_sign);

// Hex SHA-256 of a payload.
std::string payload_hash(std::string_view body);

// The ';'-separated sorted list of the headers sign() covers in `req`.
std::string signed_headers_of(const HttpRequest& req);

// "20150830T123600Z" and back; parse is strict (ISO 8601 basic format, UTC, 16 characters).
// Seconds, not the clock's nanoseconds, so that every year 0000-9999 a client may send fits.
std::string format_amz_date(Clock::time_point t);
std::string format_amz_date(std::chrono::sys_seconds t);
std::optional<std::chrono::sys_seconds> parse_amz_date(std::string_view s);

}  // namespace tributary::aws
