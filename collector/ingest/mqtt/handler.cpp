#include "collector/ingest/mqtt/handler.h"

#include <vector>

#include "shared/log/log.h"

namespace tributary::collector::ingest::mqtt {
namespace {

namespace et = wire::error_type;

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence (the answer's message
// fields are UTF-8 of bounded length; store messages quote flows of up to 1024 bytes).
std::string clip_utf8(std::string s, size_t max) {
    if (s.size() <= max) return s;
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
    return s;
}

std::string_view wire_reason(wire::errc e) {
    switch (e) {
        case wire::errc::bad_magic: return "bad_magic";
        case wire::errc::unsupported_version: return "unsupported_version";
        case wire::errc::bad_checksum: return "bad_checksum";
        case wire::errc::truncated: return "truncated";
        case wire::errc::over_limit: return "over_limit";
        case wire::errc::bad_field: return "bad_field";
        case wire::errc::decompression_failed: return "decompression_failed";
        case wire::errc::bad_topic: return "bad_topic";
    }
    return "wire";
}

std::string_view store_reason(store::errc e) {
    switch (e) {
        case store::errc::resource_not_found: return "resource_not_found";
        case store::errc::resource_in_use: return "resource_in_use";
        case store::errc::invalid_argument: return "invalid_argument";
        case store::errc::limit_exceeded: return "limit_exceeded";
        case store::errc::provisioned_throughput_exceeded: return "throttled";
        case store::errc::expired_iterator: return "expired_iterator";
        case store::errc::expired_next_token: return "expired_next_token";
        case store::errc::validation: return "validation";
        case store::errc::access_denied: return "access_denied";
        case store::errc::internal_failure: return "internal_failure";
    }
    return "store";
}

// The one table from a store error to the MQTT whole-batch error (docs/mqtt.md §9). Kinds the
// store does not return for a put fall to InternalFailure, retryable: resending cannot hurt
// (dedup), giving up on a batch can.
struct StoreRow {
    store::errc code;
    std::string_view type;
    bool retryable;
};
constexpr StoreRow kStoreTable[] = {
    // The stream may be being created: resend later.
    {store::errc::resource_not_found, et::resource_not_found, true},
    // A reused or stale batch sequence: the same batch can never succeed.
    {store::errc::invalid_argument, et::invalid_argument, false},
    {store::errc::validation, et::validation, false},
    // A whole call refused for rate: the device should slow down and resend.
    {store::errc::provisioned_throughput_exceeded, et::throttling, true},
    {store::errc::limit_exceeded, et::throttling, true},
    {store::errc::resource_in_use, et::service_unavailable, true},
    {store::errc::access_denied, et::validation, false},
    {store::errc::internal_failure, et::internal_failure, true},
};

std::string_view record_error_code(store::errc e) {
    return e == store::errc::provisioned_throughput_exceeded ? et::provisioned_throughput_exceeded
                                                             : et::internal_failure;
}

}  // namespace

wire::BatchError store_batch_error(const Error& e) {
    wire::BatchError out{std::string(et::internal_failure), "", true};
    if (e.code.category() == store::store_category()) {
        for (const auto& row : kStoreTable) {
            if (static_cast<int>(row.code) != e.code.value()) continue;
            out.type = std::string(row.type);
            out.retryable = row.retryable;
            break;
        }
    }
    out.message = clip_utf8(e.message.empty() ? e.code.message() : e.message,
                            wire::kMaxErrorMessageBytes);
    return out;
}

std::string_view error_reason(const Error& e) {
    if (e.code.category() == wire::wire_category())
        return wire_reason(static_cast<wire::errc>(e.code.value()));
    if (e.code.category() == store::store_category())
        return store_reason(static_cast<store::errc>(e.code.value()));
    return "other";
}

wire::BatchAnswer Handler::reject(wire::BatchError error, std::string_view reason) {
    stats_.batch_error(error.type, reason);
    error.message = clip_utf8(std::move(error.message), wire::kMaxErrorMessageBytes);
    wire::BatchAnswer a;
    a.error = std::move(error);
    return a;
}

wire::BatchAnswer Handler::store_batch(std::string_view stream, const wire::DecodedBatch& batch) {
    std::vector<store::PutEntry> entries;
    entries.reserve(batch.records.size());
    for (size_t i = 0; i < batch.records.size(); ++i) {
        const auto& r = batch.records[i];
        std::optional<store::HashKey> hash;
        if (!r.explicit_hash_key.empty()) {
            // The codec checked the grammar and the 2^128-1 bound; parse cannot fail on what it
            // accepted, but a mismatch must not store the record under another key.
            hash = store::HashKey::parse(r.explicit_hash_key);
            if (!hash)
                return reject({std::string(et::validation),
                               "records[" + std::to_string(i) + "].explicit_hash_key out of range",
                               false},
                              "bad_field");
        }
        entries.push_back({r.partition_key, hash, r.data});
    }
    store::BatchKey key{batch.header.producer_id, batch.header.flow, batch.header.sequence};
    auto put = store_.put_records(stream, entries, &key);
    if (!put) return reject(store_batch_error(put.error()), error_reason(put.error()));

    wire::BatchAnswer a;
    a.records.reserve(put->outcomes.size());
    uint64_t ok = 0;
    for (auto& o : put->outcomes) {
        wire::RecordResult r;
        r.ok = o.ok;
        if (o.ok) {
            ++ok;
            r.shard_index = o.shard;
            r.sequence_number = std::move(o.sequence_number);
        } else {
            r.error_code = std::string(record_error_code(o.error));
            r.error_message = clip_utf8(std::move(o.error_message), wire::kMaxErrorMessageBytes);
            if (!put->replayed) stats_.record_failed(r.error_code);
        }
        a.records.push_back(std::move(r));
    }
    if (put->replayed) {
        stats_.batches_replayed.fetch_add(1);
    } else {
        stats_.batches_stored.fetch_add(1);
        stats_.records_stored.fetch_add(ok);
    }
    return a;
}

std::optional<Reply> Handler::handle(const Request& request) {
    auto topic = wire::parse_put_topic(request.topic);
    if (!topic) {
        stats_.dropped(DropReason::topic);
        TRIB_LOG(debug, "mqtt_request_dropped").kv("reason", "topic");
        return std::nullopt;
    }
    auto ack = wire::ack_topic(topic->device);
    if (!ack || request.response_topic != *ack) {
        stats_.dropped(DropReason::response_topic);
        TRIB_LOG(debug, "mqtt_request_dropped")
            .kv("reason", "response_topic")
            .kv("device", topic->device);
        return std::nullopt;
    }
    if (request.correlation_data.empty() ||
        request.correlation_data.size() > kMaxCorrelationBytes) {
        stats_.dropped(DropReason::correlation);
        TRIB_LOG(debug, "mqtt_request_dropped")
            .kv("reason", "correlation")
            .kv("device", topic->device);
        return std::nullopt;
    }

    wire::BatchAnswer answer;
    auto batch = wire::decode_batch(request.payload);
    if (!batch) {
        answer = reject(wire::batch_error_for(batch.error()), error_reason(batch.error()));
        TRIB_LOG(debug, "mqtt_request_rejected")
            .kv("device", topic->device)
            .kv("error", batch.error().message);
    } else {
        answer = store_batch(topic->stream, *batch);
    }

    Reply reply{std::move(*ack), {}};
    if (auto enc = wire::encode_answer(answer, reply.payload); !enc) {
        // Only a bug can get here (every field above is within the answer's grammar); the
        // agent still needs an answer it can act on, and resending is safe.
        TRIB_LOG(error, "mqtt_answer_encode_failed").kv("error", enc.error().message);
        wire::BatchAnswer fallback;
        fallback.error = wire::BatchError{std::string(et::internal_failure), "", true};
        stats_.batch_error(et::internal_failure, "encode");
        if (!wire::encode_answer(fallback, reply.payload)) return std::nullopt;
    }
    return reply;
}

}  // namespace tributary::collector::ingest::mqtt
