#pragma once
// Engine: the running agent. Opens the spool, builds one Flow per configured flow (a source and
// a sink from their lists, agent/sources/source.h and agent/sinks/sink.h, with the flow's
// processors), and serves the local status endpoint.
//
// Lifecycle: start() opens everything and starts every flow; stop() stops reading at once,
// gives the senders up to the configured shutdown timeout to deliver what is spooled, and
// closes the spool. Whatever is not delivered stays in the spool for the next start: nothing
// acknowledged by the spool is lost. status() and metrics() are thread-safe.

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "agent/config/agent_config.h"
#include "shared/result.h"

namespace tributary::agent::engine {

class Engine {
public:
    // Errors: the spool cannot be opened (locked by another agent, map too large for this
    // host, ...), a flow's options are rejected by its module (bad regex, unknown processor),
    // the status address cannot be bound, the sink's endpoint or CA file is unusable.
    static Result<std::unique_ptr<Engine>> start(const config::AgentConfig& config);
    ~Engine();
    void stop();

    nlohmann::json status() const;
    std::string metrics() const;

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::agent::engine
