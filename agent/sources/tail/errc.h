#pragma once
// Errors of the tail source. Only configuration and checkpoint decoding can fail: I/O trouble
// with individual files (permission denied, vanished files, missing directories) is logged and
// retried by Tail itself and never surfaces as an error.

#include <system_error>

namespace tributary::agent::sources::tail {

enum class errc {
    invalid_option = 1,  // a bad glob, regex or size in Options
    bad_position,        // a checkpoint byte string that is not a Position this code can read
    io,                  // the source's own machinery (inotify) failed in a way polling cannot cover
};

const std::error_category& tail_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), tail_category()}; }

}  // namespace tributary::agent::sources::tail

template <>
struct std::is_error_code_enum<tributary::agent::sources::tail::errc> : std::true_type {};
