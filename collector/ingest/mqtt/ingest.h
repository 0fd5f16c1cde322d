#pragma once
// Ingest: the collector's MQTT transport (docs/mqtt.md, collector side). One Paho MQTT 5
// client subscribes to $share/<group>/tributary/v1/+/put/+ with QoS 1 in a persistent session
// (Clean Start 0, Session Expiry), hands every request to a bounded queue drained by `workers`
// threads that run Handler (decode → store with dedup → answer after the group commit's
// fsync), and publishes each answer QoS 1 to the request's Response Topic with its
// Correlation Data. See README.md for when Paho sends the PUBACK and why exactly-once does not
// depend on it.
//
// Back-pressure: Paho's callback thread only enqueues. When `queue_capacity` requests wait,
// the callback blocks until a worker frees a slot, so Paho stops reading the socket and the
// broker holds the rest (TCP flow control, then its own queue). Memory is bounded by
// queue_capacity + workers requests (each at most one MQTT packet, Maximum Packet Size).
//
// Connection: connects in the background and reconnects after a loss with capped exponential
// backoff and full jitter (a uniform wait in [0, min(cap, base * 2^attempt)], the attempt
// counter reset by a connection that stayed up `reconnect_reset`). Re-subscribes on every
// connect (harmless when the broker kept the session).
//
// Lifecycle: start() validates the options, creates the client and returns at once; the HTTP
// API does not wait for the broker. stop() (or the destructor) stops taking requests, lets the
// workers finish the queued ones and publish their answers, disconnects (keeping the broker
// session, so requests published meanwhile wait for the next start), and joins every thread.
// Not copyable; start/stop from one thread; the other functions from any thread. The store
// must outlive the Ingest.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "collector/ingest/mqtt/stats.h"
#include "collector/store/shard_store.h"
#include "shared/result.h"

namespace tributary::collector::ingest::mqtt {

struct IngestOptions {
    std::string broker;     // tcp://host:1883, ssl://host:8883 (also mqtt://, mqtts://)
    std::string client_id;  // stable per collector process; default tributary-collector-<host>
    std::string share_group = "tributary";
    std::string ca_file;    // PEM CAs the broker's certificate must chain to (ssl://)
    std::string cert_file;  // PEM client certificate for mTLS (with key_file)
    std::string key_file;
    std::string username, password;  // optional
    size_t workers = 4;              // threads calling the store: the group commit batches them
    // Requests waiting for a worker; also the Receive Maximum sent in CONNECT (docs/mqtt.md §6).
    size_t queue_capacity = 64;
    uint32_t session_expiry_s = 3600;  // broker keeps the session (and queued requests) this long
    uint32_t answer_expiry_s = 3600;   // Message Expiry Interval of answers
    uint32_t keep_alive_s = 30;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds reconnect_base{1'000}, reconnect_cap{60'000},
        reconnect_reset{60'000};
    std::chrono::milliseconds drain_timeout{30'000};  // stop(): at most this for queued work
};

// The largest MQTT packet the ingest accepts (Maximum Packet Size in CONNECT): the largest
// valid request (wire::kMaxRequestBytes) plus the fixed header, topic and properties.
inline constexpr uint32_t kMaxPacketBytes = 5'280'000;

class Ingest {
public:
    // Errors: invalid_options (no broker, share group or client id breaking the topic grammar,
    // workers or queue_capacity 0, cert without key, TLS files with a tcp:// broker),
    // client_failed (Paho refused the URI or the options).
    static Result<std::unique_ptr<Ingest>> start(store::ShardStore& store, IngestOptions options);
    ~Ingest();
    Ingest(const Ingest&) = delete;
    Ingest& operator=(const Ingest&) = delete;

    void stop();

    // True while connected and subscribed.
    bool connected() const;
    // Waits until connected() (tests, startup logs); false after `timeout`.
    bool wait_connected(std::chrono::milliseconds timeout) const;

    const IngestStats& stats() const;
    void render_metrics(std::string& out) const;

private:
    struct Impl;
    explicit Ingest(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::collector::ingest::mqtt
