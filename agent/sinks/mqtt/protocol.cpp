// The MQTT sink's pure decisions (see protocol.h and README.md's outcomes table).

#include "agent/sinks/mqtt/protocol.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "shared/crypto/digest.h"
#include "shared/wire/topic.h"

namespace tributary::agent::sinks::mqtt {
namespace {

using namespace std::chrono_literals;

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

Result<void> readable(const std::string& path, std::string_view what) {
    if (path.empty()) return {};
    if (::access(path.c_str(), R_OK) != 0)
        return fail(errc::bad_tls_file, std::string(what) + " '" + path + "' is not readable");
    return {};
}

// Whole-batch error types that mean "slow down" (the same list the HTTPS sink uses, minus the
// HTTP-only names).
constexpr std::string_view throttling_types[] = {
    "ThrottlingException",         "ProvisionedThroughputExceededException",
    "LimitExceededException",      "KMSThrottlingException",
    "ServiceUnavailableException",
};

bool is_throttling(std::string_view type) {
    return std::find(std::begin(throttling_types), std::end(throttling_types), type) !=
           std::end(throttling_types);
}

// MQTT 5 reason codes (OASIS MQTT 5.0, 2.4) that the sink acts on.
constexpr int rc_unspecified = 0x80;
constexpr int rc_malformed = 0x81;
constexpr int rc_protocol_error = 0x82;
constexpr int rc_implementation_specific = 0x83;
constexpr int rc_unsupported_version = 0x84;
constexpr int rc_client_id_invalid = 0x85;
constexpr int rc_bad_user_or_password = 0x86;
constexpr int rc_not_authorized = 0x87;
constexpr int rc_server_unavailable = 0x88;
constexpr int rc_server_busy = 0x89;
constexpr int rc_banned = 0x8A;
constexpr int rc_bad_auth_method = 0x8C;
constexpr int rc_topic_name_invalid = 0x90;
constexpr int rc_packet_too_large = 0x95;
constexpr int rc_quota_exceeded = 0x97;
constexpr int rc_payload_format_invalid = 0x99;
constexpr int rc_connection_rate_exceeded = 0x9F;

std::string reason_text(int rc) {
    switch (rc) {
        case rc_unspecified:
            return "unspecified error";
        case rc_malformed:
            return "malformed packet";
        case rc_protocol_error:
            return "protocol error";
        case rc_implementation_specific:
            return "implementation specific error";
        case rc_unsupported_version:
            return "unsupported protocol version (the broker needs MQTT 5)";
        case rc_client_id_invalid:
            return "client identifier not valid";
        case rc_bad_user_or_password:
            return "bad user name or password";
        case rc_not_authorized:
            return "not authorized";
        case rc_server_unavailable:
            return "server unavailable";
        case rc_server_busy:
            return "server busy";
        case rc_banned:
            return "banned";
        case rc_bad_auth_method:
            return "bad authentication method";
        case rc_topic_name_invalid:
            return "topic name invalid";
        case rc_packet_too_large:
            return "packet too large";
        case rc_quota_exceeded:
            return "quota exceeded";
        case rc_payload_format_invalid:
            return "payload format invalid";
        case rc_connection_rate_exceeded:
            return "connection rate exceeded";
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%02X", rc);
    return std::string("reason code ") + buf;
}

bool contains(std::string_view s, std::string_view part) {
    return s.find(part) != std::string_view::npos;
}

}  // namespace

Result<void> validate(const Options& o) {
    auto bad = [](std::string m) { return fail(errc::invalid_option, std::move(m)); };
    bool tls = starts_with(o.broker_uri, "ssl://");
    if (!tls && !starts_with(o.broker_uri, "tcp://"))
        return bad("broker_uri '" + o.broker_uri + "' must start with tcp:// or ssl://");
    if (o.broker_uri.size() <= 6) return bad("broker_uri '" + o.broker_uri + "' has no host");
    if (!wire::is_device_id(o.device_id))
        return bad("device_id '" + o.device_id + "' must be 1 to 128 characters of [A-Za-z0-9._-]");
    if (o.keepalive <= 0s) return bad("keepalive must be > 0");
    if (o.connect_timeout <= 0ms) return bad("connect_timeout must be > 0");
    if (o.answer_timeout <= 0ms) return bad("answer_timeout must be > 0");
    if (o.reconnect_min <= 0ms || o.reconnect_max < o.reconnect_min)
        return bad("reconnect backoff needs 0 < reconnect_min <= reconnect_max");
    if (o.stable_connection <= 0ms) return bad("stable_connection must be > 0");
    if (o.session_expiry <= 0s) return bad("session_expiry must be > 0 (a persistent session)");
    if (o.max_inflight < 1 || o.max_inflight > 65535) return bad("max_inflight must be 1..65535");
    if (o.receive_maximum < 1 || o.receive_maximum > 65535)
        return bad("receive_maximum must be 1..65535");
    if (o.cert_file.empty() != o.key_file.empty())
        return bad("cert_file and key_file go together (mutual TLS)");
    if (!tls && (!o.ca_file.empty() || !o.cert_file.empty()))
        return bad("ca_file, cert_file and key_file need an ssl:// broker_uri");
    TRIB_TRY_VOID(readable(o.ca_file, "ca_file"));
    TRIB_TRY_VOID(readable(o.cert_file, "cert_file"));
    TRIB_TRY_VOID(readable(o.key_file, "key_file"));
    return {};
}

Result<std::array<uint8_t, 16>> parse_producer_id(std::string_view hex) {
    std::array<uint8_t, 16> out{};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (hex.size() != 32)
        return fail(errc::invalid_option, "producer id must be 32 lower-case hex digits, got " +
                                              std::to_string(hex.size()) + " characters");
    for (size_t i = 0; i < 16; ++i) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return fail(errc::invalid_option, "producer id must be 32 lower-case hex digits");
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::string correlation_data(std::string_view flow, uint64_t sequence) {
    std::string out(kCorrelationBytes, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(sequence >> (56 - 8 * i));
    std::string digest = crypto::sha256(flow);
    std::copy_n(digest.begin(), 8, out.begin() + 8);
    return out;
}

bool answer_matches(const wire::BatchAnswer& answer, size_t record_count) {
    return answer.error || answer.records.size() == record_count;
}

SendResult classify(const wire::BatchAnswer& answer) {
    SendResult r;
    if (answer.error) {
        const wire::BatchError& e = *answer.error;
        r.status = e.retryable ? Status::retry : Status::fatal;
        r.throttled = e.retryable && is_throttling(e.type);
        r.error = e.type + ": " + e.message;
        if (e.type == wire::error_type::resource_not_found)
            r.error += " (will retry: the stream may be created later)";
        return r;
    }
    r.status = Status::ok;
    r.records.reserve(answer.records.size());
    size_t failed = 0;
    std::string first_failure;
    for (const wire::RecordResult& a : answer.records) {
        RecordResult rr;
        if (a.ok) {
            rr.sequence_number = a.sequence_number;
            rr.shard_id = shard_id(a.shard_index);
        } else {
            // Record-level failures are transient by definition (docs/mqtt.md §9): the record
            // goes into a later batch with a new number.
            rr.status = Status::retry;
            rr.error_code = a.error_code;
            rr.error_message = a.error_message;
            if (is_throttling(a.error_code)) r.throttled = true;
            if (failed++ == 0) first_failure = a.error_code + ": " + a.error_message;
        }
        r.records.push_back(std::move(rr));
    }
    if (failed)
        r.error = std::to_string(failed) + " of " + std::to_string(answer.records.size()) +
                  " records failed, first " + first_failure;
    return r;
}

ConnectFailure classify_connect_failure(int reason_code, std::string_view tls_error,
                                        std::string_view what, bool over_tls) {
    ConnectFailure f;
    if (reason_code >= rc_unspecified) {
        f.error = "broker refused the connection: " + reason_text(reason_code);
        switch (reason_code) {
            case rc_unsupported_version:
            case rc_client_id_invalid:
            case rc_bad_user_or_password:
            case rc_not_authorized:
            case rc_banned:
            case rc_bad_auth_method:
                f.status = Status::fatal;
                f.error += " (check the device's credentials and the broker's ACL)";
                break;
            case rc_server_busy:
            case rc_quota_exceeded:
            case rc_connection_rate_exceeded:
                f.throttled = true;
                break;
            default:
                break;
        }
        return f;
    }
    if (!tls_error.empty()) {
        // Our side: the broker's certificate is not signed by ca_file or names another host.
        if (contains(tls_error, "certificate verify failed") ||
            contains(tls_error, "hostname mismatch") ||
            contains(tls_error, "IP address mismatch")) {
            f.status = Status::fatal;
            f.error = "TLS certificate verification failed: " + std::string(tls_error);
            return f;
        }
        // The broker's side: an alert refusing our certificate (none, unknown CA, expired).
        // Retrying cannot help until someone installs the right certificate.
        if (contains(tls_error, "alert certificate required") ||
            contains(tls_error, "alert bad certificate") ||
            contains(tls_error, "alert unknown ca") ||
            contains(tls_error, "alert certificate unknown") ||
            contains(tls_error, "alert certificate expired") ||
            contains(tls_error, "alert certificate revoked") ||
            contains(tls_error, "alert access denied") ||
            contains(tls_error, "alert handshake failure")) {
            f.status = Status::fatal;
            f.error = "broker refused the TLS client certificate: " + std::string(tls_error);
            return f;
        }
        f.error = "TLS error: " + std::string(tls_error);
        return f;
    }
    f.error = "cannot connect to the broker: " + std::string(what);
    if (over_tls)
        f.error +=
            " (if the broker is up, check that it accepts this device's client "
            "certificate: cert_file, key_file)";
    return f;
}

ConnectFailure classify_publish_failure(int reason_code, std::string_view what) {
    ConnectFailure f;
    if (reason_code < rc_unspecified) {
        f.error = "publish failed: " + std::string(what);
        return f;
    }
    f.error = "broker refused the request: " + reason_text(reason_code);
    switch (reason_code) {
        case rc_not_authorized:
            f.status = Status::fatal;
            f.error += " (check the broker's ACL for tributary/v1/<device>/put/#)";
            break;
        case rc_topic_name_invalid:
        case rc_packet_too_large:
        case rc_payload_format_invalid:
            f.status = Status::fatal;
            break;
        case rc_quota_exceeded:
            f.throttled = true;
            break;
        default:
            break;
    }
    return f;
}

std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds min,
                                          std::chrono::milliseconds max, unsigned attempt,
                                          std::mt19937_64& rng) {
    // Doubling past 2^20 overflows nothing but is pointless: every cap is reached by then.
    int64_t ceiling = min.count() << std::min(attempt, 20u);
    ceiling = std::min<int64_t>(ceiling, max.count());
    std::uniform_int_distribution<int64_t> pick(0, ceiling);
    return std::chrono::milliseconds(pick(rng));
}

std::string shard_id(uint32_t index) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "shardId-%012u", index);
    return buf;
}

}  // namespace tributary::agent::sinks::mqtt
