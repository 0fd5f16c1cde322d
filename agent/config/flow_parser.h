#pragma once
// Internal to agent/config: one entry of `flows`, and the checks shared with the global keys.

#include <string>
#include <string_view>
#include <vector>

#include "agent/config/agent_config.h"
#include "agent/config/json_reader.h"

namespace tributary::agent::config::detail {

// Parses flows[index]. Notices for ignored keys go to `notices`. Errors: as
// parse_agent_config(), for keys inside this flow.
Result<FlowConfig> parse_flow(const json& value, size_t index, std::string_view file_name,
                              std::vector<std::string>& notices);

// Stream names as Kinesis (1-128) and Firehose (1-64) accept them: [a-zA-Z0-9_.-].
bool valid_stream_name(std::string_view name, Destination destination);

// An absolute path without NUL bytes; `reason` says what is wrong otherwise.
bool valid_absolute_path(std::string_view path, std::string& reason);

}  // namespace tributary::agent::config::detail
