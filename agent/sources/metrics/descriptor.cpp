// The metrics source as the engine sees it: one JSON record per interval.

#include <chrono>

#include "agent/sources/metrics/metrics.h"
#include "agent/sources/source.h"

namespace tributary::agent::sources {
namespace {

using std::chrono::milliseconds;

uint64_t wall_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

class MetricsSource : public engine::Source {
public:
    explicit MetricsSource(std::unique_ptr<metrics::Metrics> m) : m_(std::move(m)) {}

    Result<std::vector<engine::SourceBatch>> read(size_t, size_t) override {
        std::vector<engine::SourceBatch> out;
        auto now = std::chrono::steady_clock::now();
        if (now < due_) return out;
        due_ = now + m_->interval();
        engine::SourceBatch b;
        b.records.push_back(m_->sample(wall_ms()));
        out.push_back(std::move(b));
        return out;
    }
    milliseconds next_wakeup() const override {
        auto left = std::chrono::duration_cast<milliseconds>(due_ - std::chrono::steady_clock::now());
        return std::max(left, milliseconds(1));
    }
    void describe(nlohmann::json&) const override {}

private:
    std::unique_ptr<metrics::Metrics> m_;
    std::chrono::steady_clock::time_point due_{};
};

Result<std::unique_ptr<engine::Source>> make(const SourceContext& ctx) {
    metrics::Options o;
    o.interval = ctx.flow.metrics_interval;
    for (auto g : ctx.flow.metrics) o.groups.emplace_back(config::to_string(g));
    o.device_id = ctx.agent.device_id;
    o.hostname = config::Environment::from_process().hostname;
    o.agent_counters = ctx.agent_counters;
    TRIB_TRY(auto m, metrics::Metrics::create(std::move(o)));
    return std::unique_ptr<engine::Source>(std::make_unique<MetricsSource>(std::move(m)));
}

constexpr KeySpec kKeys[] = {
    {"metricsIntervalMillis", "integer", "10000", "time between samples"},
    {"metrics", "list of strings", "all", "groups to collect: cpu, memory, load, disk, filesystem, network, thermal, throttling, uptime, agent"},
};

}  // namespace

const SourceDescriptor kMetrics = {
    "metrics",
    "system metrics from /proc and /sys (and the agent's own counters) as one JSON record per "
    "interval",
    config::Source::metrics,
    kKeys,
    make,
};

}  // namespace tributary::agent::sources
