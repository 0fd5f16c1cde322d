#pragma once
// Handler: one MQTT request in, the answer to publish out (docs/mqtt.md §5.2) — everything the
// collector does with a request except the MQTT I/O, so it is tested without a broker.
//
// Steps: topic grammar → Response Topic is the topic device's own ack topic and Correlation
// Data is 1..64 bytes (else the request is dropped: there is no safe place to answer) →
// decode_batch → ShardStore::put_records(stream, entries, &BatchKey), which judges the
// (producer, flow, sequence) dedup entry in the same LMDB transaction as the records and
// returns after the group commit's fsync → encode_answer. Every rejected request gets a
// whole-batch error answer with the retryable flag of docs/mqtt.md §9; nothing is stored then.
//
// Thread-safety: handle() is safe from any number of threads at once (the store serialises
// writes; two deliveries of one batch key are judged one after the other by its writer).
// Durability: a returned answer with per-record results describes records already on disk
// (with StoreOptions::sync), so it may be published at once. The store must outlive the
// handler.

#include <optional>
#include <string>
#include <string_view>

#include "collector/ingest/mqtt/stats.h"
#include "collector/store/shard_store.h"
#include "shared/wire/batch.h"

namespace tributary::collector::ingest::mqtt {

// A request as the broker delivered it. Absent properties are empty views (both properties
// must be non-empty to be valid, so absent and empty are the same case).
struct Request {
    std::string_view topic;
    std::string_view payload;
    std::string_view response_topic;
    std::string_view correlation_data;
};

// What to publish: QoS 1, Retain 0, to `topic` (the request's Response Topic), with the
// request's Correlation Data.
struct Reply {
    std::string topic;
    std::string payload;  // an encoded answer (docs/mqtt.md §8)
};

inline constexpr size_t kMaxCorrelationBytes = 64;

class Handler {
public:
    Handler(store::ShardStore& store, IngestStats& stats) : store_(store), stats_(stats) {}

    // The answer to publish, or nullopt when the request is dropped (counted in the stats by
    // DropReason). Never fails otherwise: store and codec errors become error answers.
    std::optional<Reply> handle(const Request& request);

private:
    // The answer for a decoded, well-addressed batch.
    wire::BatchAnswer store_batch(std::string_view stream, const wire::DecodedBatch& batch);
    wire::BatchAnswer reject(wire::BatchError error, std::string_view reason);

    store::ShardStore& store_;
    IngestStats& stats_;
};

// The whole-batch error for a failed ShardStore::put_records (docs/mqtt.md §9): its answer
// type, retryable flag and the store's message (AWS's text), clipped to the answer's limit.
wire::BatchError store_batch_error(const Error& e);
// The short reason a store or codec error is counted under (e.g. "resource_not_found").
std::string_view error_reason(const Error& e);

}  // namespace tributary::collector::ingest::mqtt
