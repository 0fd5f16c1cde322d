#pragma once
// The MQTT sink's decisions without the MQTT client: options validation, the Correlation Data
// of a batch, the classification of answers and of broker refusals, the reconnect delay. Pure
// functions (reconnect_delay draws from the generator it is given), free of Paho so they can be
// unit-tested without a broker.

#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "agent/sinks/mqtt/sink.h"
#include "shared/wire/answer.h"

namespace tributary::agent::sinks::mqtt {

// Errors: as Sink::create() lists them, except client_failed. TLS files are only checked for
// readability here.
Result<void> validate(const Options& options);

// Errors: errc::invalid_option (wrong length or not lower-case hex), message says which.
Result<std::array<uint8_t, 16>> parse_producer_id(std::string_view hex);

inline constexpr size_t kCorrelationBytes = 16;
// docs/mqtt.md §5.1.2: the batch sequence as 8 bytes big-endian, then the first 8 bytes of
// SHA-256 of the flow. Every attempt of a batch carries the same value, so an answer to any
// attempt settles it.
std::string correlation_data(std::string_view flow, uint64_t sequence);

// An answer decoded for a request of `record_count` records: per-record results → ok (failed
// records retry; throttled when a record was throttled); a whole-batch error → retry or fatal by
// its retryable flag (throttled for the throttling types). The caller has checked that a
// per-record answer has record_count results (answer_matches()).
SendResult classify(const wire::BatchAnswer& answer);
bool answer_matches(const wire::BatchAnswer& answer, size_t record_count);

// Why a CONNECT failed, for put()'s answer while disconnected. `reason_code` is the CONNACK's
// MQTT 5 reason code (0 when none arrived), `tls_error` OpenSSL's last complaint (may be
// empty), `what` Paho's message, `over_tls` whether the URI is ssl://. Fatal when an operator
// must act: the broker refused our credentials, identity or protocol, the broker's certificate
// failed verification, or the broker refused ours with a TLS alert (tls_probe() finds these;
// Paho reports every TLS failure as a bare "TCP/TLS connect failure"). A bare failure without
// a TLS complaint is retry (network, broker down), with a hint over TLS.
struct ConnectFailure {
    Status status = Status::retry;
    bool throttled = false;
    std::string error;
};
ConnectFailure classify_connect_failure(int reason_code, std::string_view tls_error,
                                        std::string_view what, bool over_tls);

// A PUBACK with a failure reason code (MQTT 5): not authorized, topic name invalid, packet too
// large, payload format invalid → fatal (the same request will be refused again); quota
// exceeded → retry, throttled; anything else → retry.
ConnectFailure classify_publish_failure(int reason_code, std::string_view what);

// The full-jitter wait before reconnect attempt `attempt` (0 = the first after a loss): uniform
// in [0, min(max, min * 2^attempt)].
std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds min,
                                          std::chrono::milliseconds max, unsigned attempt,
                                          std::mt19937_64& rng);

// "shardId-000000000007", as Kinesis names shards.
std::string shard_id(uint32_t index);

}  // namespace tributary::agent::sinks::mqtt
