#pragma once
// The agent's configuration: the Kinesis Agent's `agent.json`, accepted as-is, plus Tributary's
// additions (agent/README.md, "Configuration", documents every key with its default).
//
// Parsing is pure: the result depends only on the text, the file name and the Environment
// passed in (AWS_* variables, hostname), so tests control everything. Keys the Kinesis Agent
// has but that mean nothing here are accepted and each leaves one line in `notices` for the
// caller to log; they are still type- and range-checked. Everything else that is wrong (unknown
// key, wrong type, out of range, missing, malformed JSON) is one Error whose message names the
// file and the key path, e.g. `agent.json: flows[1].maxBufferAgeMillis: must be between 1000
// and 900000, got 50`.
//
// The structs are plain values: copy them freely; nothing here is shared or thread-aware.

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/errc.h"
#include "shared/log/log.h"
#include "shared/result.h"

namespace tributary::agent::config {

using Millis = std::chrono::milliseconds;

// Kinesis Agent enums keep their meaning; the JSON spelling is the Java one (END_OF_FILE, ...).
enum class InitialPosition { end_of_file, start_of_file };
enum class PartitionKeyOption { random, deterministic };
enum class Destination { kinesis, firehose };  // kinesisStream | deliveryStream

// Tributary additions.
enum class Source { file, metrics };
enum class Sink { https, mqtt };
enum class FullPolicy { block, drop_oldest };
enum class SpoolSync { batch, off };
enum class MetricGroup {
    cpu,
    memory,
    load,
    disk,
    filesystem,
    network,
    thermal,
    throttling,
    uptime,
    agent
};
enum class CredentialSource { none, config_file, environment };

// Spellings as they appear in agent.json (for logs and the status page).
std::string_view to_string(InitialPosition v);
std::string_view to_string(PartitionKeyOption v);
std::string_view to_string(Destination v);
std::string_view to_string(Source v);
std::string_view to_string(Sink v);
std::string_view to_string(FullPolicy v);
std::string_view to_string(SpoolSync v);
std::string_view to_string(MetricGroup v);

// Limits the Kinesis Agent enforces (KinesisConstants, FirehoseConstants, FileFlow).
inline constexpr int64_t kMaxBufferSizeBytesKinesis = 5 * 1024 * 1024;   // PutRecords call
inline constexpr int64_t kMaxBufferSizeBytesFirehose = 4 * 1024 * 1024;  // PutRecordBatch call
inline constexpr int64_t kMaxRecordSizeBytesKinesis = 1024 * 1024;
inline constexpr int64_t kMaxRecordSizeBytesFirehose = 1000 * 1024;

// spoolMaxBytes when not given: an LMDB map is mapped whole into the address space, and a
// 32-bit process (armhf) has about 3 GiB of it for everything.
inline constexpr uint64_t kDefaultSpoolMaxBytes =
    sizeof(void*) == 4 ? uint64_t{256} << 20 : uint64_t{1} << 30;
inline constexpr uint64_t kMinSpoolMaxBytes = uint64_t{1} << 20;
inline constexpr uint64_t kMaxSpoolMaxBytes =
    sizeof(void*) == 4 ? uint64_t{2} << 30 : uint64_t{1} << 40;

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty: none
    CredentialSource source = CredentialSource::none;
};

struct HostPort {
    std::string host;   // as written; IPv6 without the brackets
    uint16_t port = 0;  // 0: any free port (tests)
};

struct TlsOptions {
    std::string ca_file;  // empty: the system store
    bool verify = true;
};

// The MQTT transport (docs/mqtt.md), for flows with "sink": "mqtt".
struct MqttOptions {
    std::string broker;     // "tcp://host:1883" or "ssl://host:8883"; empty: no MQTT
    std::string client_id;  // empty: the device id
    std::string username, password;
    std::string ca_file;               // empty: tls.caFile, else the system store
    std::string cert_file, key_file;   // this device's client certificate (mutual TLS)
    Millis answer_timeout{30'000};     // resend a batch that has no answer by then
    bool compress = true;              // zstd, when it saves bytes
};

struct FlowConfig {
    // Identity. `id` is the Kinesis Agent's: "kinesis:<stream>:<pattern>" or
    // "fh:<stream>:<pattern>"; a metrics flow uses "metrics" as its pattern.
    std::string id;
    Source source = Source::file;
    Destination destination = Destination::kinesis;
    std::string stream;  // kinesisStream or deliveryStream

    // File flows (empty / defaults on metrics flows).
    std::string file_pattern;  // absolute; glob in the last component (and, for us, directories)
    InitialPosition initial_position = InitialPosition::end_of_file;
    Millis min_time_between_file_polls{100};
    Millis max_time_between_file_tracker_refresh{10'000};
    std::string multi_line_start_pattern;  // empty: one record per line; PCRE2-checked
    int64_t skip_header_lines = 0;
    std::string file_footer_pattern;  // empty: none; PCRE2-checked
    std::string truncated_record_terminator = "\n";

    // Metrics flows.
    Millis metrics_interval{10'000};
    std::vector<MetricGroup> metrics;  // in file order; defaults to every group

    // Batching and delivery (both kinds).
    PartitionKeyOption partition_key_option = PartitionKeyOption::random;
    Millis max_buffer_age{60'000};
    int64_t max_buffer_size_records = 500;
    int64_t max_buffer_size_bytes = kMaxBufferSizeBytesKinesis;  // Firehose: 4 MiB
    Millis retry_initial_backoff{100};
    Millis retry_max_backoff{10'000};
    int64_t aggregated_record_size_bytes = 0;  // Firehose only; 0 = off; stored, not yet applied

    // Kept as written: the processors module validates each option. Here only: an array of
    // objects, each with a string "optionName".
    nlohmann::json data_processing_options = nlohmann::json::array();

    // Tributary per-flow keys.
    FullPolicy full_policy = FullPolicy::block;  // metrics flows default to drop_oldest
    std::optional<uint64_t> spool_max_bytes;     // this flow's share of the spool
    std::optional<std::string> error_stream;     // none: ship raw with a marker
    Sink sink = Sink::https;
    // Batches in flight at once, at most one per group of the stream's shards, so each shard
    // still receives the flow's records in order (Firehose: always 1).
    int64_t max_in_flight_batches = 4;

    // Record size limit of the destination (1 MiB Kinesis, 1000 KiB Firehose).
    int64_t max_record_size_bytes() const {
        return destination == Destination::kinesis ? kMaxRecordSizeBytesKinesis
                                                   : kMaxRecordSizeBytesFirehose;
    }
};

struct AgentConfig {
    // Endpoints as full URLs ("https://kinesis.us-east-1.amazonaws.com" when not given; a
    // scheme-less "kinesis.eu-west-1.amazonaws.com" gets https://). Regions for SigV4: see
    // agent/README.md for the order they are taken from.
    std::string kinesis_endpoint;
    std::string kinesis_region;
    std::string firehose_endpoint;
    std::string firehose_region;
    AwsCredentials credentials;

    bool emit_metrics = true;  // cloudwatch.emitMetrics: Prometheus /metrics at statusListen
    Millis connection_timeout{10'000};  // AWS SDK ClientConfiguration defaults
    Millis socket_timeout{50'000};
    std::string user_agent;                          // prefix before tributary-agent/<version>
    std::optional<std::string> user_agent_override;  // replaces the whole User-Agent
    Millis shutdown_timeout{10'000};
    std::chrono::days checkpoint_ttl{7};  // checkpointTimeToLiveDays
    std::string checkpoint_file;          // as written (informational; see spool_directory)

    std::string spool_directory = "/var/lib/tributary-agent";
    uint64_t spool_max_bytes = kDefaultSpoolMaxBytes;
    SpoolSync spool_sync = SpoolSync::batch;
    std::string device_id;                                                // default: the hostname
    std::optional<HostPort> status_listen = HostPort{"127.0.0.1", 4568};  // nullopt: disabled
    TlsOptions tls;
    MqttOptions mqtt;
    log::Level log_level = log::Level::info;

    std::vector<FlowConfig> flows;     // in file order; at least one
    std::vector<std::string> notices;  // one line per accepted-but-ignored key, for the log
};

// What the configuration may take from outside the file. Tests build one by hand.
struct Environment {
    // Read: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION,
    // AWS_DEFAULT_REGION. Unset and empty are the same.
    std::map<std::string, std::string, std::less<>> variables;
    std::string hostname;

    // The process environment and gethostname().
    static Environment from_process();
};

// Parses agent.json text; `file_name` only prefixes error messages and notices.
// Errors (errc, message always "<file_name>: ..."):
//   invalid_json      malformed JSON ("<file>:<line>:<column>: ..."), a duplicate key, more
//                     than 64 levels of nesting, a top level that is not an object;
//   unknown_key       a key not documented for its place, with a "did you mean" when close;
//   wrong_type        e.g. a string where an integer is expected (numeric strings are
//                     accepted for integers, and the Kinesis Agent's boolean words for booleans);
//   out_of_range      a number outside its documented range (also retryMaxBackoffMillis below
//                     retryInitialBackoffMillis, a truncatedRecordTerminator as long as a record);
//   invalid_value     an unknown enum name, an invalid regex, a relative path, a bad stream
//                     name, endpoint or HOST:PORT, per-flow spool shares above spoolMaxBytes;
//   missing_key       no flows, no filePattern in a file flow, no kinesisStream/deliveryStream,
//                     no deviceId when the hostname cannot serve as one;
//   conflicting_keys  kinesisStream with deliveryStream, file keys in a metrics flow, only one
//                     of awsAccessKeyId/awsSecretAccessKey;
//   duplicate_flow    two flows with the same id.
Result<AgentConfig> parse_agent_config(std::string_view json_text, std::string_view file_name,
                                       const Environment& env = Environment::from_process());

// Reads `path` (a regular file of at most 1 MiB) and parses it, naming it by its path.
// Errors: io_error (missing, unreadable, not a regular file, too large), then as above.
Result<AgentConfig> load_agent_config(const std::string& path,
                                      const Environment& env = Environment::from_process());

}  // namespace tributary::agent::config
