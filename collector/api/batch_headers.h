#pragma once
// The X-Tributary-* headers of docs/agent-delivery.md (protocol version 1), which make a
// PutRecords request an idempotent batch: producer id, flow and batch sequence. Parsed by Api
// after authentication and handed to the handler in its Context; the handler checks them only
// after the body itself has passed validation, as the document orders it.

#include <optional>
#include <string>
#include <string_view>

#include "collector/store/shard_store.h"
#include "shared/result.h"

namespace tributary::collector::api {

inline constexpr std::string_view kProducerIdHeader = "X-Tributary-Producer-Id";
inline constexpr std::string_view kFlowHeader = "X-Tributary-Flow";
inline constexpr std::string_view kBatchSequenceHeader = "X-Tributary-Batch-Sequence";

// The three header values as received (null when absent). Returns nullopt when none is present.
// Errors: api::errc::validation (a 400 ValidationException) naming the header, when one is
// present without the others or does not follow its grammar:
//   producer id  exactly 32 characters [0-9a-f]
//   flow         A-Z a-z 0-9 - _ . ~ and %XX (upper-case hex), decoding to 1..1024 bytes
//   sequence     decimal 0..18446744073709551615, no sign, no leading zeros except "0"
Result<std::optional<store::BatchKey>> parse_batch_key(const std::string* producer_id,
                                                       const std::string* flow,
                                                       const std::string* sequence);

}  // namespace tributary::collector::api
