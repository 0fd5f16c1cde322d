#pragma once
// The MQTT answer payload, version 1 (docs/mqtt.md, "Answer payload"): the collector's reply to
// one request, published after the batch's records are fsync'd (or after it was rejected).
// Either one result per request record, in request order, as PutRecords answers; or one
// whole-batch error. Stateless; safe from any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.h"
#include "shared/wire/errc.h"

namespace tributary::wire {

inline constexpr uint8_t kAnswerMagic = 0x41;  // 'A'
inline constexpr uint8_t kAnswerKindRecords = 0;
inline constexpr uint8_t kAnswerKindBatchError = 1;
inline constexpr size_t kMaxSequenceNumberDigits = 128;
inline constexpr size_t kMaxErrorCodeBytes = 128;
inline constexpr size_t kMaxErrorMessageBytes = 1024;

// Whole-batch and per-record error types (docs/mqtt.md, "Error types").
namespace error_type {
inline constexpr std::string_view validation = "ValidationException";
inline constexpr std::string_view invalid_argument = "InvalidArgumentException";
inline constexpr std::string_view resource_not_found = "ResourceNotFoundException";
inline constexpr std::string_view throttling = "ThrottlingException";
inline constexpr std::string_view service_unavailable = "ServiceUnavailableException";
inline constexpr std::string_view provisioned_throughput_exceeded =
    "ProvisionedThroughputExceededException";
inline constexpr std::string_view internal_failure = "InternalFailure";
}  // namespace error_type

struct RecordResult {
    bool ok = false;
    uint32_t shard_index = 0;               // ok: the shard, as in shardId-000000000007
    std::string sequence_number;            // ok: decimal digits
    std::string error_code, error_message;  // failed: e.g. ProvisionedThroughputExceededException
};

struct BatchError {
    std::string type;        // printable ASCII, e.g. ResourceNotFoundException
    std::string message;     // UTF-8, for the operator
    bool retryable = false;  // resending the same batch (same sequence) may succeed
};

// Exactly one of the two is meaningful: `error` set means the batch was rejected as a whole
// and nothing was stored; otherwise `records` holds 1..500 results.
struct BatchAnswer {
    std::vector<RecordResult> records;
    std::optional<BatchError> error;

    size_t failed_count() const;
};

// The answer to a request the codec rejected: the error's type and retryable flag from the
// errc table, its message. An error of another category becomes a retryable InternalFailure.
BatchError batch_error_for(const Error& e);

// Encodes into `out` (replacing its contents). Errors: bad_field (both or neither of records
// and error, a sequence number that is not digits, an empty error code or type, a string not
// printable ASCII / UTF-8 as its field requires), over_limit (over 500 records or a string
// over its limit); `out` is empty after an error.
Result<void> encode_answer(const BatchAnswer& answer, std::string& out);

// Errors: bad_magic (first byte not 'A'), unsupported_version, truncated, bad_checksum,
// bad_field (unknown kind or status, failed count that disagrees with the statuses, grammar as
// for encode_answer), over_limit.
Result<BatchAnswer> decode_answer(std::string_view payload);

}  // namespace tributary::wire
