#pragma once
// The engine's view of the modules it drives: a source, the processors, the spool and a sink.
// engine.cpp adapts the concrete modules (sources/tail, sources/metrics, processors, buffer,
// sinks/https) to these; tests substitute their own. Keeping the flow logic behind these small
// interfaces is what lets flow_test.cpp exercise ordering, retries and the full policies
// without files, LMDB or a network.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "shared/result.h"

namespace tributary::agent::engine {

// --- source ---
struct SourceBatch {
    std::vector<std::string> records;  // in source order
    std::string checkpoint_key;        // empty: the source keeps no position (metrics)
    std::optional<std::string> checkpoint_value;  // nullopt with a key: erase it (file finished)
    uint64_t truncated = 0;                       // records cut to the size limit
};

class Source {
public:
    virtual ~Source() = default;
    // What is available now, bounded; never waits.
    virtual Result<std::vector<SourceBatch>> read(size_t max_records, size_t max_bytes) = 0;
    virtual int wait_fd() const { return -1; }  // readable when something changed
    virtual std::chrono::milliseconds next_wakeup() const = 0;
    virtual void describe(nlohmann::json& out) const = 0;  // status: files and offsets
};

// --- processors --- Transforms a record in place; false when a step rejected it (record
// unchanged, `failed_step` names the step).
using Transform = std::function<bool(std::string& record, std::string& failed_step)>;

// --- spool ---
struct SpoolRecord {
    std::string_view partition_key, data;
};
struct CheckpointWrite {
    std::string key;
    std::optional<std::string> value;  // nullopt: erase
};
struct SpoolEntry {
    uint64_t id = 0;
    std::string partition_key, data;
    uint64_t enqueued_ms = 0;
};

class SpoolPort {
public:
    virtual ~SpoolPort() = default;
    // Appends to `queue` and applies the checkpoint writes in one durable transaction; returns
    // how many old entries the drop_oldest policy removed. Errors: full (is_full() says so;
    // nothing written), anything else from storage.
    virtual Result<size_t> append(std::string_view queue, std::span<const SpoolRecord> records,
                                  std::span<const CheckpointWrite> checkpoints) = 0;
    virtual bool is_full(const Error& e) const = 0;
    // The oldest entries of `queue` with id > after_id, in order (at least one when any).
    virtual Result<std::vector<SpoolEntry>> peek(std::string_view queue, uint64_t after_id,
                                                 size_t max_records, size_t max_bytes) = 0;
    // Deletes delivered entries and applies the checkpoint writes in one transaction.
    virtual Result<void> remove(std::string_view queue, std::span<const uint64_t> ids,
                                std::span<const CheckpointWrite> checkpoints) = 0;
    // Every checkpoint whose key starts with `prefix`, in key order.
    virtual Result<std::vector<std::pair<std::string, std::string>>> checkpoints(
        std::string_view prefix) = 0;
    // Reserves `count` consecutive batch numbers of `queue`, durably; returns the first.
    virtual Result<uint64_t> next_batch_sequence(std::string_view queue, uint64_t count) = 0;
    struct Depth {
        uint64_t records = 0, bytes = 0, oldest_enqueued_ms = 0;
    };
    virtual Depth depth(std::string_view queue) const = 0;
};

// --- sink ---
enum class SendStatus { ok, retry, fatal };
struct OutRecord {
    std::string_view partition_key, data;
};
struct SendOutcome {
    SendStatus status = SendStatus::retry;  // of the call; ok → see `records`
    std::vector<SendStatus> records;        // one per record when status == ok
    bool throttled = false;
    std::string error;
};
// Sends one batch to `stream`; `flow_tag` and `batch_sequence` identify it for the collector's
// duplicate detection (docs/agent-delivery.md). Blocking; called from several lanes at once.
using SendFn = std::function<SendOutcome(std::string_view stream, std::span<const OutRecord> records,
                                         std::string_view flow_tag, uint64_t batch_sequence)>;

// A point in Kinesis's 128-bit hash-key space, ordered as the unsigned number hi·2^64 + lo.
// Two words rather than unsigned __int128, which GCC lacks on 32-bit targets (armhf); the agent
// only compares keys, so it needs no 128-bit arithmetic.
struct HashKey {
    uint64_t hi = 0, lo = 0;
    static constexpr HashKey max() { return {~uint64_t{0}, ~uint64_t{0}}; }
    // Member-wise, hi first: the numeric order.
    constexpr auto operator<=>(const HashKey&) const = default;
};

// A shard's hash-key range, inclusive at both ends.
struct HashRange {
    HashKey start, end;
    bool operator==(const HashRange&) const = default;
};
// Parses a Kinesis hash key (decimal, 0..2^128-1). nullopt when it is not one.
inline std::optional<HashKey> parse_hash_key(std::string_view decimal) {
    if (decimal.empty() || decimal.size() > 39) return std::nullopt;
    HashKey v;
    for (char c : decimal) {
        if (c < '0' || c > '9') return std::nullopt;
        // v = v * 10 + digit, the low word in 32-bit halves so that no product overflows.
        uint64_t a = (v.lo & 0xffffffffu) * 10 + static_cast<unsigned>(c - '0');  // < 2^36
        uint64_t b = (v.lo >> 32) * 10 + (a >> 32);                               // < 2^36
        uint64_t carry = b >> 32;
        if (v.hi > (~uint64_t{0} - carry) / 10) return std::nullopt;  // past 2^128 - 1
        v = {v.hi * 10 + carry, (b << 32) | (a & 0xffffffffu)};
    }
    return v;
}

// The open shards of `stream` (empty: the destination has no shards, as Firehose). Errors: any
// failure to ask; the flow then keeps one lane.
using ShardsFn = std::function<Result<std::vector<HashRange>>(std::string_view stream)>;

}  // namespace tributary::agent::engine
