// cpu group: utilisation from /proc/stat jiffy deltas, context switches per second.
#include <cstring>
#include <optional>
#include <vector>

#include "agent/sources/metrics/collectors.h"

namespace tributary::agent::sources::metrics {
namespace {

struct Times {
    uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
};

// Fields after the "cpu"/"cpuN" label. Kernels before 2.6.11 print fewer; the missing ones are 0.
bool parse_times(std::string_view rest, Times& t) {
    uint64_t* fields[] = {&t.user,   &t.nice, &t.system,  &t.idle,
                          &t.iowait, &t.irq,  &t.softirq, &t.steal};
    std::string_view tok;
    int n = 0;
    for (uint64_t* f : fields) {
        if (!next_token(rest, tok)) break;
        if (!parse_u64(tok, *f)) return false;
        ++n;
    }
    return n >= 4;
}

// Shares of the CPU time between two samples, in %.
struct Shares {
    double user, system, iowait, idle, steal;
};

// The kernel's per-CPU iowait can go backwards (NO_HZ accounting), so each part is clamped at
// 0 rather than dropping the whole CPU. nullopt when no time passed (two samples in one tick).
std::optional<Shares> shares(const Times& now, const Times& before) {
    const auto d = [](uint64_t a, uint64_t b) { return a > b ? double(a - b) : 0.0; };
    Shares s{d(now.user, before.user) + d(now.nice, before.nice),
             d(now.system, before.system) + d(now.irq, before.irq) + d(now.softirq, before.softirq),
             d(now.iowait, before.iowait), d(now.idle, before.idle), d(now.steal, before.steal)};
    const double total = s.user + s.system + s.iowait + s.idle + s.steal;
    if (total <= 0) return std::nullopt;
    for (double* v : {&s.user, &s.system, &s.iowait, &s.idle, &s.steal}) *v = 100 * *v / total;
    return s;
}

void write_shares(JsonWriter& out, const Shares& s) {
    out.field_number("user_pct", s.user);
    out.field_number("system_pct", s.system);
    out.field_number("iowait_pct", s.iowait);
    out.field_number("idle_pct", s.idle);
    out.field_number("steal_pct", s.steal);
}

class Cpu final : public Collector {
public:
    explicit Cpu(const std::string& proc_root) : path_(proc_root + "/stat") {}

    void collect(Context& ctx, JsonWriter& out) override {
        auto text = ctx.files.read(path_);
        if (!text) {
            ctx.problems.fail(path_, std::strerror(ctx.files.last_errno()));
            have_prev_ = false;
            return;
        }
        if (!parse(*text)) {
            ctx.problems.fail(path_, "unparsable cpu or ctxt line");
            have_prev_ = false;
            return;
        }
        ctx.problems.ok(path_);

        out.key("cpu");
        out.begin_object();
        out.field_u64("cores", cores_.size());
        if (have_ctxt_) out.field_u64("ctxt_total", ctxt_);
        if (have_prev_) {
            auto dc = delta(ctxt_, prev_ctxt_);
            if (have_ctxt_ && prev_have_ctxt_ && dc && ctx.elapsed_s > 0)
                out.field_number("ctxt_per_s", double(*dc) / ctx.elapsed_s);
            if (auto total = shares(total_, prev_total_)) {
                out.key("total");
                out.begin_object();
                write_shares(out, *total);
                out.end_object();
                out.key("per_core");
                out.begin_array();
                for (const Core& c : cores_) {
                    const Core* p = find_prev(c.id);
                    auto core = p ? shares(c.times, p->times) : std::nullopt;
                    if (!core) continue;  // a CPU just come online has no baseline yet
                    out.begin_object();
                    out.field_u64("core", c.id);
                    write_shares(out, *core);
                    out.end_object();
                }
                out.end_array();
            }
        }
        out.end_object();

        prev_total_ = total_;
        prev_cores_.swap(cores_);
        prev_ctxt_ = ctxt_;
        prev_have_ctxt_ = have_ctxt_;
        have_prev_ = true;
    }

private:
    struct Core {
        uint64_t id;
        Times times;
    };

    bool parse(std::string_view text) {
        cores_.clear();
        have_ctxt_ = false;
        bool have_total = false;
        std::string_view line, rest, label;
        while (next_line(text, line)) {
            rest = line;
            if (!next_token(rest, label)) continue;
            if (label == "cpu") {
                if (!parse_times(rest, total_)) return false;
                have_total = true;
            } else if (label.starts_with("cpu")) {
                Core c{};
                if (!parse_u64(label.substr(3), c.id) || !parse_times(rest, c.times)) return false;
                cores_.push_back(c);
            } else if (label == "ctxt") {
                std::string_view tok;
                have_ctxt_ = next_token(rest, tok) && parse_u64(tok, ctxt_);
            }
        }
        return have_total;
    }

    const Core* find_prev(uint64_t id) const {
        for (const Core& p : prev_cores_)
            if (p.id == id) return &p;
        return nullptr;
    }

    std::string path_;
    Times total_, prev_total_;
    std::vector<Core> cores_, prev_cores_;
    uint64_t ctxt_ = 0, prev_ctxt_ = 0;
    bool have_ctxt_ = false, prev_have_ctxt_ = false, have_prev_ = false;
};

}  // namespace

std::unique_ptr<Collector> make_cpu(const std::string& proc_root) {
    return std::make_unique<Cpu>(proc_root);
}

}  // namespace tributary::agent::sources::metrics
