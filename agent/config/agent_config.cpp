#include "agent/config/agent_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

#include "agent/config/flow_parser.h"
#include "agent/config/json_reader.h"

namespace tributary::agent::config {
namespace {

using detail::IgnoredKey;
using detail::json;
using detail::Kind;
using detail::ObjectReader;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kHourMillis = 3'600'000;
constexpr size_t kMaxConfigBytes = 1 << 20;

// Keys read and applied, in the order of agent/README.md.
constexpr std::string_view kGlobalKeys[] = {
    "flows",
    "checkpointFile",
    "checkpointTimeToLiveDays",
    "kinesis.endpoint",
    "kinesis.region",
    "firehose.endpoint",
    "awsAccessKeyId",
    "awsSecretAccessKey",
    "awsSessionToken",
    "cloudwatch.emitMetrics",
    "connectionTimeoutMillis",
    "socketTimeoutMillis",
    "userAgent",
    "userAgentOverride",
    "shutdownTimeoutMillis",
    "log.level",
    // Tributary additions.
    "spoolDirectory",
    "spoolMaxBytes",
    "spoolSync",
    "deviceId",
    "statusListen",
    "tls.caFile",
    "tls.verify",
    "logLevel",
    "mqtt.broker",
    "mqtt.clientId",
    "mqtt.username",
    "mqtt.password",
    "mqtt.caFile",
    "mqtt.certFile",
    "mqtt.keyFile",
    "mqtt.answerTimeoutMillis",
    "mqtt.compression",
};

constexpr std::string_view kNoCloudWatch =
    "Tributary sends nothing to CloudWatch; its metrics are served at statusListen";
constexpr std::string_view kNoRoles =
    "Tributary does not assume roles; give awsAccessKeyId/awsSecretAccessKey (or the AWS_* "
    "environment variables) for the target account";
constexpr std::string_view kNoThreadPool =
    "each sink sends from its own thread and batches wait in the LMDB spool, not in a queue";
constexpr std::string_view kNoLogFile =
    "the agent logs to stderr (journald); set logLevel, rotate with journald";

// Kinesis Agent global keys that mean nothing here: accepted, checked, noticed. Ranges follow
// what the Java code would accept without failing.
constexpr IgnoredKey kIgnoredGlobal[] = {
    {"checkpoints.queryTimeoutSeconds", Kind::integer, 0, kInt64Max,
     "checkpoints live in the LMDB spool, not in SQLite"},
    {"checkpoints.connectionTimeoutSeconds", Kind::integer, 0, kInt64Max,
     "checkpoints live in the LMDB spool, not in SQLite"},
    {"cloudwatch.endpoint", Kind::string, 0, 0, kNoCloudWatch},
    {"cloudwatch.namespace", Kind::string, 0, 0, kNoCloudWatch},
    {"cloudwatch.tagInstance", Kind::boolean, 0, 0, kNoCloudWatch},
    {"cloudwatch.metricsBufferTimeMillis", Kind::integer, 0, kInt64Max, kNoCloudWatch},
    {"cloudwatch.metricsQueueSize", Kind::integer, 0, kInt64Max, kNoCloudWatch},
    {"sts.endpoint", Kind::string, 0, 0, kNoRoles},
    {"assumeRoleARN", Kind::string, 0, 0, kNoRoles},
    {"assumeRoleExternalId", Kind::string, 0, 0, kNoRoles},
    {"userDefinedCredentialsProvider.classname", Kind::string, 0, 0,
     "Java credentials provider classes cannot be loaded; use awsAccessKeyId/awsSecretAccessKey "
     "or the AWS_* environment variables"},
    {"userDefinedCredentialsProvider.location", Kind::string, 0, 0,
     "Java credentials provider classes cannot be loaded; use awsAccessKeyId/awsSecretAccessKey "
     "or the AWS_* environment variables"},
    {"maxSendingThreads", Kind::integer, 1, kInt64Max, kNoThreadPool},
    {"maxSendingThreadsPerCore", Kind::integer, 1, kInt64Max, kNoThreadPool},
    {"sendingThreadsKeepAliveMillis", Kind::integer, 0, kInt64Max, kNoThreadPool},
    {"sendingThreadsMaxQueueSize", Kind::integer, 1, kInt64Max, kNoThreadPool},
    {"maxConnections", Kind::integer, 1, kInt64Max, "each sink keeps one connection"},
    {"connectionTTLMillis", Kind::integer, -1, kInt64Max,
     "connections are kept until the server closes them or they fail"},
    {"useTcpKeepAlive", Kind::boolean, 0, 0,
     "connections are kept until the server closes them or they fail"},
    {"useHttpGzip", Kind::boolean, 0, 0,
     "Kinesis and Firehose requests are sent uncompressed, as AWS SDKs send them"},
    {"log.emitMetrics", Kind::boolean, 0, 0, "the agent's counters are served at statusListen"},
    {"log.emitInternalMetrics", Kind::boolean, 0, 0,
     "the agent's counters are served at statusListen"},
    {"log.statusReportingPeriodSeconds", Kind::integer, 1, kInt64Max,
     "the agent's counters are served at statusListen"},
    {"log.file", Kind::string, 0, 0, kNoLogFile},
    {"log.maxBackupIndex", Kind::integer, -1, kInt64Max, kNoLogFile},
    {"log.maxFileSize", Kind::integer, -1, kInt64Max, kNoLogFile},
};

std::vector<std::string_view> known_global_keys() {
    std::vector<std::string_view> keys(std::begin(kGlobalKeys), std::end(kGlobalKeys));
    for (const IgnoredKey& k : kIgnoredGlobal) keys.push_back(k.name);
    return keys;
}

std::optional<std::string> env_value(const Environment& env, std::string_view name) {
    auto it = env.variables.find(name);
    if (it == env.variables.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool has_control_or_space(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

// The Kinesis Agent's endpoints may lack a scheme ("kinesis.us-west-2.amazonaws.com"; the
// AWS SDK adds https://). Returns the full URL, or an error reason.
Result<std::string> normalize_endpoint(const ObjectReader& r, std::string_view key,
                                       std::string value) {
    if (value.find("://") == std::string::npos) value = "https://" + value;
    size_t scheme_end = value.find("://");
    std::string scheme = lower(value.substr(0, scheme_end));
    if (scheme != "http" && scheme != "https") {
        return r.error(errc::invalid_value, key,
                       "must be an http:// or https:// URL, got " + detail::describe(json(value)));
    }
    std::string rest = value.substr(scheme_end + 3);
    std::string host = rest.substr(0, rest.find_first_of("/?#"));
    if (host.empty() || has_control_or_space(value)) {
        return r.error(errc::invalid_value, key,
                       "must be a URL with a host, got " + detail::describe(json(value)));
    }
    return scheme + "://" + rest;
}

// The region an AWS endpoint names: "https://kinesis.us-west-2.amazonaws.com" -> "us-west-2"
// (also -fips hosts and .amazonaws.com.cn). The AWS SDK signs for that region, so an agent.json
// that only sets kinesis.endpoint keeps working.
std::string region_of_endpoint(std::string_view url) {
    size_t start = url.find("://");
    std::string_view host = url.substr(start == std::string_view::npos ? 0 : start + 3);
    host = host.substr(0, host.find_first_of(":/?#"));
    for (std::string_view suffix : {".amazonaws.com", ".amazonaws.com.cn"}) {
        if (host.size() <= suffix.size() || host.substr(host.size() - suffix.size()) != suffix) {
            continue;
        }
        std::string_view front = host.substr(0, host.size() - suffix.size());
        size_t dot = front.rfind('.');
        if (dot == std::string_view::npos) return "";
        return std::string(front.substr(dot + 1));
    }
    return "";
}

bool valid_region(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
}

// Directories that are tmpfs on most distributions: checkpoints there are lost at every boot,
// and the agent re-sends every file (Kinesis Agent issue #129).
bool volatile_directory(std::string_view dir) {
    for (std::string_view root : {"/run", "/var/run", "/tmp", "/dev/shm"}) {
        if (dir == root || (dir.size() > root.size() && dir.substr(0, root.size()) == root &&
                            dir[root.size()] == '/')) {
            return true;
        }
    }
    return false;
}

std::string parent_directory(std::string_view path) {
    size_t slash = path.rfind('/');
    if (slash == 0 || slash == std::string_view::npos) return "/";
    return std::string(path.substr(0, slash));
}

Result<std::optional<log::Level>> read_log_level(const ObjectReader& r, std::string_view key) {
    TRIB_TRY(std::optional<std::string> s, r.string(key));
    if (!s) return std::nullopt;
    std::string v = lower(*s);
    if (v == "trace" || v == "debug") return log::Level::debug;
    if (v == "info") return log::Level::info;
    if (v == "warn") return log::Level::warn;
    if (v == "error") return log::Level::error;
    return r.error(errc::invalid_value, key,
                   "must be debug, info, warn or error, got " + detail::describe(json(*s)));
}

Result<std::optional<HostPort>> parse_host_port(const ObjectReader& r, std::string_view key,
                                                const std::string& s) {
    if (s.empty()) return std::optional<HostPort>{};
    auto bad = [&](std::string_view why) {
        return r.error(errc::invalid_value, key,
                       std::string(why) + ", got " + detail::describe(json(s)));
    };
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return bad("must be HOST:PORT or \"\" (disabled)");
    std::string host = s.substr(0, colon);
    std::string port_text = s.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return bad("an IPv6 address must be in brackets ([::1]:4568)");
    }
    if (host.empty() || has_control_or_space(host)) return bad("must be HOST:PORT with a host");
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(port_text) > 65535) {
        return bad("port must be 0 to 65535");
    }
    return std::optional<HostPort>(HostPort{host, static_cast<uint16_t>(std::stoul(port_text))});
}

bool valid_device_id(std::string_view s) {
    // It goes into record metadata and, later, MQTT topic levels: no wildcards or separators.
    return !s.empty() && s.size() <= 128 && !has_control_or_space(s) &&
           s.find_first_of("/+#") == std::string_view::npos;
}

Result<void> read_paths(const ObjectReader& r, AgentConfig& c) {
    TRIB_TRY(std::optional<std::string> spool, r.string("spoolDirectory"));
    TRIB_TRY(std::optional<std::string> checkpoint, r.string("checkpointFile"));
    std::string reason;
    if (spool) {
        if (!detail::valid_absolute_path(*spool, reason)) {
            return r.error(errc::invalid_value, "spoolDirectory", reason);
        }
        c.spool_directory = *spool;
    }
    if (!checkpoint) return {};
    if (!detail::valid_absolute_path(*checkpoint, reason)) {
        return r.error(errc::invalid_value, "checkpointFile", reason);
    }
    c.checkpoint_file = *checkpoint;
    std::string dir = parent_directory(*checkpoint);
    if (spool) {
        detail::add_notice(c.notices, r, "checkpointFile",
                           "ignored: checkpoints live in the spool at " + c.spool_directory);
    } else if (volatile_directory(dir)) {
        detail::add_notice(c.notices, r, "checkpointFile",
                           "checkpoints live in the spool at " + c.spool_directory + ", not in " +
                               dir + ", which is usually emptied at boot");
    } else {
        c.spool_directory = (dir == "/" ? "" : dir) + "/tributary-spool";
        detail::add_notice(c.notices, r, "checkpointFile",
                           "checkpoints live in the spool at " + c.spool_directory);
    }
    return {};
}

Result<void> read_credentials(const ObjectReader& r, const Environment& env, AgentConfig& c) {
    TRIB_TRY(std::optional<std::string> id, r.string("awsAccessKeyId", true));
    TRIB_TRY(std::optional<std::string> secret, r.string("awsSecretAccessKey", true));
    TRIB_TRY(std::optional<std::string> token, r.string("awsSessionToken", true));
    // Empty values count as absent, as in the Kinesis Agent's credentials chain.
    if (id && id->empty()) id.reset();
    if (secret && secret->empty()) secret.reset();
    if (id || secret) {
        if (!id || !secret) {
            return r.error(errc::conflicting_keys, id ? "awsSecretAccessKey" : "awsAccessKeyId",
                           "required together with " +
                               std::string(id ? "awsAccessKeyId" : "awsSecretAccessKey"));
        }
        c.credentials = {*id, *secret, token.value_or(""), CredentialSource::config_file};
        return {};
    }
    if (token && !token->empty()) {
        return r.error(errc::conflicting_keys, "awsSessionToken",
                       "needs awsAccessKeyId and awsSecretAccessKey in the same file");
    }
    // Never mix sources: a session token from the environment belongs to its keys only.
    auto env_id = env_value(env, "AWS_ACCESS_KEY_ID");
    auto env_secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
    if (env_id && env_secret) {
        c.credentials = {*env_id, *env_secret, env_value(env, "AWS_SESSION_TOKEN").value_or(""),
                         CredentialSource::environment};
    }
    return {};
}

Result<void> read_endpoints(const ObjectReader& r, const Environment& env, AgentConfig& c) {
    TRIB_TRY(std::optional<std::string> region, r.string("kinesis.region"));
    TRIB_TRY(std::optional<std::string> kinesis, r.string("kinesis.endpoint"));
    TRIB_TRY(std::optional<std::string> firehose, r.string("firehose.endpoint"));
    // The stock agent.json has "kinesis.endpoint": "" meaning the default, as has the Java code.
    if (kinesis && !kinesis->empty()) {
        TRIB_TRY(c.kinesis_endpoint, normalize_endpoint(r, "kinesis.endpoint", *kinesis));
    }
    if (firehose && !firehose->empty()) {
        TRIB_TRY(c.firehose_endpoint, normalize_endpoint(r, "firehose.endpoint", *firehose));
    }
    if (region && !region->empty() && !valid_region(*region)) {
        return r.error(
            errc::invalid_value, "kinesis.region",
            "must be a region name like us-east-1, got " + detail::describe(json(*region)));
    }
    std::string fallback =
        env_value(env, "AWS_REGION")
            .value_or(env_value(env, "AWS_DEFAULT_REGION").value_or("us-east-1"));
    if (region && !region->empty()) fallback = *region;
    std::string kinesis_region = region_of_endpoint(c.kinesis_endpoint);
    c.kinesis_region = region && !region->empty() ? *region
                       : kinesis_region.empty()   ? fallback
                                                  : kinesis_region;
    std::string firehose_region = region_of_endpoint(c.firehose_endpoint);
    c.firehose_region = firehose_region.empty() ? fallback : firehose_region;
    if (c.kinesis_endpoint.empty()) {
        c.kinesis_endpoint = "https://kinesis." + c.kinesis_region + ".amazonaws.com";
    }
    if (c.firehose_endpoint.empty()) {
        c.firehose_endpoint = "https://firehose." + c.firehose_region + ".amazonaws.com";
    }
    return {};
}

Result<void> read_mqtt(const ObjectReader& r, AgentConfig& c);

Result<void> read_globals(const ObjectReader& r, const Environment& env, AgentConfig& c) {
    TRIB_TRY_VOID(read_paths(r, c));
    TRIB_TRY(auto ttl, r.integer("checkpointTimeToLiveDays", 1, 3650));
    if (ttl) c.checkpoint_ttl = std::chrono::days(*ttl);
    TRIB_TRY_VOID(read_endpoints(r, env, c));
    TRIB_TRY_VOID(read_credentials(r, env, c));
    TRIB_TRY(auto emit, r.boolean("cloudwatch.emitMetrics"));
    if (emit) c.emit_metrics = *emit;
    TRIB_TRY(auto connect, r.integer("connectionTimeoutMillis", 1, kHourMillis));
    if (connect) c.connection_timeout = Millis(*connect);
    TRIB_TRY(auto socket, r.integer("socketTimeoutMillis", 1, kHourMillis));
    if (socket) c.socket_timeout = Millis(*socket);
    TRIB_TRY(auto ua, r.string("userAgent"));
    if (ua) c.user_agent = *ua;
    TRIB_TRY(c.user_agent_override, r.string("userAgentOverride"));
    for (const std::string* s :
         {&c.user_agent, c.user_agent_override ? &*c.user_agent_override : nullptr}) {
        if (s && std::any_of(s->begin(), s->end(), [](char ch) {
                return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
            })) {
            return r.error(errc::invalid_value,
                           s == &c.user_agent ? "userAgent" : "userAgentOverride",
                           "must not contain control characters (it becomes an HTTP header)");
        }
    }
    TRIB_TRY(auto shutdown, r.integer("shutdownTimeoutMillis", 0, kHourMillis));
    if (shutdown) c.shutdown_timeout = Millis(*shutdown);

    TRIB_TRY(auto spool_max, r.integer("spoolMaxBytes", static_cast<int64_t>(kMinSpoolMaxBytes),
                                       static_cast<int64_t>(kMaxSpoolMaxBytes)));
    if (spool_max) c.spool_max_bytes = static_cast<uint64_t>(*spool_max);
    constexpr std::string_view kSyncNames[] = {"batch", "off"};
    TRIB_TRY(auto sync, r.one_of("spoolSync", kSyncNames));
    if (sync) c.spool_sync = static_cast<SpoolSync>(*sync);

    TRIB_TRY(auto device, r.string("deviceId"));
    c.device_id = device ? *device : env.hostname;
    if (!valid_device_id(c.device_id)) {
        if (!device) {
            return r.error(errc::missing_key, "deviceId",
                           "required: the hostname " + detail::describe(json(env.hostname)) +
                               " cannot serve as one");
        }
        return r.error(errc::invalid_value, "deviceId",
                       "must be 1 to 128 printable characters without spaces, '/', '+' or '#', "
                       "got " +
                           detail::describe(json(*device)));
    }
    TRIB_TRY(auto listen, r.string("statusListen"));
    if (listen) {
        TRIB_TRY(c.status_listen, parse_host_port(r, "statusListen", *listen));
    }

    TRIB_TRY(auto ca, r.string("tls.caFile"));
    if (ca && !ca->empty()) {
        std::string reason;
        if (!detail::valid_absolute_path(*ca, reason)) {
            return r.error(errc::invalid_value, "tls.caFile", reason);
        }
        c.tls.ca_file = *ca;
    }
    TRIB_TRY(auto verify, r.boolean("tls.verify"));
    if (verify) c.tls.verify = *verify;

    TRIB_TRY_VOID(read_mqtt(r, c));

    TRIB_TRY(auto level, read_log_level(r, "logLevel"));
    TRIB_TRY(auto java_level, read_log_level(r, "log.level"));
    if (level && java_level) {
        detail::add_notice(c.notices, r, "log.level", "ignored: logLevel is set");
    }
    if (level || java_level) c.log_level = level ? *level : *java_level;
    return detail::read_ignored(r, kIgnoredGlobal, c.notices);
}

// MQTT ids: what docs/mqtt.md allows as a topic level and a client id.
bool valid_mqtt_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char ch : id)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
            return false;
    return true;
}

Result<void> read_mqtt(const ObjectReader& r, AgentConfig& c) {
    MqttOptions& m = c.mqtt;
    TRIB_TRY(auto broker, r.string("mqtt.broker"));
    if (broker && !broker->empty()) {
        static constexpr std::string_view schemes[] = {"tcp://", "ssl://", "mqtt://", "mqtts://"};
        bool known = false;
        for (auto s : schemes) known |= broker->starts_with(s) && broker->size() > s.size();
        if (!known)
            return r.error(errc::invalid_value, "mqtt.broker",
                           "must be tcp://HOST:PORT or ssl://HOST:PORT, got " +
                               detail::describe(json(*broker)));
        m.broker = *broker;
    }
    TRIB_TRY(auto client, r.string("mqtt.clientId"));
    if (client) {
        if (!valid_mqtt_id(*client))
            return r.error(errc::invalid_value, "mqtt.clientId",
                           "must be 1 to 128 characters of A-Z a-z 0-9 . _ -, got " +
                               detail::describe(json(*client)));
        m.client_id = *client;
    }
    TRIB_TRY(auto user, r.string("mqtt.username"));
    if (user) m.username = *user;
    TRIB_TRY(auto password, r.string("mqtt.password"));
    if (password) m.password = *password;
    for (auto [key, field] : {std::pair{"mqtt.caFile", &m.ca_file},
                              std::pair{"mqtt.certFile", &m.cert_file},
                              std::pair{"mqtt.keyFile", &m.key_file}}) {
        TRIB_TRY(auto path, r.string(key));
        if (!path || path->empty()) continue;
        std::string reason;
        if (!detail::valid_absolute_path(*path, reason)) return r.error(errc::invalid_value, key, reason);
        *field = *path;
    }
    if (m.cert_file.empty() != m.key_file.empty())
        return r.error(errc::invalid_value, m.cert_file.empty() ? "mqtt.keyFile" : "mqtt.certFile",
                       "mqtt.certFile and mqtt.keyFile go together (the device's client "
                       "certificate and its key)");
    TRIB_TRY(auto timeout, r.integer("mqtt.answerTimeoutMillis", 1'000, 3'600'000));
    if (timeout) m.answer_timeout = Millis(*timeout);
    constexpr std::string_view kCompression[] = {"zstd", "none"};
    TRIB_TRY(auto compression, r.one_of("mqtt.compression", kCompression));
    if (compression) m.compress = *compression == 0;
    return {};
}

Result<void> read_flows(const ObjectReader& r, AgentConfig& c) {
    const json* flows = r.find("flows");
    if (!flows) return r.error(errc::missing_key, "flows", "required: a list of at least one flow");
    if (!flows->is_array()) {
        return r.error(errc::wrong_type, "flows",
                       "must be a list of flow objects, got " + detail::describe(*flows));
    }
    if (flows->empty()) return r.error(errc::missing_key, "flows", "must list at least one flow");
    std::map<std::string, size_t> ids;
    uint64_t shares = 0;
    for (size_t i = 0; i < flows->size(); ++i) {
        TRIB_TRY(FlowConfig flow, detail::parse_flow((*flows)[i], i, r.file_name(), c.notices));
        auto [it, inserted] = ids.emplace(flow.id, i);
        if (!inserted) {
            return fail(errc::duplicate_flow,
                        std::string(r.file_name()) + ": " + detail::index_path("flows", i) +
                            ": same flow as flows[" + std::to_string(it->second) + "] (" + flow.id +
                            ")");
        }
        shares += flow.spool_max_bytes.value_or(0);
        if (flow.sink == Sink::mqtt) {
            auto at = std::string(r.file_name()) + ": " + detail::index_path("flows", i) + ".sink: ";
            if (c.mqtt.broker.empty())
                return fail(errc::missing_key, at + "\"mqtt\" needs mqtt.broker");
            if (flow.destination != Destination::kinesis)
                return fail(errc::invalid_value,
                            at + "\"mqtt\" delivers to Kinesis streams (kinesisStream), not to "
                                 "Firehose");
            if (!valid_mqtt_id(c.device_id))
                return fail(errc::invalid_value,
                            at + "\"mqtt\" needs a deviceId of 1 to 128 characters of "
                                 "A-Z a-z 0-9 . _ - (it is a topic level), got \"" +
                                c.device_id + "\"");
        }
        c.flows.push_back(std::move(flow));
    }
    if (shares > c.spool_max_bytes) {
        return fail(errc::invalid_value, std::string(r.file_name()) +
                                             ": flows: the flows' spoolMaxBytes add up to " +
                                             std::to_string(shares) + ", more than spoolMaxBytes " +
                                             std::to_string(c.spool_max_bytes));
    }
    return {};
}

}  // namespace

std::string_view to_string(InitialPosition v) {
    return v == InitialPosition::end_of_file ? "END_OF_FILE" : "START_OF_FILE";
}
std::string_view to_string(PartitionKeyOption v) {
    return v == PartitionKeyOption::random ? "RANDOM" : "DETERMINISTIC";
}
std::string_view to_string(Destination v) {
    return v == Destination::kinesis ? "kinesisStream" : "deliveryStream";
}
std::string_view to_string(Source v) { return v == Source::file ? "file" : "metrics"; }
std::string_view to_string(Sink v) { return v == Sink::https ? "https" : "mqtt"; }
std::string_view to_string(FullPolicy v) {
    return v == FullPolicy::block ? "block" : "drop_oldest";
}
std::string_view to_string(SpoolSync v) { return v == SpoolSync::batch ? "batch" : "off"; }
std::string_view to_string(MetricGroup v) {
    constexpr std::string_view names[] = {"cpu",        "memory",  "load",    "disk",
                                          "filesystem", "network", "thermal", "throttling",
                                          "uptime",     "agent"};
    return names[static_cast<size_t>(v)];
}

Environment Environment::from_process() {
    Environment env;
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                             "AWS_REGION", "AWS_DEFAULT_REGION"}) {
        if (const char* v = std::getenv(name)) env.variables.emplace(name, v);
    }
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) env.hostname = host;
    return env;
}

Result<AgentConfig> parse_agent_config(std::string_view json_text, std::string_view file_name,
                                       const Environment& env) {
    try {
        TRIB_TRY(json doc, detail::parse_json(json_text, file_name));
        if (!doc.is_object()) {
            return fail(errc::invalid_json, std::string(file_name) +
                                                ": the top level must be an object, got " +
                                                detail::describe(doc));
        }
        ObjectReader r(doc, "", file_name);
        TRIB_TRY_VOID(r.only_keys(known_global_keys()));
        AgentConfig c;
        TRIB_TRY_VOID(read_globals(r, env, c));
        TRIB_TRY_VOID(read_flows(r, c));
        return c;
    } catch (const std::exception& e) {
        // Nothing above should throw but allocation; keep it inside the module all the same.
        return fail(errc::invalid_json, std::string(file_name) + ": " + e.what());
    }
}

Result<AgentConfig> load_agent_config(const std::string& path, const Environment& env) {
    auto io_error = [&](std::string_view what, int err) {
        return fail(errc::io_error, path + ": " + std::string(what) +
                                        (err ? ": " + std::string(std::strerror(err)) : ""));
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open", errno);
    std::string text;
    struct stat st {};
    int err = 0;
    if (::fstat(fd, &st) != 0) {
        err = errno;
    } else if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return io_error("not a regular file", 0);
    } else if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) {
        ::close(fd);
        return io_error("larger than 1 MiB; not a configuration file", 0);
    } else {
        // Read to EOF rather than trusting st_size: the file may change while we read.
        char buf[8192];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                err = errno;
                break;
            }
            if (n == 0) break;
            text.append(buf, static_cast<size_t>(n));
            if (text.size() > kMaxConfigBytes) {
                ::close(fd);
                return io_error("larger than 1 MiB; not a configuration file", 0);
            }
        }
    }
    ::close(fd);
    if (err) return io_error("cannot read", err);
    return parse_agent_config(text, path, env);
}

}  // namespace tributary::agent::config
