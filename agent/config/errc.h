#pragma once
// Errors of the agent's configuration. Every Error in this category carries a message that names
// the file, the key as a path (`flows[1].maxBufferAgeMillis`) or the line and column of malformed
// JSON, and the reason; the code lets callers and tests tell the kinds apart without parsing text.

#include <system_error>

namespace tributary::agent::config {

enum class errc {
    io_error = 1,      // the file cannot be opened or read, or is not a regular file
    invalid_json,      // malformed JSON, a duplicate key, nesting too deep, a non-object top level
    unknown_key,       // a key no table lists (top level, in a flow, ...)
    wrong_type,        // e.g. a string where an integer is expected
    out_of_range,      // a number outside its documented range
    invalid_value,     // right type, wrong value: unknown enum name, bad regex, bad path, ...
    missing_key,       // a required key is absent (filePattern, kinesisStream|deliveryStream)
    conflicting_keys,  // keys that exclude each other (kinesisStream and deliveryStream, ...)
    duplicate_flow,    // two flows with the same id
};

const std::error_category& config_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), config_category()};
}

}  // namespace tributary::agent::config

template <>
struct std::is_error_code_enum<tributary::agent::config::errc> : std::true_type {};
