#pragma once
// A test double for the collector's MQTT ingest (collector/ingest/mqtt is being written in
// parallel by another engineer; when it lands, an integration test against the real collector
// should join these). A Paho MQTT 5 client that subscribes to tributary/v1/+/put/+, decodes
// every request with wire::decode_batch, records what it saw, and answers on the request's
// Response Topic with the request's Correlation Data and whatever the test's responder says.
//
// Thread-safety: the responder runs on Paho's callback thread; the accessors lock.

#include <mqtt/async_client.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shared/wire/batch.h"
#include "tests/support/mosquitto_server.h"

namespace tributary::agent::sinks::mqtt::testing {

struct SeenRequest {
    std::string topic, response_topic, correlation;
    uint32_t message_expiry = 0;  // seconds; 0 = absent
    wire::BatchHeader header;
    bool compressed = false;
    size_t payload_bytes = 0;
    std::vector<std::string> partition_keys, data;
};

// nullopt: do not answer (the agent must time out).
using Responder = std::function<std::optional<wire::BatchAnswer>(const SeenRequest&)>;

// Every record stored, sequence numbers "4965…<batch sequence><index>" in shard 0.
wire::BatchAnswer all_ok(const SeenRequest& r);

class CollectorDouble {
public:
    struct Tls {
        std::string ca;
        tests::support::Pki::KeyPair identity;
    };
    CollectorDouble(std::string uri, Responder responder, std::optional<Tls> tls = std::nullopt);
    ~CollectorDouble();

    // Connects (reconnecting by itself after a broker restart) and subscribes; false on failure.
    bool connect();
    std::vector<SeenRequest> requests() const;
    // Waits (bounded) until at least n requests arrived.
    bool wait_for_requests(size_t n, std::chrono::milliseconds timeout) const;
    // Publishes an arbitrary answer payload to the agent (stray, late or garbage answers).
    void send_raw(const std::string& topic, const std::string& correlation, std::string payload);

private:
    void on_message(const ::mqtt::const_message_ptr& m);

    std::unique_ptr<::mqtt::async_client> client_;
    ::mqtt::connect_options opts_;
    Responder responder_;
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::vector<SeenRequest> seen_;
};

}  // namespace tributary::agent::sinks::mqtt::testing
