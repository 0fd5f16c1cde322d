#include "agent/sources/metrics/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "agent/sources/metrics/collectors.h"
#include "agent/sources/metrics/json_writer.h"
#include "agent/sources/metrics/proc_files.h"
#include "shared/log/log.h"

namespace tributary::agent::sources::metrics {
namespace {

constexpr std::array<std::string_view, 10> kGroups = {
    "cpu",     "memory",  "load",       "disk",   "filesystem",
    "network", "thermal", "throttling", "uptime", "agent"};

std::unique_ptr<Collector> make_collector(std::string_view group, const Options& o) {
    if (group == "cpu") return make_cpu(o.proc_root);
    if (group == "memory") return make_memory(o.proc_root);
    if (group == "load") return make_load(o.proc_root);
    if (group == "disk") return make_disk(o.proc_root);
    if (group == "filesystem") return make_filesystem(o.proc_root);
    if (group == "network") return make_network(o.proc_root, o.include_loopback);
    if (group == "thermal") return make_thermal(o.sys_root);
    if (group == "throttling") return make_throttling(o.sys_root);
    if (group == "uptime") return make_uptime();
    return nullptr;  // "agent" is written by Metrics itself
}

// "2024-05-01T12:00:00.123Z"
void write_timestamp(JsonWriter& out, uint64_t now_ms) {
    const time_t secs = static_cast<time_t>(now_ms / 1000);
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char buf[64];  // ample for any int year
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<unsigned>(now_ms % 1000));
    out.field("ts", buf);
}

std::optional<double> read_uptime(FileReader& files, Problems& problems, const std::string& path) {
    auto text = files.read(path);
    if (!text) {
        problems.fail(path, std::strerror(files.last_errno()));
        return std::nullopt;
    }
    std::string_view rest = *text, tok;
    double v;
    if (!next_token(rest, tok) || !parse_double(trim(tok), v) || v < 0) {
        problems.fail(path, "unparsable");
        return std::nullopt;
    }
    problems.ok(path);
    return v;
}

}  // namespace

std::span<const std::string_view> all_groups() { return kGroups; }

Metrics::Metrics(Options o)
    : options_(std::move(o)),
      files_(std::make_unique<FileReader>()),
      problems_(std::make_unique<Problems>()),
      uptime_path_(options_.proc_root + "/uptime") {
    out_.reserve(4096);
}

Metrics::~Metrics() = default;

Result<std::unique_ptr<Metrics>> Metrics::create(Options o) {
    if (o.interval.count() <= 0)
        return fail(errc::invalid_interval, "metrics interval must be positive, got " +
                                                std::to_string(o.interval.count()) + " ms");
    for (const std::string& g : o.groups) {
        if (std::find(kGroups.begin(), kGroups.end(), g) != kGroups.end()) continue;
        std::string valid;
        for (std::string_view v : kGroups) valid.append(valid.empty() ? "" : ", ").append(v);
        return fail(errc::unknown_group,
                    "unknown metrics group \"" + g + "\"; valid groups: " + valid);
    }
    if (o.hostname.empty()) {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) == 0) o.hostname = host;
    }
    if (o.device_id.empty()) o.device_id = o.hostname;

    std::unique_ptr<Metrics> m(new Metrics(std::move(o)));
    const auto selected = [&](std::string_view g) {
        const auto& gs = m->options_.groups;
        return gs.empty() || std::find(gs.begin(), gs.end(), g) != gs.end();
    };
    for (std::string_view g : kGroups) {
        if (!selected(g)) continue;
        if (g == "agent")
            m->agent_group_ = true;
        else
            m->collectors_.push_back(make_collector(g, m->options_));
    }
    return m;
}

double Metrics::elapsed_s(uint64_t now_ms, const std::optional<double>& uptime) {
    if (!primed_) return 0;
    if (uptime && prev_uptime_ && *uptime > *prev_uptime_) return *uptime - *prev_uptime_;
    if (uptime && prev_uptime_) return 0;  // uptime stood still: no time to divide by
    return now_ms > prev_now_ms_ ? double(now_ms - prev_now_ms_) / 1000.0 : 0;
}

std::string Metrics::sample(uint64_t now_ms) {
    problems_->set_now(now_ms);
    const std::optional<double> uptime = read_uptime(*files_, *problems_, uptime_path_);
    Context ctx{*files_, *problems_, elapsed_s(now_ms, uptime), uptime};

    out_.clear();
    JsonWriter out(out_);
    out.begin_object();
    write_timestamp(out, now_ms);
    out.field("device", options_.device_id);
    out.field("hostname", options_.hostname);
    out.field_u64("interval_ms", static_cast<uint64_t>(options_.interval.count()));
    if (ctx.elapsed_s > 0) out.field_number("elapsed_ms", ctx.elapsed_s * 1000, 0);
    for (auto& c : collectors_) c->collect(ctx, out);
    if (agent_group_) write_agent(out);
    out.end_object();

    primed_ = true;
    prev_now_ms_ = now_ms;
    prev_uptime_ = ctx.uptime_s;
    return out_;
}

void Metrics::write_agent(JsonWriter& out) {
    if (!options_.agent_counters) return;
    static const std::string source = "agent_counters";
    std::string text;
    try {
        text = options_.agent_counters();
        if (text.empty()) return;
        const size_t first = text.find_first_not_of(" \t\r\n");
        if (first == std::string::npos || text[first] != '{' || !nlohmann::json::accept(text)) {
            problems_->fail(source, "not a JSON object");
            return;
        }
        // The record must stay one line (compact); re-serialise pretty-printed input.
        if (text.find_first_of("\r\n") != std::string::npos)
            text = nlohmann::json::parse(text).dump();
    } catch (const std::exception& e) {
        problems_->fail(source, e.what());
        return;
    }
    problems_->ok(source);
    out.key("agent");
    out.raw(text);
}

}  // namespace tributary::agent::sources::metrics
