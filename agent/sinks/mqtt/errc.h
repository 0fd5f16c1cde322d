#pragma once
// Errors of the MQTT sink's setup. Delivery outcomes are not errors: put() reports them as
// Status (ok, retry, fatal) with the broker's or the collector's own words.

#include <system_error>

namespace tributary::agent::sinks::mqtt {

enum class errc {
    invalid_option = 1,  // an option out of range: URI scheme, device id, timeouts, half a key pair
    bad_tls_file,        // ca_file, cert_file or key_file unreadable
    client_failed,       // Paho refused to create the client (a URI it cannot parse)
};

const std::error_category& mqtt_sink_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), mqtt_sink_category()};
}

}  // namespace tributary::agent::sinks::mqtt

template <>
struct std::is_error_code_enum<tributary::agent::sinks::mqtt::errc> : std::true_type {};
