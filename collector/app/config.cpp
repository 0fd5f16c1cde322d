#include "collector/app/config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "collector/api/errc.h"

namespace tributary::collector::app {
namespace {

using nlohmann::json;

enum class Type { string, boolean, integer, credentials };

// The option table: name (config key; the flag is --name with '_' as '-'), type, description.
struct Option {
    const char* key;
    Type type;
    const char* help;
};

constexpr Option kOptions[] = {
    {"data_dir", Type::string, "directory of the LMDB environment (created if missing)"},
    {"listen", Type::string, "HOST:PORT of the plain HTTP listener (default 127.0.0.1:4567)"},
    {"tls_listen", Type::string, "HOST:PORT of the HTTPS listener (needs tls_cert, tls_key)"},
    {"tls_cert", Type::string, "PEM certificate chain for the HTTPS listener"},
    {"tls_key", Type::string, "PEM private key for the HTTPS listener"},
    {"sync", Type::boolean, "fsync each group commit before acknowledging (default true)"},
    {"region", Type::string, "region in ARNs and SigV4 scope (default us-east-1)"},
    {"account_id", Type::string, "12-digit account id in ARNs and messages"},
    {"status_delay_ms", Type::integer, "time streams spend CREATING/UPDATING/DELETING (0)"},
    {"throughput_limits", Type::boolean, "enforce per-shard Kinesis limits (default true)"},
    {"retention_hour_ms", Type::integer, "length of a retention hour in ms (tests shorten it)"},
    {"trim_interval_ms", Type::integer, "how often expired records are deleted (60000)"},
    {"map_size_mb", Type::integer, "LMDB map size in MiB (default 65536)"},
    {"shard_limit", Type::integer, "account-wide open shard quota (default 500, as AWS)"},
    {"max_shards", Type::integer,
     "shards kept at once, open and closed within retention; one LMDB database each (1024)"},
    {"producer_ttl_ms", Type::integer,
     "keep a producer's dedup entry this long unused, at least its stream's retention (86400000)"},
    {"producer_max_entries", Type::integer,
     "producer dedup entries kept; beyond it the least recently stored go (100000)"},
    {"threads", Type::integer, "HTTP worker threads, the bound on requests in flight (64)"},
    {"io_threads", Type::integer, "HTTP socket threads; 0 = one per core, at least 2 (0)"},
    {"mqtt_broker", Type::string,
     "MQTT broker URI for the MQTT ingest (tcp://HOST:1883, ssl://HOST:8883); empty = off"},
    {"mqtt_client_id", Type::string,
     "MQTT client id, stable per collector process (tributary-collector-<hostname>)"},
    {"mqtt_share_group", Type::string,
     "shared subscription group: $share/<group>/tributary/v1/+/put/+ (tributary)"},
    {"mqtt_ca_file", Type::string, "PEM CA file the broker's certificate must chain to"},
    {"mqtt_cert_file", Type::string, "PEM client certificate for mTLS to the broker"},
    {"mqtt_key_file", Type::string, "PEM private key of mqtt_cert_file"},
    {"mqtt_username", Type::string, "MQTT username (optional)"},
    {"mqtt_password", Type::string, "MQTT password (optional; prefer the config file to a flag)"},
    {"mqtt_workers", Type::integer, "MQTT ingest threads calling the store (4)"},
    {"log_level", Type::string, "debug, info, warn or error"},
    {"credentials", Type::credentials,
     "list of {access_key_id, secret_access_key}; when set, SigV4 is required"},
};

const Option* find_option(std::string_view key) {
    for (const auto& o : kOptions)
        if (key == o.key) return &o;
    return nullptr;
}

bool parse_bool(std::string_view s, bool& out) {
    if (s == "true" || s == "on" || s == "1" || s == "yes") return out = true, true;
    if (s == "false" || s == "off" || s == "0" || s == "no") return out = false, true;
    return false;
}

tl::unexpected<Error> config_error(const std::string& where, std::string_view key,
                                   const std::string& why) {
    return fail(api::errc::invalid_argument, where + ": key '" + std::string(key) + "': " + why);
}

// A key in kOptions that apply() does not handle: a programming error, reported rather than
// ignored (a silently ignored key once let a documented option do nothing).
tl::unexpected<Error> unapplied(const std::string& where, std::string_view key) {
    return config_error(where, key, "accepted but not applied (a bug: tell the developers)");
}

// Applies one value (from the file as JSON, or from a flag as text) to the config.
Result<void> apply(Config& c, const Option& o, const json& v, const std::string& where) {
    auto str = [&]() -> Result<std::string> {
        if (!v.is_string()) return config_error(where, o.key, "expected a string");
        return v.get<std::string>();
    };
    auto integer = [&]() -> Result<int64_t> {
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_string()) {
            try {
                size_t n = 0;
                int64_t x = std::stoll(v.get<std::string>(), &n);
                if (n == v.get<std::string>().size()) return x;
            } catch (const std::exception&) {
            }
        }
        return config_error(where, o.key, "expected an integer");
    };
    auto boolean = [&]() -> Result<bool> {
        bool b = false;
        if (v.is_boolean()) return v.get<bool>();
        if (v.is_string() && parse_bool(v.get<std::string>(), b)) return b;
        return config_error(where, o.key, "expected true or false");
    };
    std::string_view k = o.key;
    if (o.type == Type::string) {
        TRIB_TRY(auto s, str());
        if (k == "data_dir") c.store.data_dir = s;
        else if (k == "listen") c.server.listen = s;
        else if (k == "tls_listen") c.server.tls_listen = s;
        else if (k == "tls_cert") c.server.tls_cert_file = s;
        else if (k == "tls_key") c.server.tls_key_file = s;
        else if (k == "region") c.store.region = c.api.region = s;
        else if (k == "mqtt_broker") c.mqtt.broker = s;
        else if (k == "mqtt_client_id") c.mqtt.client_id = s;
        else if (k == "mqtt_share_group") c.mqtt.share_group = s;
        else if (k == "mqtt_ca_file") c.mqtt.ca_file = s;
        else if (k == "mqtt_cert_file") c.mqtt.cert_file = s;
        else if (k == "mqtt_key_file") c.mqtt.key_file = s;
        else if (k == "mqtt_username") c.mqtt.username = s;
        else if (k == "mqtt_password") c.mqtt.password = s;
        else if (k == "account_id") {
            if (s.size() != 12 || s.find_first_not_of("0123456789") != std::string::npos)
                return config_error(where, k, "expected 12 digits");
            c.store.account_id = c.api.account_id = s;
        } else if (k == "log_level") {
            if (s != "debug" && s != "info" && s != "warn" && s != "error")
                return config_error(where, k, "expected debug, info, warn or error");
            c.log_level = s;
        } else {
            return unapplied(where, k);
        }
    } else if (o.type == Type::boolean) {
        TRIB_TRY(bool b, boolean());
        if (k == "sync") c.store.sync = b;
        else if (k == "throughput_limits") c.store.throughput_limits = b;
        else return unapplied(where, k);
    } else if (o.type == Type::integer) {
        TRIB_TRY(int64_t n, integer());
        if (n < 0) return config_error(where, k, "must not be negative");
        if (k == "status_delay_ms") c.store.status_delay_ms = n;
        else if (k == "retention_hour_ms") {
            if (n == 0) return config_error(where, k, "must be positive");
            c.store.hour_ms = n;
        } else if (k == "trim_interval_ms") c.store.trim_interval_ms = std::max<int64_t>(n, 10);
        else if (k == "map_size_mb") c.store.map_size = size_t(n) << 20;
        else if (k == "shard_limit") c.store.shard_limit = static_cast<uint32_t>(n);
        else if (k == "max_shards") {
            if (n < 1 || n > 100'000) return config_error(where, k, "must be 1..100000");
            c.store.max_shards = static_cast<uint32_t>(n);
        }
        else if (k == "producer_ttl_ms") c.store.producer_ttl_ms = n;
        else if (k == "producer_max_entries") {
            if (n < 1) return config_error(where, k, "must be at least 1");
            c.store.producer_max_entries = static_cast<uint64_t>(n);
        }
        else if (k == "threads") c.server.threads = static_cast<size_t>(std::max<int64_t>(n, 4));
        else if (k == "mqtt_workers") {
            if (n < 1 || n > 256) return config_error(where, k, "must be 1..256");
            c.mqtt.workers = static_cast<size_t>(n);
        }
        else if (k == "io_threads") c.server.io_threads = static_cast<size_t>(std::min<int64_t>(n, 64));
        else return unapplied(where, k);
    } else {
        if (!v.is_array()) return config_error(where, k, "expected a list of objects");
        for (const auto& e : v) {
            if (!e.is_object() || !e.contains("access_key_id") || !e.contains("secret_access_key") ||
                !e["access_key_id"].is_string() || !e["secret_access_key"].is_string() ||
                e.size() != 2)
                return config_error(where, k,
                                    "each entry needs exactly access_key_id and "
                                    "secret_access_key (strings)");
            c.api.credentials[e["access_key_id"]] = e["secret_access_key"];
        }
    }
    return {};
}

}  // namespace

std::string usage() {
    std::string u =
        "usage: tributary-collector [--config FILE] [--KEY VALUE | --KEY=VALUE]...\n"
        "Every config file key is also a flag (underscores as dashes), e.g. --data-dir DIR,\n"
        "--listen 127.0.0.1:4567, --sync=off. Credentials: --access-key-id ID "
        "--secret-access-key KEY.\n\nKeys:\n";
    for (const auto& o : kOptions) u += "  " + std::string(o.key) + "\t" + o.help + "\n";
    return u;
}

Result<Config> load_config(const std::vector<std::string>& args) {
    Config c;
    c.store.data_dir = "./tributary-data";
    // First pass: the config file, so flags can override it.
    std::vector<std::pair<std::string, std::string>> flags;
    std::string access_key, secret_key;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        if (a == "--help" || a == "-h") return fail(api::errc::invalid_argument, usage());
        if (!a.starts_with("--"))
            return fail(api::errc::invalid_argument, "unexpected argument '" + a + "'\n" + usage());
        a = a.substr(2);
        std::string value;
        if (auto eq = a.find('='); eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            return fail(api::errc::invalid_argument, "flag --" + a + " needs a value");
        }
        std::replace(a.begin(), a.end(), '-', '_');
        flags.emplace_back(a, value);
    }
    for (const auto& [k, v] : flags) {
        if (k != "config") continue;
        std::ifstream f(v);
        if (!f) return fail(api::errc::invalid_argument, v + ": cannot open config file");
        std::stringstream ss;
        ss << f.rdbuf();
        // Comments are allowed, as in agent.json: the packaged /etc/tributary/collector.json
        // explains its keys in place.
        json doc = json::parse(ss.str(), nullptr, false, /*ignore_comments=*/true);
        if (doc.is_discarded() || !doc.is_object())
            return fail(api::errc::invalid_argument, v + ": not a JSON object");
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            const Option* o = find_option(it.key());
            if (!o) return config_error(v, it.key(), "unknown key");
            TRIB_TRY_VOID(apply(c, *o, it.value(), v));
        }
    }
    for (const auto& [k, v] : flags) {
        if (k == "config") continue;
        if (k == "access_key_id") {
            access_key = v;
            continue;
        }
        if (k == "secret_access_key") {
            secret_key = v;
            continue;
        }
        const Option* o = find_option(k);
        if (!o || o->type == Type::credentials)
            return fail(api::errc::invalid_argument, "unknown flag --" + k + "\n" + usage());
        TRIB_TRY_VOID(apply(c, *o, json(v), "command line"));
    }
    if (access_key.empty() != secret_key.empty())
        return fail(api::errc::invalid_argument,
                    "--access-key-id and --secret-access-key go together");
    if (!access_key.empty()) c.api.credentials[access_key] = secret_key;
    if (!c.server.tls_listen.empty() &&
        (c.server.tls_cert_file.empty() || c.server.tls_key_file.empty()))
        return fail(api::errc::invalid_argument, "tls_listen needs tls_cert and tls_key");
    return c;
}

}  // namespace tributary::collector::app
