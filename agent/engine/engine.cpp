#include "agent/engine/engine.h"

#include <chrono>
#include <mutex>

#include <nlohmann/json.hpp>

#include "agent/buffer/spool.h"
#include "agent/engine/flow.h"
#include "agent/engine/lanes.h"
#include "agent/engine/status_server.h"
#include "agent/processors/processor.h"
#include "agent/sinks/https/sink.h"
#include "agent/sources/metrics/metrics.h"
#include "agent/sources/tail/tail.h"
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

// ---- sources ----------------------------------------------------------------------------------

class TailSource : public Source {
public:
    TailSource(std::unique_ptr<sources::tail::Tail> tail, std::string key_prefix)
        : tail_(std::move(tail)), prefix_(std::move(key_prefix)) {}

    Result<std::vector<SourceBatch>> read(size_t max_records, size_t max_bytes) override {
        TRIB_TRY(auto batches, tail_->read(max_records, max_bytes));
        // Tail is not thread-safe and the status endpoint runs on its own thread: the reader
        // (this thread) publishes a snapshot of the per-file figures after every read.
        {
            auto stats = tail_->stats();
            std::lock_guard lk(mu_);
            stats_ = std::move(stats);
        }
        std::vector<SourceBatch> out;
        out.reserve(batches.size());
        for (auto& b : batches) {
            SourceBatch s;
            s.records = std::move(b.records);
            s.checkpoint_key = prefix_ + b.file_key;
            if (!b.finished) s.checkpoint_value = b.position.encode();
            s.truncated = b.truncated;
            out.push_back(std::move(s));
        }
        return out;
    }
    int wait_fd() const override { return tail_->wait_fd(); }
    milliseconds next_wakeup() const override { return tail_->next_wakeup(); }
    void describe(nlohmann::json& out) const override {
        std::lock_guard lk(mu_);
        for (const auto& f : stats_)
            out.push_back({{"path", f.path},
                           {"offset", f.offset},
                           {"size", f.size},
                           {"bytes_behind", f.size > f.offset ? f.size - f.offset : 0}});
    }

private:
    std::unique_ptr<sources::tail::Tail> tail_;
    std::string prefix_;
    mutable std::mutex mu_;
    std::vector<sources::tail::Tail::FileStats> stats_;
};

class MetricsSource : public Source {
public:
    explicit MetricsSource(std::unique_ptr<sources::metrics::Metrics> m) : m_(std::move(m)) {}

    Result<std::vector<SourceBatch>> read(size_t, size_t) override {
        std::vector<SourceBatch> out;
        auto now = std::chrono::steady_clock::now();
        if (now < due_) return out;
        due_ = now + m_->interval();
        SourceBatch b;
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
    std::unique_ptr<sources::metrics::Metrics> m_;
    std::chrono::steady_clock::time_point due_{};
};

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

// ---- sink -------------------------------------------------------------------------------------

SendStatus status_of(sinks::https::Status s) {
    switch (s) {
        case sinks::https::Status::ok: return SendStatus::ok;
        case sinks::https::Status::retry: return SendStatus::retry;
        case sinks::https::Status::fatal: return SendStatus::fatal;
    }
    return SendStatus::retry;
}

SendFn send_fn(std::shared_ptr<sinks::https::Sink> sink, std::string producer_id) {
    return [sink = std::move(sink), producer_id = std::move(producer_id)](
               std::string_view stream, std::span<const OutRecord> records, std::string_view queue,
               uint64_t sequence) {
        std::vector<sinks::https::OutRecord> out;
        out.reserve(records.size());
        for (const auto& r : records) out.push_back({r.partition_key, r.data});
        auto r = sink->put(stream, out, {producer_id, std::string(queue), sequence});
        SendOutcome o;
        o.status = status_of(r.status);
        o.throttled = r.throttled;
        o.error = std::move(r.error);
        for (const auto& rec : r.records) {
            o.records.push_back(status_of(rec.status));
            if (rec.status != sinks::https::Status::ok && o.error.empty())
                o.error = rec.error_code + ": " + rec.error_message;
        }
        return o;
    };
}

// The stream's open shards as hash ranges, for the flow's lanes.
ShardsFn shards_fn(std::shared_ptr<sinks::https::Sink> sink) {
    return [sink = std::move(sink)](std::string_view stream) -> Result<std::vector<HashRange>> {
        TRIB_TRY(auto shards, sink->list_shards(stream));
        std::vector<HashRange> out;
        for (const auto& s : shards) {
            auto start = parse_hash_key(s.starting_hash_key), end = parse_hash_key(s.ending_hash_key);
            if (!start || !end)
                return fail(sinks::https::errc::list_shards_failed,
                            "shard " + s.shard_id + " has a hash key range out of bounds");
            out.push_back({*start, *end});
        }
        return out;
    };
}

std::string metric_group_names(const std::vector<cfg::MetricGroup>& groups,
                               std::vector<std::string>& out) {
    for (auto g : groups) out.emplace_back(cfg::to_string(g));
    return {};
}

}  // namespace

struct Engine::Impl {
    cfg::AgentConfig config;
    std::unique_ptr<buffer::Spool> spool;
    std::unique_ptr<SpoolAdapter> spool_port;
    std::vector<std::unique_ptr<Flow>> flows;
    std::unique_ptr<StatusServer> status_server;
    uint64_t started_ms = wall_ms();
    std::once_flag stopped;

    Result<std::unique_ptr<Flow>> make_flow(const cfg::FlowConfig& f,
                                            std::shared_ptr<sinks::https::Sink> sink);
};

Result<std::unique_ptr<Flow>> Engine::Impl::make_flow(const cfg::FlowConfig& f,
                                                      std::shared_ptr<sinks::https::Sink> sink) {
    std::unique_ptr<Source> source;
    if (f.source == cfg::Source::file) {
        sources::tail::Options o;
        o.pattern = f.file_pattern;
        o.start_at_beginning = f.initial_position == cfg::InitialPosition::start_of_file;
        if (!f.multi_line_start_pattern.empty()) o.multi_line_start_pattern = f.multi_line_start_pattern;
        o.skip_header_lines = static_cast<size_t>(f.skip_header_lines);
        if (!f.file_footer_pattern.empty()) o.file_footer_pattern = f.file_footer_pattern;
        o.truncated_record_terminator = f.truncated_record_terminator;
        // The record limit includes the partition key for Kinesis (an MD5 hex or a number:
        // 32 bytes at most); keep clear of it.
        o.max_record_bytes = static_cast<size_t>(f.max_record_size_bytes()) - 256;
        o.poll_interval = f.min_time_between_file_polls;
        o.rescan_interval = f.max_time_between_file_tracker_refresh;
        std::string prefix = "tail/" + f.id + "/";
        TRIB_TRY(auto saved, spool->checkpoints(prefix));
        std::vector<sources::tail::Position> restored;
        for (const auto& [key, value] : saved) {
            auto p = sources::tail::Position::decode(value);
            if (p) restored.push_back(std::move(*p));
            else TRIB_LOG(warn, "checkpoint_unreadable").kv("key", key).kv("error", p.error().message);
        }
        TRIB_TRY(auto tail, sources::tail::Tail::open(std::move(o), std::move(restored)));
        source = std::make_unique<TailSource>(std::move(tail), prefix);
    } else {
        sources::metrics::Options o;
        o.interval = f.metrics_interval;
        metric_group_names(f.metrics, o.groups);
        o.device_id = config.device_id;
        o.hostname = cfg::Environment::from_process().hostname;
        // The "agent" group: the agent's own totals (flows are all built before any starts).
        o.agent_counters = [this] {
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
        };
        TRIB_TRY(auto m, sources::metrics::Metrics::create(std::move(o)));
        source = std::make_unique<MetricsSource>(std::move(m));
    }

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
    ShardsFn shards = f.destination == cfg::Destination::kinesis ? shards_fn(sink) : ShardsFn{};
    return std::make_unique<Flow>(std::move(spec), std::move(source), std::move(transform),
                                  *spool_port, send_fn(std::move(sink), spool->producer_id()),
                                  std::move(shards));
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
    TRIB_TRY(impl->spool, buffer::Spool::open(so));
    impl->spool_port = std::make_unique<SpoolAdapter>(*impl->spool);

    // One sink per destination API; flows share it.
    std::shared_ptr<sinks::https::Sink> kinesis, firehose;
    auto sink_for = [&](cfg::Destination d) -> Result<std::shared_ptr<sinks::https::Sink>> {
        auto& slot = d == cfg::Destination::kinesis ? kinesis : firehose;
        if (slot) return slot;
        sinks::https::Options o;
        o.api = d == cfg::Destination::kinesis ? sinks::https::Api::kinesis : sinks::https::Api::firehose;
        o.endpoint = d == cfg::Destination::kinesis ? config.kinesis_endpoint : config.firehose_endpoint;
        o.region = d == cfg::Destination::kinesis ? config.kinesis_region : config.firehose_region;
        o.credentials.access_key_id = config.credentials.access_key_id;
        o.credentials.secret_access_key = config.credentials.secret_access_key;
        o.credentials.session_token = config.credentials.session_token;
        o.ca_file = config.tls.ca_file;
        o.verify_tls = config.tls.verify;
        o.connect_timeout = config.connection_timeout;
        o.request_timeout = config.socket_timeout;
        o.user_agent = config.user_agent_override.value_or(
            (config.user_agent.empty() ? "" : config.user_agent + " ") + "tributary-agent/0.1");
        TRIB_TRY(auto s, sinks::https::Sink::create(std::move(o)));
        slot = std::shared_ptr<sinks::https::Sink>(std::move(s));
        return slot;
    };
    for (const auto& f : config.flows) {
        TRIB_TRY(auto sink, sink_for(f.destination));
        TRIB_TRY(auto flow, impl->make_flow(f, std::move(sink)));
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
