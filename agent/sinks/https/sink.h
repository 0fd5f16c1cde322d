#pragma once
// The HTTPS sink: sends one batch of records to the Tributary collector or to AWS with
// Kinesis PutRecords or Firehose PutRecordBatch (JSON 1.1 over HTTP/1.1, optionally TLS and
// SigV4), and classifies the outcome as ok, retry or fatal. Batching, backoff and the spool
// belong to the scheduler: the sink never retries, sleeps or drops anything itself.
//
// Every request carries the idempotence headers of docs/agent-delivery.md (producer id, flow,
// batch sequence) so the collector can answer a resent batch with its original results.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sinks/https/errc.h"
#include "shared/aws/sigv4.h"
#include "shared/result.h"

namespace tributary::agent::sinks::https {

enum class Api { kinesis, firehose };

// Empty access_key_id = unsigned requests (a collector without --access-key-id). A session
// token is sent as X-Amz-Security-Token and signed over.
using Credentials = aws::Credentials;

struct Options {
    // "http://127.0.0.1:4567", "https://kinesis.eu-west-1.amazonaws.com", "https://gw/kinesis".
    // A path is the request target (for a collector behind a reverse proxy; default "/"); no
    // query, fragment or user info. Without "scheme://" the endpoint is https. Empty = AWS's
    // endpoint for `api` in `region` (https://kinesis.<region>.amazonaws.com[.cn]).
    std::string endpoint;
    Api api = Api::kinesis;
    std::string region = "us-east-1";  // SigV4 scope
    Credentials credentials;
    // PEM bundle that *replaces* the system trust store (a private CA for the collector);
    // empty = the system's default store.
    std::string ca_file;
    bool verify_tls = true;  // false only for tests; create() logs a warning
    // Bounds connecting, the TLS handshake and any single stall while writing or reading (it is
    // cpprest's one timer, restarted at each step).
    std::chrono::milliseconds connect_timeout{10'000};
    // Bounds the whole call; past it the request is cancelled and put() answers retry.
    std::chrono::milliseconds request_timeout{60'000};
    std::string user_agent = "tributary-agent/0.1";
};

// The service limits put() checks before sending (a batch over them can never succeed).
struct Limits {
    size_t max_records;       // per call
    size_t max_record_bytes;  // data (+ partition key for Kinesis) per record
    size_t max_batch_bytes;   // sum over the call of the same
};
constexpr Limits limits(Api api) {
    return api == Api::kinesis ? Limits{500, 1 << 20, 5 << 20} : Limits{500, 1000 * 1024, 4 << 20};
}

struct OutRecord {
    std::string_view partition_key;  // Kinesis: 1..256 characters; Firehose ignores it
    std::string_view data;           // raw bytes; base64-encoded on the wire
};

// The batch's identity for the collector's deduplication (docs/agent-delivery.md).
struct BatchTag {
    std::string producer_id;  // 32 lower-case hex digits, the agent's stable id
    std::string flow;         // the flow id, 1..1024 bytes; percent-encoded on the wire
    uint64_t sequence = 0;    // strictly increasing per (producer, flow); a resend reuses it
};

enum class Status { ok, retry, fatal };

// An open shard of a Kinesis stream, as ListShards names it (hash keys in decimal).
struct ShardInfo {
    std::string shard_id, starting_hash_key, ending_hash_key;
};

struct RecordResult {
    Status status = Status::ok;  // ok or retry (a record never fails fatally on its own)
    std::string error_code, error_message;
    std::string sequence_number;  // Kinesis SequenceNumber, Firehose RecordId
    std::string shard_id;         // Kinesis only
};

struct SendResult {
    // ok: the service answered the call (look at `records` for each record's outcome).
    // retry: nothing is known to be stored; resend the same batch (same sequence) later.
    // fatal: operator action is needed (credentials, permissions, a batch over the limits, a
    //        certificate); keep the data and back off long.
    Status status = Status::retry;
    std::vector<RecordResult> records;  // one per input record, in order, when status == ok
    bool throttled = false;  // the service asked us to slow down (the call or any record)
    std::string error;       // for logs: "__type: message", or the transport error
    int http_status = 0;     // 0 when no answer arrived
};

// Sets the thread count of cpprest's process-wide I/O pool, which every sink shares (cpprest
// starts 40 threads by default, a lot for a Raspberry Pi; 2 are plenty for a few sinks). Call
// once, from main(), before the first Sink::create().
// Errors: errc::invalid_option when threads is 0 or the pool already runs.
Result<void> set_io_threads(size_t threads);

// Thread-safety: put() may be called from several threads at once (state is immutable after
// create(); cpprest's client is thread-safe and pools connections). The delivery protocol still
// wants one batch per flow in flight. Lifecycle: destroying the sink while a put() runs is
// undefined. put() returns when its request finished or, past request_timeout, once the
// cancelled request ended (waiting at most connect_timeout more for that).
class Sink {
public:
    // Errors: errc::bad_endpoint (unparsable or unsupported endpoint URL), errc::bad_ca_file
    // (ca_file unreadable or without a PEM certificate), errc::invalid_option (a timeout <= 0, a
    // secret without key id or the reverse, CR/LF in the user agent, an empty region).
    static Result<std::unique_ptr<Sink>> create(Options options);

    virtual ~Sink() = default;

    // Sends one batch, blocking until the answer, a transport error or request_timeout. Never
    // throws. An empty batch sends nothing and is ok. A batch the service would reject as is
    // (over limits(), a malformed producer id or flow, an empty stream name, a partition key
    // that is empty, too long or not UTF-8) is fatal without sending.
    virtual SendResult put(std::string_view stream, std::span<const OutRecord> records,
                           const BatchTag& tag) = 0;

    // The open shards of a Kinesis stream (ListShards with ShardFilter AT_LATEST, every page),
    // which the scheduler uses to keep one batch in flight per shard; empty for Firehose, whose
    // delivery streams have no shards. Needs the kinesis:ListShards permission on AWS.
    // Errors: errc::list_shards_failed with the service's "__type: message" or the transport
    // error.
    virtual Result<std::vector<ShardInfo>> list_shards(std::string_view stream) = 0;

protected:
    Sink() = default;
};

}  // namespace tributary::agent::sinks::https
