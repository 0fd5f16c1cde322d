#pragma once
// Errors of the MQTT ingest itself (not of a request: those become answers, see handler.h).
// They come from starting the ingest: options that cannot work, a Paho client that cannot be
// created.

#include <system_error>

namespace tributary::collector::ingest::mqtt {

enum class errc {
    invalid_options = 1,  // an option is missing or contradicts another (message names it)
    client_failed,        // Paho refused to create the client (bad URI, bad TLS files)
};

const std::error_category& ingest_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), ingest_category()};
}

}  // namespace tributary::collector::ingest::mqtt

template <>
struct std::is_error_code_enum<tributary::collector::ingest::mqtt::errc> : std::true_type {};
