// The tail source as the engine sees it: a Source over sources::tail::Tail whose positions are
// spool checkpoints under "tail/<flow id>/", restored at start.

#include <mutex>

#include <nlohmann/json.hpp>

#include "agent/sources/source.h"
#include "agent/sources/tail/tail.h"
#include "shared/log/log.h"

namespace tributary::agent::sources {
namespace {

using std::chrono::milliseconds;

class TailSource : public engine::Source {
public:
    TailSource(std::unique_ptr<tail::Tail> tail, std::string key_prefix)
        : tail_(std::move(tail)), prefix_(std::move(key_prefix)) {}

    Result<std::vector<engine::SourceBatch>> read(size_t max_records, size_t max_bytes) override {
        TRIB_TRY(auto batches, tail_->read(max_records, max_bytes));
        // Tail is not thread-safe and the status endpoint runs on its own thread: the reader
        // (this thread) publishes a snapshot of the per-file figures after every read.
        {
            auto stats = tail_->stats();
            std::lock_guard lk(mu_);
            stats_ = std::move(stats);
        }
        std::vector<engine::SourceBatch> out;
        out.reserve(batches.size());
        for (auto& b : batches) {
            engine::SourceBatch s;
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
    std::unique_ptr<tail::Tail> tail_;
    std::string prefix_;
    mutable std::mutex mu_;
    std::vector<tail::Tail::FileStats> stats_;
};

Result<std::unique_ptr<engine::Source>> make(const SourceContext& ctx) {
    const config::FlowConfig& f = ctx.flow;
    tail::Options o;
    o.pattern = f.file_pattern;
    o.start_at_beginning = f.initial_position == config::InitialPosition::start_of_file;
    if (!f.multi_line_start_pattern.empty()) o.multi_line_start_pattern = f.multi_line_start_pattern;
    o.skip_header_lines = static_cast<size_t>(f.skip_header_lines);
    if (!f.file_footer_pattern.empty()) o.file_footer_pattern = f.file_footer_pattern;
    o.truncated_record_terminator = f.truncated_record_terminator;
    // The record limit includes the partition key for Kinesis (an MD5 hex or a number: 32
    // bytes at most); keep clear of it.
    o.max_record_bytes = static_cast<size_t>(f.max_record_size_bytes()) - 256;
    o.poll_interval = f.min_time_between_file_polls;
    o.rescan_interval = f.max_time_between_file_tracker_refresh;
    std::string prefix = "tail/" + f.id + "/";
    TRIB_TRY(auto saved, ctx.checkpoints(prefix));
    std::vector<tail::Position> restored;
    for (const auto& [key, value] : saved) {
        auto p = tail::Position::decode(value);
        if (p) restored.push_back(std::move(*p));
        else TRIB_LOG(warn, "checkpoint_unreadable").kv("key", key).kv("error", p.error().message);
    }
    TRIB_TRY(auto t, tail::Tail::open(std::move(o), std::move(restored)));
    return std::unique_ptr<engine::Source>(std::make_unique<TailSource>(std::move(t), prefix));
}

constexpr KeySpec kKeys[] = {
    {"filePattern", "string", "(required)", "absolute glob; `*`, `?`, `[...]` per level, `**` across levels"},
    {"initialPosition", "string", "END_OF_FILE", "where a file never seen before is read from: START_OF_FILE | END_OF_FILE"},
    {"multiLineStartPattern", "string", "", "a regex that starts a record; lines until the next match join it"},
    {"skipHeaderLines", "integer", "0", "lines skipped at the start of every file"},
    {"fileFooterPattern", "string", "", "a regex for footer lines, which are skipped"},
    {"truncatedRecordTerminator", "string", "\\n", "ends a record cut at the size limit"},
    {"minTimeBetweenFilePollsMillis", "integer", "100", "polling interval where inotify cannot see changes"},
    {"maxTimeBetweenFileTrackerRefreshMillis", "integer", "10000", "how often the glob is re-expanded"},
};

}  // namespace

const SourceDescriptor kTail = {
    "file",
    "log files by glob, followed across rename and copytruncate rotation, positions kept in the "
    "spool in the same transaction as the records",
    config::Source::file,
    kKeys,
    make,
};

}  // namespace tributary::agent::sources
