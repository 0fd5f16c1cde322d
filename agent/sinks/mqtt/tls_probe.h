#pragma once
// Why a TLS connection to the broker failed. Paho reports every TLS failure as a bare
// "TCP/TLS connect failure", and its OpenSSL error callback cannot be used safely (Paho C++
// 1.2 leaves it pointing at a destroyed copy of the options). So after such a failure the sink
// repeats the handshake itself with OpenSSL and the same CA, client certificate and
// verification settings, and reads briefly: under TLS 1.3 a broker refuses a client
// certificate with an alert only after the handshake. Blocking, bounded by `timeout`;
// thread-safe (no shared state).

#include <chrono>
#include <string>

#include "agent/sinks/mqtt/sink.h"

namespace tributary::agent::sinks::mqtt {

// OpenSSL's complaint ("...certificate verify failed...", "...tlsv13 alert certificate
// required..."), or "" when the handshake succeeded and the broker did not object (the failure
// was elsewhere: network, broker down).
std::string tls_probe(const Options& options, std::chrono::milliseconds timeout);

}  // namespace tributary::agent::sinks::mqtt
