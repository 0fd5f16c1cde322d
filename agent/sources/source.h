#pragma once
// A source kind: what the engine needs to know to build one from a flow of agent.json. Each
// kind is a folder (tail/, metrics/) with a descriptor, and one line in source_list.cpp.
//
// The keys a source reads are parsed and checked by agent/config (the Kinesis Agent's flat
// agent.json has no per-component sections); `keys` declares them for documentation and for
// the list's own tests.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/engine/ports.h"
#include "shared/result.h"

namespace tributary::agent {

// One agent.json key a component reads: name, JSON type, default, meaning.
struct KeySpec {
    std::string_view name, type, default_value, description;
};

}  // namespace tributary::agent

namespace tributary::agent::sources {

struct SourceContext {
    const config::AgentConfig& agent;
    const config::FlowConfig& flow;
    // The spool's checkpoints under a prefix (a tail's file positions), in key order.
    std::function<Result<std::vector<std::pair<std::string, std::string>>>(std::string_view)>
        checkpoints;
    // The agent's own totals as a JSON object (the metrics source's "agent" group).
    std::function<std::string()> agent_counters;
};

struct SourceDescriptor {
    std::string_view name;  // agent.json "source"
    std::string_view description;
    config::Source kind;
    std::span<const KeySpec> keys;
    // Errors: the module's own (a pattern or option it rejects, an unusable directory).
    Result<std::unique_ptr<engine::Source>> (*make)(const SourceContext& ctx);
};

// In source_list.cpp, one line each.
extern const SourceDescriptor kTail;
extern const SourceDescriptor kMetrics;

std::span<const SourceDescriptor* const> source_list();
const SourceDescriptor* find_source(config::Source kind);  // never null for a parsed config

}  // namespace tributary::agent::sources
