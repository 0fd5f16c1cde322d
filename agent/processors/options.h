#pragma once
// Reading one dataProcessingOptions entry: typed getters whose errors name the entry and key
// ("dataProcessingOptions[1].logFormat: ..."), and the declared option table each processor
// publishes, against which unknown keys are refused.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/processors/errc.h"
#include "shared/result.h"

namespace tributary::agent::processors {

enum class OptionType { string, string_list, boolean, any };

// One row of a processor's option table: declared data, so the README and error messages can
// list what a processor accepts.
struct OptionSpec {
    std::string_view name;
    OptionType type;
    std::string_view default_value;  // "" when none (required or absent means off)
    std::string_view description;
};

class Options {
public:
    // `entry` must be an object; `where` is "dataProcessingOptions[i]".
    Options(const nlohmann::json& entry, std::string where) : entry_(entry), where_(std::move(where)) {}

    const std::string& where() const { return where_; }
    bool has(std::string_view key) const { return entry_.contains(key); }
    const nlohmann::json* get(std::string_view key) const;

    // Errors (all errc::invalid_option): the key is present with another type; for required
    // getters, the key is missing.
    Result<std::optional<std::string>> string(std::string_view key) const;
    Result<std::string> required_string(std::string_view key) const;
    // Absent: an empty list (use has() to tell absent from empty). Not optional<vector>: GCC 12
    // warns falsely (maybe-uninitialized) when one is moved out of a Result.
    Result<std::vector<std::string>> string_list(std::string_view key) const;
    // Accepts a JSON boolean or, as the Kinesis Agent writes them, the strings "true"/"false".
    Result<bool> boolean(std::string_view key, bool fallback) const;
    // Upper-cased enum value checked against `allowed`; the error lists them.
    Result<std::optional<std::string>> enumeration(std::string_view key,
                                                   std::span<const std::string_view> allowed) const;

    // Refuses any key not in `table` (and not optionName).
    Result<void> check_keys(std::span<const OptionSpec> table) const;

    tl::unexpected<Error> error(std::string_view key, std::string_view what) const;

private:
    const nlohmann::json& entry_;
    std::string where_;
};

}  // namespace tributary::agent::processors
