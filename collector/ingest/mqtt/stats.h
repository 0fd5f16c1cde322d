#pragma once
// IngestStats: the MQTT ingest's counters, rendered into the collector's /metrics
// (tributary_mqtt_*). Thread-safe: the Paho callback thread, the workers and the /metrics
// renderer touch them concurrently. The labelled error counters take a mutex; their label
// values come from our own tables (error types, codec reasons), never from a device, so the
// number of series stays bounded.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace tributary::collector::ingest::mqtt {

// Why a request was dropped without an answer (docs/mqtt.md §5.2 steps 1-2).
enum class DropReason : uint8_t {
    topic,           // not tributary/v1/<device>/put/<stream>: no safe place to answer
    response_topic,  // Response Topic absent or not the topic's own device's ack topic
    correlation,     // Correlation Data absent or over 64 bytes
    shutdown,        // arrived after the ingest stopped taking work (the agent resends)
};
inline constexpr size_t kDropReasons = 4;
std::string_view to_string(DropReason r);

class IngestStats {
public:
    std::atomic<uint64_t> received{0};          // requests delivered by the broker
    std::atomic<uint64_t> batches_stored{0};    // answered with results, records written
    std::atomic<uint64_t> batches_replayed{0};  // answered from the dedup entry, nothing written
    std::atomic<uint64_t> records_stored{0};    // records written (ok results of stored batches)
    std::atomic<uint64_t> answers_published{0};
    std::atomic<uint64_t> answers_failed{0};  // publish refused (disconnected): the agent resends
    std::atomic<uint64_t> connects{0};
    std::atomic<uint64_t> connections_lost{0};
    std::atomic<bool> connected{false};
    std::atomic<uint64_t> queued{0};  // requests waiting for a worker

    void dropped(DropReason r) { dropped_[static_cast<size_t>(r)].fetch_add(1); }
    uint64_t dropped_count(DropReason r) const { return dropped_[static_cast<size_t>(r)].load(); }

    // A whole-batch error answered: its type (ValidationException, ...) and a short reason
    // (the codec's or the store's error kind, e.g. over_limit, resource_not_found).
    void batch_error(std::string_view type, std::string_view reason);
    uint64_t batch_error_count(std::string_view type, std::string_view reason) const;
    // A record that failed inside a stored batch (ProvisionedThroughputExceededException, ...).
    void record_failed(std::string_view code);
    uint64_t record_failed_count(std::string_view code) const;

    // Appends the Prometheus text exposition of every counter.
    void render(std::string& out) const;

private:
    std::atomic<uint64_t> dropped_[kDropReasons]{};
    mutable std::mutex mu_;
    std::map<std::pair<std::string, std::string>, uint64_t> batch_errors_;
    std::map<std::string, uint64_t, std::less<>> record_failures_;
};

}  // namespace tributary::collector::ingest::mqtt
