#pragma once
// Errors of the metrics source. Only configuration can fail: once created, a sample never fails
// as a whole (an unreadable file only drops its group or field; see metrics.h).

#include <system_error>

namespace tributary::agent::sources::metrics {

enum class errc {
    unknown_group = 1,  // a name in Options::groups that is not one of the valid groups
    invalid_interval,   // Options::interval not positive
};

const std::error_category& metrics_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), metrics_category()};
}

}  // namespace tributary::agent::sources::metrics

template <>
struct std::is_error_code_enum<tributary::agent::sources::metrics::errc> : std::true_type {};
