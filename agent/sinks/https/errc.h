#pragma once
// Errors of the HTTPS sink's setup and request building. Delivery outcomes are not errors: put()
// reports them as Status (ok, retry, fatal) with the service's own error text.

#include <system_error>

namespace tributary::agent::sinks::https {

enum class errc {
    bad_endpoint = 1,  // endpoint URL unparsable, unknown scheme, query/fragment/userinfo, bad port
    bad_ca_file,       // ca_file unreadable or holds no PEM certificate
    invalid_option,    // an option out of range (timeouts, credentials half set, header injection)
    invalid_batch,     // a batch the service would reject as is (limits, tag format, bad UTF-8)
    list_shards_failed,  // ListShards failed: transport, an error answer, or a malformed one
};

const std::error_category& https_sink_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), https_sink_category()};
}

}  // namespace tributary::agent::sinks::https

template <>
struct std::is_error_code_enum<tributary::agent::sinks::https::errc> : std::true_type {};
