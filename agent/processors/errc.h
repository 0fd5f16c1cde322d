#pragma once
// Errors of the record processors. Only configuration can fail with an error: a record that a
// processor rejects is an Outcome (see processor.h), not an error, because it is routine data.

#include <system_error>

namespace tributary::agent::processors {

enum class errc {
    invalid_option = 1,  // a dataProcessingOptions entry is malformed (bad key, type or value)
    unknown_processor,   // optionName names no processor we have
    invalid_pattern,     // a regex (matchPattern, delimiter) does not compile
};

const std::error_category& processors_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), processors_category()}; }

}  // namespace tributary::agent::processors

template <>
struct std::is_error_code_enum<tributary::agent::processors::errc> : std::true_type {};
