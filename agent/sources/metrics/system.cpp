// memory, load and uptime groups: plain gauges, no state between samples.
#include <cstring>

#include "agent/sources/metrics/collectors.h"

namespace tributary::agent::sources::metrics {
namespace {

class Memory final : public Collector {
public:
    explicit Memory(const std::string& proc_root) : path_(proc_root + "/meminfo") {}

    void collect(Context& ctx, JsonWriter& out) override {
        auto text = ctx.files.read(path_);
        if (!text) return ctx.problems.fail(path_, std::strerror(ctx.files.last_errno()));
        enum { total, free, available, buffers, cached, sreclaimable, swap_total, swap_free, n };
        static constexpr std::string_view names[n] = {
            "MemTotal:", "MemFree:",      "MemAvailable:", "Buffers:",
            "Cached:",   "SReclaimable:", "SwapTotal:",    "SwapFree:"};
        uint64_t v[n] = {};
        bool have[n] = {};
        std::string_view rest = *text, line, name, tok;
        while (next_line(rest, line)) {
            if (!next_token(line, name)) continue;
            for (int i = 0; i < n; ++i) {
                // Values are in KiB whatever the unit column says ("kB").
                if (name == names[i] && next_token(line, tok) && parse_u64(tok, v[i])) {
                    v[i] *= 1024;
                    have[i] = true;
                }
            }
        }
        if (!have[total] || v[total] == 0) return ctx.problems.fail(path_, "no MemTotal line");
        ctx.problems.ok(path_);

        out.key("memory");
        out.begin_object();
        out.field_u64("total_bytes", v[total]);
        // "used" is what `free` (procps 4) calls used: total minus available. MemAvailable
        // appeared in Linux 3.14; older kernels get neither field rather than a guess.
        if (have[available]) {
            const uint64_t used = v[total] > v[available] ? v[total] - v[available] : 0;
            out.field_u64("available_bytes", v[available]);
            out.field_u64("used_bytes", used);
            out.field_number("used_pct", 100.0 * double(used) / double(v[total]));
        }
        if (have[free]) out.field_u64("free_bytes", v[free]);
        if (have[buffers]) out.field_u64("buffers_bytes", v[buffers]);
        if (have[cached]) out.field_u64("cached_bytes", v[cached] + v[sreclaimable]);
        if (have[swap_total] && have[swap_free]) {
            out.field_u64("swap_total_bytes", v[swap_total]);
            out.field_u64("swap_free_bytes", v[swap_free]);
            out.field_u64("swap_used_bytes",
                          v[swap_total] > v[swap_free] ? v[swap_total] - v[swap_free] : 0);
        }
        out.end_object();
    }

private:
    std::string path_;
};

struct LoadAvg {
    double l1, l5, l15;
    uint64_t runnable, total;
};

// "0.52 0.58 0.59 2/345 12345": three averages, runnable/total tasks, last pid.
bool parse_loadavg(std::string_view text, LoadAvg& v) {
    std::string_view a, b, c, tasks;
    if (!next_token(text, a) || !next_token(text, b) || !next_token(text, c) ||
        !next_token(text, tasks))
        return false;
    const size_t slash = tasks.find('/');
    return slash != std::string_view::npos && parse_double(a, v.l1) && parse_double(b, v.l5) &&
           parse_double(c, v.l15) && parse_u64(tasks.substr(0, slash), v.runnable) &&
           parse_u64(tasks.substr(slash + 1), v.total);
}

class Load final : public Collector {
public:
    explicit Load(const std::string& proc_root) : path_(proc_root + "/loadavg") {}

    void collect(Context& ctx, JsonWriter& out) override {
        auto text = ctx.files.read(path_);
        if (!text) return ctx.problems.fail(path_, std::strerror(ctx.files.last_errno()));
        LoadAvg v;
        if (!parse_loadavg(*text, v)) return ctx.problems.fail(path_, "unparsable");
        ctx.problems.ok(path_);

        out.key("load");
        out.begin_object();
        out.field_number("load1", v.l1);
        out.field_number("load5", v.l5);
        out.field_number("load15", v.l15);
        out.field_u64("tasks_runnable", v.runnable);
        out.field_u64("tasks_total", v.total);
        out.end_object();
    }

private:
    std::string path_;
};

// Metrics::sample() reads /proc/uptime for every sample (it times the rates); this only
// reports it.
class Uptime final : public Collector {
public:
    void collect(Context& ctx, JsonWriter& out) override {
        if (!ctx.uptime_s) return;
        out.key("uptime");
        out.begin_object();
        out.field_number("seconds", *ctx.uptime_s);
        out.end_object();
    }
};

}  // namespace

std::unique_ptr<Collector> make_memory(const std::string& proc_root) {
    return std::make_unique<Memory>(proc_root);
}
std::unique_ptr<Collector> make_load(const std::string& proc_root) {
    return std::make_unique<Load>(proc_root);
}
std::unique_ptr<Collector> make_uptime() { return std::make_unique<Uptime>(); }

}  // namespace tributary::agent::sources::metrics
