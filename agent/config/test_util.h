#pragma once
// Helpers shared by the agent/config tests.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "agent/config/agent_config.h"

namespace tributary::agent::config::testing {

// No AWS_* variables; a hostname that makes a valid deviceId.
inline Environment test_env() {
    Environment env;
    env.hostname = "pi-kitchen";
    return env;
}

inline Result<AgentConfig> parse(std::string_view text, const Environment& env = test_env()) {
    return parse_agent_config(text, "agent.json", env);
}

// A document with the given global keys (a JSON fragment ending in a comma, or empty) and one
// file flow with the given extra flow keys (a fragment starting with a comma, or empty).
inline std::string doc(std::string_view globals, std::string_view flow_keys = "") {
    return "{" + std::string(globals) +
           R"( "flows": [{"filePattern": "/var/log/app.log*", "kinesisStream": "s")" +
           std::string(flow_keys) + "}]}";
}

inline AgentConfig parse_ok(std::string_view text, const Environment& env = test_env()) {
    auto c = parse(text, env);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message) << "\n" << text;
    return c ? *c : AgentConfig{};
}

inline Error parse_error(std::string_view text, const Environment& env = test_env()) {
    auto c = parse(text, env);
    EXPECT_FALSE(c.has_value()) << "accepted:\n" << text;
    return c ? Error{} : c.error();
}

}  // namespace tributary::agent::config::testing
