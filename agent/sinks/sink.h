#pragma once
// A sink kind: a transport that the flows naming it share (one HTTPS client per API, one MQTT
// connection per agent), and what each flow gets from it: a SendFn and, where the destination
// has shards, a ShardsFn for the flow's lanes. Each kind is a folder (https/, mqtt/) with a
// descriptor, and one line in sink_list.cpp.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "agent/config/agent_config.h"
#include "agent/engine/ports.h"
#include "agent/sources/source.h"  // KeySpec
#include "shared/result.h"

namespace tributary::agent::sinks {

// A sink's own SendResult (https::, mqtt::: the same shape) as the engine's outcome: the
// call's status, one status per record, and the first record error when the call has none.
template <class SinkResult>
engine::SendOutcome to_outcome(SinkResult r) {
    auto status = [](auto s) {
        using S = decltype(s);
        return s == S::ok ? engine::SendStatus::ok
               : s == S::fatal ? engine::SendStatus::fatal
                               : engine::SendStatus::retry;
    };
    engine::SendOutcome o;
    o.status = status(r.status);
    o.throttled = r.throttled;
    o.error = std::move(r.error);
    o.records.reserve(r.records.size());
    for (const auto& rec : r.records) {
        o.records.push_back(status(rec.status));
        if (o.records.back() != engine::SendStatus::ok && o.error.empty())
            o.error = rec.error_code + ": " + rec.error_message;
    }
    return o;
}

struct Delivery {
    engine::SendFn send;
    engine::ShardsFn shards;  // empty: the flow sends one batch at a time
};

// Thread-safety: delivery() is called while the engine starts; the functions it returns are
// called from the flows' lane threads at once.
class Transport {
public:
    virtual ~Transport() = default;
    // Errors: the sink's own (an unusable endpoint or certificate file).
    virtual Result<Delivery> delivery(const config::FlowConfig& flow) = 0;
};

struct SinkContext {
    const config::AgentConfig& agent;
    std::string producer_id;  // the spool's, for the idempotence hook
};

struct SinkDescriptor {
    std::string_view name;  // agent.json flow "sink"
    std::string_view description;
    config::Sink kind;
    std::span<const KeySpec> keys;
    // Builds the transport once, for every flow that names this sink.
    Result<std::unique_ptr<Transport>> (*make)(const SinkContext& ctx);
};

// In sink_list.cpp, one line each.
extern const SinkDescriptor kHttps;
extern const SinkDescriptor kMqtt;

std::span<const SinkDescriptor* const> sink_list();
const SinkDescriptor* find_sink(config::Sink kind);  // null: a kind this build lacks

}  // namespace tributary::agent::sinks
