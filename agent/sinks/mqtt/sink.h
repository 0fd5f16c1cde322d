#pragma once
// The MQTT sink: sends one batch of records to the Tributary collector through an MQTT 5 broker
// (docs/mqtt.md, protocol v1) and classifies the outcome as ok, retry or fatal, with the same
// result shape as the HTTPS sink. Batching, backoff and the spool belong to the scheduler: the
// sink never resends, sleeps between attempts or drops anything itself.
//
// A request is published QoS 1 to tributary/v1/<device>/put/<stream> with Response Topic
// tributary/v1/<device>/ack and Correlation Data naming the batch; put() returns when the
// collector's answer arrives (after the records are fsync'd), or retry when none came within
// answer_timeout. The engine then resends the same batch with the same sequence, and the
// collector's deduplication answers it without storing anything twice.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sinks/mqtt/errc.h"
#include "shared/result.h"

namespace tributary::agent::sinks::mqtt {

struct Options {
    // "tcp://host:1883" or "ssl://host:8883" (TLS; see ca_file, cert_file, verify_tls).
    std::string broker_uri;
    // The device id of docs/mqtt.md: 1..128 of [A-Za-z0-9._-]. One topic level; the broker's
    // ACL confines the device to tributary/v1/<device>/...
    std::string device_id;
    std::string client_id;           // empty = device_id (docs/mqtt.md §3 recommends they agree)
    std::string username, password;  // optional; with mTLS the broker takes the CN instead
    // PEM bundle that *replaces* the system trust store for the broker's certificate; empty =
    // the system's default store.
    std::string ca_file;
    // Mutual TLS, one certificate per device whose CN is the device id (as AWS IoT Core):
    // both or neither.
    std::string cert_file, key_file;
    bool verify_tls = true;  // chain and host name; false only for tests (create() warns)
    std::chrono::seconds keepalive{60};
    std::chrono::milliseconds connect_timeout{10'000};  // one CONNECT (TCP, TLS, CONNACK)
    // How long put() waits for the collector's answer; also the request's Message Expiry
    // Interval (rounded up to whole seconds), so copies queued at the broker while the
    // collector is away expire with the attempt that sent them (docs/mqtt.md §4).
    std::chrono::milliseconds answer_timeout{30'000};
    // Reconnect after a lost or failed connection: a uniformly random wait in
    // [0, min(reconnect_max, reconnect_min * 2^attempt)] ("full jitter"); the attempt counter
    // resets once a connection stayed up stable_connection.
    std::chrono::milliseconds reconnect_min{1'000}, reconnect_max{60'000};
    std::chrono::milliseconds stable_connection{60'000};
    bool compress = true;  // zstd, and only when it saves bytes (docs/mqtt.md §7.4)
    // How long the broker keeps our session (subscription, queued answers) while we are away.
    std::chrono::seconds session_expiry{86'400};
    // Our QoS 1 publishes awaiting PUBACK. Each holds one request (up to 5 MiB) in Paho's
    // memory; more than the engine's lanes buys nothing.
    int max_inflight = 16;
    // CONNECT's Receive Maximum: answers the broker may push before we PUBACK them.
    int receive_maximum = 16;
};

struct OutRecord {
    std::string_view partition_key;      // 1..256 characters, UTF-8
    std::string_view data;               // raw bytes
    std::string_view explicit_hash_key;  // empty = none, else decimal 0..2^128-1
    uint64_t timestamp_ms = 0;           // when the record was produced; 0 = not given
};

// The batch's identity for the collector's deduplication (docs/agent-delivery.md), as in the
// HTTPS sink.
struct BatchTag {
    std::string producer_id;  // 32 lower-case hex digits, the agent's stable id
    std::string flow;         // the flow id, 1..1024 bytes of UTF-8
    uint64_t sequence = 0;    // strictly increasing per (producer, flow); a resend reuses it
};

enum class Status { ok, retry, fatal };

struct RecordResult {
    Status status = Status::ok;  // ok or retry (a record never fails fatally on its own)
    std::string error_code, error_message;
    std::string sequence_number;  // Kinesis SequenceNumber
    std::string shard_id;         // shardId-000000000007
};

struct SendResult {
    // ok: the collector answered with per-record results (look at `records`).
    // retry: nothing is known to be stored; resend the same batch (same sequence) later.
    // fatal: operator action is needed (a batch over the limits, a refused certificate, a
    //        broker or collector that rejects the request as is); keep the data, back off long.
    Status status = Status::retry;
    std::vector<RecordResult> records;  // one per input record, in order, when status == ok
    bool throttled = false;             // the collector or broker asked us to slow down
    std::string error;                  // for logs: "Type: message", or the transport error
};

// Counters since create(), for the status page and tests.
struct Stats {
    uint64_t published = 0;            // requests handed to the broker
    uint64_t answered = 0;             // answers that settled a put()
    uint64_t unmatched_answers = 0;    // answers for no outstanding put (late, duplicate)
    uint64_t undecodable_answers = 0;  // answers that failed to decode (ignored, as lost)
    uint64_t timeouts = 0;             // put()s that got no answer within answer_timeout
    uint64_t connects = 0;             // successful CONNECTs
    uint64_t connection_losses = 0;
    bool connected = false;  // connected and subscribed to the ack topic right now
};

// One MQTT 5 connection per agent, shared by all flows: create one Sink and give it to every
// flow. Lifecycle: create() starts a connection thread that connects (clean start 0, session
// expiry), subscribes to tributary/v1/<device>/ack and reconnects with backoff whenever the
// connection drops; a broker that is down is not an error, put() answers retry until it is up.
// The destructor disconnects; destroying the sink while a put() runs is undefined.
// Thread-safety: put() may be called from many threads at once; each waits for its own answer
// (matched by Correlation Data). The delivery protocol wants one batch per flow in flight.
// Durability: none here — a batch is durable in the spool until put() says ok.
class Sink {
public:
    // Errors: errc::invalid_option (URI not tcp:// or ssl://, device id outside its grammar,
    // an empty client id, a timeout or interval <= 0, reconnect_min > reconnect_max, a
    // cert_file without key_file or the reverse, TLS files with tcp://, max_inflight or
    // receive_maximum outside 1..65535), errc::bad_tls_file (a TLS file unreadable),
    // errc::client_failed (Paho rejects the URI or client id).
    static Result<std::unique_ptr<Sink>> create(Options options);

    virtual ~Sink() = default;

    // Sends one batch and waits for the collector's answer, at most about connect_timeout (a
    // connection attempt in progress) plus answer_timeout. Never throws. An empty batch sends
    // nothing and is ok. A batch the collector would reject as is (over the wire limits, a
    // malformed producer id, flow, stream name or partition key, larger than the broker's
    // Maximum Packet Size) is fatal without sending.
    virtual SendResult put(std::string_view stream, std::span<const OutRecord> records,
                           const BatchTag& tag) = 0;

    virtual Stats stats() const = 0;

protected:
    Sink() = default;
};

}  // namespace tributary::agent::sinks::mqtt
