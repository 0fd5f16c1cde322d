// agent/sinks/https/wire.h: parse_response() classifies any HTTP answer without throwing.
// ok comes only from a 200 and then has exactly one result per record sent, each either stored
// (with its sequence number, and shard for Kinesis) or retry (with an error code); anything
// else has no per-record results and says why. A throttled answer is never fatal.
// normalize_error_type() is idempotent.
//
// Input: byte 0 chooses the call: bit 0 the API (Kinesis, Firehose), bits 1-4 the HTTP status
// (kStatuses), bits 5-7 the number of records sent (0-7). The rest, up to its first '\n', is
// the x-amzn-ErrorType header; after it, the body (no '\n': no header, all body).
// TRIB_FUZZ_VERBOSE=1 in the environment prints each classification.

#include <cstdlib>
#include <string>

#include "agent/sinks/https/wire.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

namespace https = agent::sinks::https;

// Half of them 200, the only answer whose body is more than an error.
constexpr int kStatuses[16] = {200, 200, 200, 200, 200, 200, 200, 200,
                               400, 403, 404, 413, 429, 500, 503, 301};

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(https_response) {
    if (size == 0) return 0;
    const https::Api api = (data[0] & 1) ? https::Api::firehose : https::Api::kinesis;
    const int status = kStatuses[(data[0] >> 1) & 15];
    const size_t expected = data[0] >> 5;
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string_view header, body = rest;
    if (auto nl = rest.find('\n'); nl != std::string_view::npos) {
        header = rest.substr(0, nl);
        body = rest.substr(nl + 1);
    }

    https::SendResult r = https::parse_response(api, status, header, body, expected);
    if (std::getenv("TRIB_FUZZ_VERBOSE"))
        std::fprintf(stderr, "%d -> %d (%zu records) %s\n", status, int(r.status),
                     r.records.size(), r.error.c_str());
    TRIB_FUZZ_CHECK(r.http_status == status, "the result carries the HTTP status");
    if (r.status == https::Status::ok) {
        TRIB_FUZZ_CHECK(status == 200, "only a 200 is ok");
        TRIB_FUZZ_CHECK(r.records.size() == expected, "one result per record sent");
        size_t failed = 0;
        for (const auto& rec : r.records) {
            if (rec.status == https::Status::ok) {
                TRIB_FUZZ_CHECK(!rec.sequence_number.empty(), "a stored record has its id");
                if (api == https::Api::kinesis)
                    TRIB_FUZZ_CHECK(!rec.shard_id.empty(), "a stored record has its shard");
                TRIB_FUZZ_CHECK(rec.error_code.empty(), "a stored record has no error");
            } else {
                TRIB_FUZZ_CHECK(rec.status == https::Status::retry, "records are ok or retry");
                TRIB_FUZZ_CHECK(!rec.error_code.empty(), "a failed record has its error code");
                ++failed;
            }
        }
        TRIB_FUZZ_CHECK(r.error.empty() == (failed == 0), "failed records are summed up");
    } else {
        TRIB_FUZZ_CHECK(r.records.empty(), "a failed call has no per-record results");
        TRIB_FUZZ_CHECK(!r.error.empty(), "a failed call says why");
        if (status == 200)
            TRIB_FUZZ_CHECK(r.status == https::Status::retry, "a malformed 200 is retry");
    }
    if (r.throttled) TRIB_FUZZ_CHECK(r.status != https::Status::fatal, "throttling is not fatal");

    std::string type = https::normalize_error_type(header);
    TRIB_FUZZ_CHECK(https::normalize_error_type(type) == type, "normalizing is idempotent");
    return 0;
}
