#include "agent/engine/engine.h"

#include <chrono>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "agent/buffer/spool.h"
#include "agent/engine/flow.h"
#include "agent/engine/status_server.h"
#include "agent/processors/processor.h"
#include "agent/sinks/sink.h"
#include "agent/sources/source.h"
#include "shared/log/log.h"

namespace tributary::agent::engine {
namespace {

using std::chrono::milliseconds;
namespace cfg = config;

uint64_t wall_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

// ---- spool ------------------------------------------------------------------------------------

class SpoolAdapter : public SpoolPort {
public:
    explicit SpoolAdapter(buffer::Spool& s) : s_(s) {}

    Result<size_t> append(std::string_view queue, std::span<const SpoolRecord> records,
                          std::span<const CheckpointWrite> checkpoints) override {
        std::vector<buffer::NewRecord> recs;
        recs.reserve(records.size());
        for (const auto& r : records) recs.push_back({r.partition_key, r.data});
        std::vector<buffer::CheckpointUpdate> ckpts;
        for (const auto& c : checkpoints) ckpts.push_back({c.key, c.value});
        TRIB_TRY(auto r, s_.append(queue, recs, ckpts));
        return r.dropped_oldest;
    }
    bool is_full(const Error& e) const override { return e.code == buffer::errc::full; }
    Result<std::vector<SpoolEntry>> peek(std::string_view queue, uint64_t after_id,
                                         size_t max_records, size_t max_bytes) override {
        TRIB_TRY(auto entries, s_.peek(queue, after_id, max_records, max_bytes));
        std::vector<SpoolEntry> out;
        out.reserve(entries.size());
        for (auto& e : entries)
            out.push_back({e.id, std::move(e.partition_key), std::move(e.data), e.enqueued_ms});
        return out;
    }
    Result<void> remove(std::string_view queue, std::span<const uint64_t> ids,
                        std::span<const CheckpointWrite> checkpoints) override {
        std::vector<buffer::CheckpointUpdate> ckpts;
        for (const auto& c : checkpoints) ckpts.push_back({c.key, c.value});
        TRIB_TRY(auto n, s_.remove(queue, ids, ckpts));
        (void)n;
        return {};
    }
    Result<std::vector<std::pair<std::string, std::string>>> checkpoints(
        std::string_view prefix) override {
        return s_.checkpoints(prefix);
    }
    Result<uint64_t> next_batch_sequence(std::string_view queue, uint64_t count) override {
        return s_.next_batch_sequence(queue, count);
    }
    Depth depth(std::string_view queue) const override {
        auto st = s_.stats(queue);
        return {st.records, st.bytes, st.oldest_enqueued_ms};
    }

private:
    buffer::Spool& s_;
};

}  // namespace

struct Engine::Impl {
    cfg::AgentConfig config;
    std::unique_ptr<buffer::Spool> spool;
    std::unique_ptr<SpoolAdapter> spool_port;
    // One transport per sink kind that a flow names, shared by those flows.
    std::map<cfg::Sink, std::unique_ptr<sinks::Transport>> transports;
    std::vector<std::unique_ptr<Flow>> flows;
    std::unique_ptr<StatusServer> status_server;
    uint64_t started_ms = wall_ms();
    std::once_flag stopped;

    Result<std::unique_ptr<Flow>> make_flow(const cfg::FlowConfig& f);
    std::string agent_counters() const;
};

// The "agent" group of a metrics flow: the agent's own totals (flows are all built before any
// starts).
std::string Engine::Impl::agent_counters() const {
    uint64_t read = 0, sent = 0, failed = 0, dropped = 0, spool_records = 0, spool_bytes = 0;
    for (const auto& fl : flows) {
        auto st = fl->status();
        read += st.value("records_read", uint64_t(0));
        sent += st.value("records_sent", uint64_t(0));
        failed += st.value("records_failed", uint64_t(0));
        dropped += st.value("records_dropped", uint64_t(0));
        spool_records += st.value("spool_records", uint64_t(0));
        spool_bytes += st.value("spool_bytes", uint64_t(0));
    }
    return nlohmann::json{{"flows", flows.size()},          {"records_read", read},
                          {"records_sent", sent},           {"records_failed", failed},
                          {"records_dropped", dropped},     {"spool_records", spool_records},
                          {"spool_bytes", spool_bytes},     {"uptime_ms", wall_ms() - started_ms}}
        .dump();
}

Result<std::unique_ptr<Flow>> Engine::Impl::make_flow(const cfg::FlowConfig& f) {
    const sources::SourceDescriptor* source_kind = sources::find_source(f.source);
    const sinks::SinkDescriptor* sink_kind = sinks::find_sink(f.sink);
    if (!source_kind || !sink_kind)
        return fail(std::make_error_code(std::errc::not_supported),
                    "flow " + f.id + ": this build has no " +
                        (source_kind ? "sink \"" + std::string(cfg::to_string(f.sink))
                                     : std::string("source \"")) +
                        "\"");
    sources::SourceContext sctx{
        config, f,
        [this](std::string_view prefix) { return spool->checkpoints(prefix); },
        [this] { return agent_counters(); }};
    TRIB_TRY(auto source, source_kind->make(sctx));

    Transform transform;
    if (!f.data_processing_options.empty()) {
        processors::Context ctx;
        ctx.hostname = cfg::Environment::from_process().hostname;
        ctx.device_id = config.device_id;
        ctx.clock_ms = wall_ms;
        TRIB_TRY(auto chain, processors::Chain::make(f.data_processing_options, ctx));
        for (const auto& n : chain.notices()) TRIB_LOG(info, "config_notice").kv("flow", f.id).kv("notice", n);
        auto shared = std::make_shared<processors::Chain>(std::move(chain));
        transform = [shared](std::string& record, std::string& failed_step) {
            std::string_view step;
            if (shared->apply(record, &step) == processors::Chain::Outcome::ok) return true;
            failed_step = std::string(step);
            return false;
        };
    }

    buffer::FlowLimits limits;
    limits.max_bytes = f.spool_max_bytes.value_or(0);
    limits.policy = f.full_policy == cfg::FullPolicy::drop_oldest ? buffer::FullPolicy::drop_oldest
                                                                 : buffer::FullPolicy::block;
    if (limits.max_bytes) spool->set_limits(f.id, limits);

    auto& transport = transports[f.sink];
    if (!transport) {
        TRIB_TRY(transport, sink_kind->make(sinks::SinkContext{config, spool->producer_id()}));
    }
    TRIB_TRY(auto delivery, transport->delivery(f));

    FlowSpec spec;
    spec.id = f.id;
    spec.stream = f.stream;
    spec.partition_key = f.partition_key_option == cfg::PartitionKeyOption::deterministic
                             ? PartitionKeyOption::deterministic
                             : PartitionKeyOption::random;
    spec.max_batch_records = static_cast<size_t>(f.max_buffer_size_records);
    spec.max_batch_bytes = static_cast<size_t>(f.max_buffer_size_bytes);
    spec.max_batch_age = f.max_buffer_age;
    spec.retry_initial = f.retry_initial_backoff;
    spec.retry_max = f.retry_max_backoff;
    spec.error_stream = f.error_stream.value_or("");
    spec.max_lanes = static_cast<size_t>(f.max_in_flight_batches);
    spec.max_record_bytes = static_cast<size_t>(f.max_record_size_bytes());
    spec.limit_includes_key = f.destination == cfg::Destination::kinesis;
    return std::make_unique<Flow>(std::move(spec), std::move(source), std::move(transform),
                                  *spool_port, std::move(delivery.send), std::move(delivery.shards));
}

Result<std::unique_ptr<Engine>> Engine::start(const cfg::AgentConfig& config) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    for (const auto& n : config.notices) TRIB_LOG(info, "config_notice").kv("notice", n);

    buffer::Options so;
    so.dir = config.spool_directory;
    so.map_bytes = config.spool_max_bytes;
    so.sync = config.spool_sync == cfg::SpoolSync::off ? buffer::SyncPolicy::off
                                                        : buffer::SyncPolicy::batch;
    auto spool = buffer::Spool::open(so);
    if (!spool && spool.error().code == buffer::errc::map_unavailable)
        // Name the setting the user can change (the spool's message speaks of map_bytes).
        return fail(spool.error().code, "spoolMaxBytes " + std::to_string(so.map_bytes) +
                                            " cannot be mapped on this host; lower it (" +
                                            spool.error().message + ")");
    TRIB_TRY(impl->spool, std::move(spool));
    impl->spool_port = std::make_unique<SpoolAdapter>(*impl->spool);

    for (const auto& f : config.flows) {
        TRIB_TRY(auto flow, impl->make_flow(f));
        impl->flows.push_back(std::move(flow));
    }
    std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
    if (config.status_listen) {
        const auto& hp = *config.status_listen;
        Engine* e = engine.get();
        TRIB_TRY(engine->impl_->status_server,
                 StatusServer::start(hp.host + ":" + std::to_string(hp.port),
                                     [e](const std::string& path) -> StatusPage {
                                         if (path == "/health") return {200, "text/plain", "ok\n"};
                                         if (path == "/status")
                                             return {200, "application/json", e->status().dump(2) + "\n"};
                                         if (path == "/metrics")
                                             return {200, "text/plain; version=0.0.4", e->metrics()};
                                         return {404, "text/plain", "not found\n"};
                                     }));
    }
    for (auto& f : engine->impl_->flows) f->start();
    TRIB_LOG(info, "agent_started")
        .kv("flows", engine->impl_->flows.size())
        .kv("spool", config.spool_directory)
        .kv("producer", engine->impl_->spool->producer_id());
    return engine;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { stop(); }

void Engine::stop() {
    std::call_once(impl_->stopped, [this] {
        // Every flow stops reading at once, then each drains within the shutdown budget.
        auto budget = impl_->config.shutdown_timeout;
        auto deadline = std::chrono::steady_clock::now() + budget;
        for (auto& f : impl_->flows) {
            auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
            f->stop(std::max(left, milliseconds(0)));
        }
        if (impl_->status_server) impl_->status_server->stop();
        if (impl_->spool) (void)impl_->spool->flush();
        TRIB_LOG(info, "agent_stopped");
    });
}

nlohmann::json Engine::status() const {
    nlohmann::json flows = nlohmann::json::array();
    for (const auto& f : impl_->flows) flows.push_back(f->status());
    return {{"device", impl_->config.device_id},
            {"uptime_ms", wall_ms() - impl_->started_ms},
            {"spool", impl_->config.spool_directory},
            {"producer_id", impl_->spool->producer_id()},
            {"flows", std::move(flows)}};
}

std::string Engine::metrics() const {
    std::string out =
        "# HELP tributary_agent_records_read_total Records read from the flow's source\n"
        "# TYPE tributary_agent_records_read_total counter\n";
    for (const auto& f : impl_->flows) f->metrics(out);
    out += "tributary_agent_uptime_seconds " + std::to_string((wall_ms() - impl_->started_ms) / 1000) + "\n";
    return out;
}

}  // namespace tributary::agent::engine
