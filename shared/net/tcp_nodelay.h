#pragma once
// Turns off Nagle's algorithm on the process's TCP connections to a port, for client libraries
// that do not (Paho MQTT C 1.3 offers no option and no access to its socket).
//
// Why it matters: an MQTT client writes a 4-byte PUBACK and, moments later, a publish smaller
// than a segment. With Nagle on, the publish waits until the PUBACK is acknowledged, and the
// peer delays that acknowledgement by up to 40 ms: every request/answer round trip through the
// broker took 40-45 ms instead of 1-4 ms.
//
// Call after the library has connected (and after every reconnect). Thread-safe; errors are
// ignored (a socket that vanished meanwhile is not ours to worry about).

#include <cstdint>

namespace tributary::net {

// Sets TCP_NODELAY on every connected TCP socket of this process whose peer port is
// `peer_port`. Returns how many sockets it changed.
int set_nodelay_to_port(uint16_t peer_port);

// The port of a broker URI such as "tcp://host:1883", "ssl://[::1]:8883" or "mqtt://host"
// (defaults: 1883 plain, 8883 TLS); 0 when it cannot be read.
uint16_t uri_port(const char* uri);

}  // namespace tributary::net
