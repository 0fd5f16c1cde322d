// ADDMETADATA: wraps the record as the Kinesis Agent's AddMetadataConverter does:
//   {"ts": "2026-01-02T03:04:05.678Z", "metadata": <the configured value>, "data": "<record>"}
// "ts" only with timestamp "true"; "metadata" is null when none is configured, as in Java.
// With a logFormat (as later Java versions accept), "data" is the parsed object instead of the
// string, and a record that does not parse fails. Tributary additions, placed after "ts":
// hostname: true adds "hostname", deviceId: true adds "deviceId" (from the agent's Context).
//
// ADDEC2METADATA is accepted so that Kinesis Agent configurations load, but skipped with a
// notice: there is no EC2 instance metadata service on the devices Tributary runs on.

#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

#include "agent/processors/json_writer.h"
#include "agent/processors/log_parser.h"
#include "agent/processors/processor_internal.h"

namespace tributary::agent::processors {
namespace {

uint64_t system_clock_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// yyyy-MM-dd'T'HH:mm:ss.SSS'Z' in UTC, Java's SimpleDateFormat pattern in AddMetadataConverter.
void append_iso8601(std::string& out, uint64_t ms) {
    time_t secs = static_cast<time_t>(ms / 1000);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                          t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                          static_cast<int>(ms % 1000));
    out.append(buf, static_cast<size_t>(n));
}

size_t depth_of(const nlohmann::json& v) {
    size_t d = 0;
    if (v.is_structured()) {
        for (const auto& e : v) d = std::max(d, depth_of(e));
        ++d;
    }
    return d;
}

class AddMetadata final : public Processor {
public:
    AddMetadata(bool timestamp, std::string hostname, std::string device_id, std::string metadata,
                std::optional<LogParser> parser, bool pretty, std::function<uint64_t()> clock)
        : timestamp_(timestamp),
          hostname_(std::move(hostname)),
          device_id_(std::move(device_id)),
          metadata_(std::move(metadata)),
          parser_(std::move(parser)),
          pretty_(pretty),
          clock_(std::move(clock)) {}

    bool apply(std::string_view in, std::string& out, std::string_view& why) override {
        bool had_newline;
        std::string_view body = strip_newline(in, had_newline);
        JsonWriter w(out, pretty_);
        w.begin_object();
        if (timestamp_) {
            ts_.clear();
            append_iso8601(ts_, clock_ ? clock_() : system_clock_ms());
            w.key("ts");
            w.string(ts_);
        }
        if (!hostname_.empty()) {
            w.key("hostname");
            w.string(hostname_);
        }
        if (!device_id_.empty()) {
            w.key("deviceId");
            w.string(device_id_);
        }
        w.key("metadata");
        w.raw(metadata_);
        w.key("data");
        if (parser_) {
            if (!parser_->write(body, w, why)) return false;
        } else {
            w.string(body);
        }
        w.end_object();
        if (had_newline) out.push_back('\n');
        return true;
    }

private:
    bool timestamp_;
    std::string hostname_, device_id_;
    std::string metadata_;  // pre-rendered for this writer's mode, at depth 1
    std::optional<LogParser> parser_;
    bool pretty_;
    std::function<uint64_t()> clock_;
    std::string ts_;
};

constexpr OptionSpec kOptions[] = {
    {"metadata", OptionType::any, "null", "any JSON value, written as \"metadata\""},
    {"timestamp", OptionType::boolean, "false", "\"true\" adds \"ts\", UTC ISO-8601 with ms"},
    {"hostname", OptionType::boolean, "false", "true adds \"hostname\" (Tributary)"},
    {"deviceId", OptionType::boolean, "false", "true adds \"deviceId\" (Tributary)"},
    {"logFormat", OptionType::string, "", "parse the record into \"data\" as LOGTOJSON does"},
    {"matchPattern", OptionType::string, "", "with logFormat: as in LOGTOJSON"},
    {"customFieldNames", OptionType::string_list, "", "with logFormat: as in LOGTOJSON"},
    {"jsonFormat", OptionType::string, "COMPACT", "COMPACT or PRETTYPRINT"},
};

Result<Made> make(const Options& opts, const Context& ctx) {
    TRIB_TRY(bool timestamp, opts.boolean("timestamp", false));
    TRIB_TRY(bool want_host, opts.boolean("hostname", false));
    TRIB_TRY(bool want_device, opts.boolean("deviceId", false));
    if (want_host && ctx.hostname.empty()) {
        return opts.error("hostname", "true, but the agent knows no hostname");
    }
    if (want_device && ctx.device_id.empty()) {
        return opts.error("deviceId", "true, but no device id is configured for this agent");
    }
    TRIB_TRY(bool pretty, read_pretty(opts));
    std::string metadata;
    if (const auto* m = opts.get("metadata")) {
        if (depth_of(*m) > 32) return opts.error("metadata", "nested deeper than 32 levels");
        JsonWriter mw(metadata, pretty, 1);
        mw.value(*m);
    } else {
        metadata = "null";
    }
    std::optional<LogParser> parser;
    if (opts.has("logFormat")) {
        TRIB_TRY(auto p, LogParser::make(opts));
        parser = std::move(p);
    } else if (opts.has("matchPattern") || opts.has("customFieldNames")) {
        const char* key = opts.has("matchPattern") ? "matchPattern" : "customFieldNames";
        return opts.error(key, "needs logFormat");
    }
    return Made{std::make_unique<AddMetadata>(timestamp, want_host ? ctx.hostname : "",
                                              want_device ? ctx.device_id : "", std::move(metadata),
                                              std::move(parser), pretty, ctx.clock_ms),
                {}};
}

Result<Made> make_ec2(const Options&, const Context&) {
    return Made{nullptr,
                "ADDEC2METADATA skipped: there is no EC2 instance metadata on this device (use "
                "ADDMETADATA with hostname/deviceId/metadata instead)"};
}

}  // namespace

const Descriptor kAddMetadata = {
    "ADDMETADATA",
    "wraps the record as {\"ts\", \"metadata\", \"data\"}",
    kOptions,
    make,
};

const Descriptor kAddEc2Metadata = {
    "ADDEC2METADATA",
    "accepted for compatibility and skipped (no EC2 here)",
    {},
    make_ec2,
    true,  // its keys (metadataTTL, ...) are ignored with it, so a Kinesis Agent config loads
};

}  // namespace tributary::agent::processors
