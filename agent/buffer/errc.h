#pragma once
// Errors of the agent's spool. The caller acts on the code: `full` means "stop reading and try
// again after the sender has removed entries"; `too_large` never goes away by waiting.

#include <system_error>

namespace tributary::agent::buffer {

enum class errc {
    full = 1,          // the flow's max_bytes (policy block) or the LMDB map has no room
    too_large,         // one append needs more than the flow's whole max_bytes
    invalid_argument,  // bad flow name, checkpoint key or options
    too_many_flows,    // more flows than the spool keeps databases for
    map_unavailable,   // open: the map of the configured size cannot be mapped (address space)
    locked,            // open: another process holds the spool directory
    format,            // open: unknown format version or a corrupt row
    closed,            // the spool is shutting down
    storage,           // any other LMDB or file-system failure
};

const std::error_category& spool_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), spool_category()}; }

}  // namespace tributary::agent::buffer

template <>
struct std::is_error_code_enum<tributary::agent::buffer::errc> : std::true_type {};
