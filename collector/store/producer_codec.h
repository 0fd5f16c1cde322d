#pragma once
// On-disk encoding of producer dedup entries (docs/storage.md, "producers"): the last accepted
// batch of one (producer id, flow) and the answer it got, compact (varints, shard and message
// tables) rather than the JSON text, since the API layer renders the answer again from it.
//   producers key       = producer id (16 bytes) | SHA-256(flow) (32 bytes)
//   producers value     = see encode_producer_entry()
//   producer_times key  = stored_ms u64 BE | producers key      (value empty)
// The flow is hashed because LMDB keys are at most 511 bytes and a flow may have 1024; the flow
// itself is kept in the value.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/shard_store.h"

namespace tributary::collector::store {

constexpr size_t kProducerKeySize = 16 + 32;
constexpr size_t kProducerTimeKeySize = 8 + kProducerKeySize;

std::string producer_key(const BatchKey& key);
// The flow as the dedup error messages show it: the decoded bytes when they are printable
// UTF-8, otherwise percent-encoded as in the X-Tributary-Flow header.
std::string printable_flow(std::string_view flow);
std::string producer_time_key(uint64_t stored_ms, std::string_view producer_key);

struct ProducerEntry {
    uint64_t sequence = 0;
    uint32_t stream_id = 0;
    uint64_t stored_ms = 0;  // when the batch was stored (a replay does not refresh it)
    bool encrypted = false;
    std::string stream;
    std::string flow;
    // One per record, in order: ok → shard and sequence (sequence_number left empty);
    // otherwise error and error_message.
    std::vector<PutOutcome> outcomes;
};

std::string encode_producer_entry(const ProducerEntry& e);
// False for a value that is not a version-1 entry or is truncated (corrupt).
bool decode_producer_entry(std::string_view v, ProducerEntry& out);

// The fixed-size head of an entry, enough for the maintenance passes (stream liveness, age).
struct ProducerEntryHead {
    uint64_t sequence = 0;
    uint32_t stream_id = 0;
    uint64_t stored_ms = 0;
};
bool decode_producer_head(std::string_view v, ProducerEntryHead& out);

}  // namespace tributary::collector::store
