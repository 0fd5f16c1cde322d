// The MQTT sink as the engine sees it: one connection per agent (docs/mqtt.md), shared by
// every flow with "sink": "mqtt".

#include "agent/sinks/mqtt/sink.h"
#include "agent/sinks/sink.h"

namespace tributary::agent::sinks {
namespace {

class MqttTransport : public Transport {
public:
    MqttTransport(std::shared_ptr<mqtt::Sink> sink, std::string producer)
        : sink_(std::move(sink)), producer_(std::move(producer)) {}

    Result<Delivery> delivery(const config::FlowConfig&) override {
        auto send = [sink = sink_, producer = producer_](
                        std::string_view stream, std::span<const engine::OutRecord> records,
                        std::string_view tag, uint64_t sequence) {
            std::vector<mqtt::OutRecord> out;
            out.reserve(records.size());
            for (const auto& r : records) out.push_back({r.partition_key, r.data, {}, 0});
            return to_outcome(sink->put(stream, out, {producer, std::string(tag), sequence}));
        };
        // No ListShards over MQTT (protocol v1): one batch in flight per flow.
        return Delivery{std::move(send), engine::ShardsFn{}};
    }

private:
    std::shared_ptr<mqtt::Sink> sink_;
    std::string producer_;
};

Result<std::unique_ptr<Transport>> make(const SinkContext& ctx) {
    const config::AgentConfig& c = ctx.agent;
    mqtt::Options o;
    o.broker_uri = c.mqtt.broker;
    o.device_id = c.device_id;
    o.client_id = c.mqtt.client_id;
    o.username = c.mqtt.username;
    o.password = c.mqtt.password;
    o.ca_file = c.mqtt.ca_file.empty() ? c.tls.ca_file : c.mqtt.ca_file;
    o.cert_file = c.mqtt.cert_file;
    o.key_file = c.mqtt.key_file;
    o.verify_tls = c.tls.verify;
    o.connect_timeout = c.connection_timeout;
    o.answer_timeout = c.mqtt.answer_timeout;
    o.compress = c.mqtt.compress;
    TRIB_TRY(auto sink, mqtt::Sink::create(std::move(o)));
    return std::unique_ptr<Transport>(std::make_unique<MqttTransport>(
        std::shared_ptr<mqtt::Sink>(std::move(sink)), ctx.producer_id));
}

constexpr KeySpec kKeys[] = {
    {"mqtt.broker", "string", "(required)", "tcp://HOST:PORT or ssl://HOST:PORT"},
    {"deviceId", "string", "the hostname", "the device's topic level: tributary/v1/<deviceId>/..."},
    {"mqtt.clientId", "string", "deviceId", "MQTT client id"},
    {"mqtt.username", "string", "", "broker login"},
    {"mqtt.password", "string", "", "broker login"},
    {"mqtt.caFile", "string", "tls.caFile", "CAs to trust for the broker"},
    {"mqtt.certFile", "string", "", "client certificate (mutual TLS)"},
    {"mqtt.keyFile", "string", "", "its key"},
    {"mqtt.answerTimeoutMillis", "integer", "30000", "resend a batch without an answer by then"},
    {"mqtt.compression", "string", "zstd", "zstd | none"},
};

}  // namespace

const SinkDescriptor kMqtt = {
    "mqtt",
    "binary batches through an MQTT 5 broker to the collector's MQTT ingest, answered after "
    "fsync, exactly once (docs/mqtt.md)",
    config::Sink::mqtt,
    kKeys,
    make,
};

}  // namespace tributary::agent::sinks
