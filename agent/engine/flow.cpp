#include "agent/engine/flow.h"

#include <poll.h>

#include <random>

#include <nlohmann/json.hpp>

#include "agent/engine/backoff.h"
#include "shared/crypto/digest.h"
#include "shared/encoding/base64.h"
#include "shared/log/log.h"

namespace tributary::agent::engine {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

uint64_t wall_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

// The marker a rejected record travels in when the flow has no error stream: valid JSON, so
// consumers of a LOGTOJSON flow do not choke, with the original bytes kept (invalid UTF-8
// replaced, since JSON must be text).
std::string unparsed_marker(std::string_view raw, std::string_view step) {
    nlohmann::json j = {{"unparsed", std::string(raw)}, {"processor", std::string(step)}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Flow::Flow(FlowSpec spec, std::unique_ptr<Source> source, Transform transform, SpoolPort& spool,
           SendFn send)
    : spec_(std::move(spec)), source_(std::move(source)), transform_(std::move(transform)),
      spool_(spool), send_(std::move(send)), rng_state_(std::random_device{}() | 1) {}

Flow::~Flow() { stop(milliseconds(0)); }

void Flow::start() {
    threads_.emplace_back([this] { read_loop(); });
    threads_.emplace_back([this] { send_loop(spec_.id, spec_.stream); });
    if (!spec_.error_stream.empty())
        threads_.emplace_back([this] { send_loop(spec_.id + "#errors", spec_.error_stream); });
}

void Flow::stop(milliseconds drain) {
    if (threads_.empty()) return;
    {
        std::lock_guard lk(mu_);
        stop_reading_ = true;
        drain_deadline_ = Clock::now() + drain;
        stop_sending_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

void Flow::set_error(std::string e) {
    std::lock_guard lk(mu_);
    last_error_ = std::move(e);
}

std::string Flow::partition_key(std::string_view data) {
    if (spec_.partition_key == PartitionKeyOption::deterministic)
        return encoding::hex_encode(crypto::md5(data));
    // RANDOM, as the Kinesis Agent: a random number in [0, 1e6) as text. xorshift: no lock.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    return std::to_string(double(rng_state_ >> 11) / double(uint64_t(1) << 53) * 1e6);
}

bool Flow::wait_readable(milliseconds timeout) {
    auto until = Clock::now() + timeout;
    int fd = source_->wait_fd();
    while (!stop_reading_) {
        auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
        if (left.count() <= 0) return false;
        auto slice = std::min(left, milliseconds(200));
        if (fd >= 0) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(slice.count())) > 0) return true;
        } else {
            std::unique_lock lk(mu_);
            wake_.wait_for(lk, slice, [&] { return stop_reading_.load(); });
        }
    }
    return false;
}

void Flow::read_loop() {
    std::string failed_step;
    while (!stop_reading_) {
        auto batches = source_->read(spec_.read_max_records, spec_.read_max_bytes);
        if (!batches) {
            TRIB_LOG(warn, "source_failed").kv("flow", spec_.id).kv("error", batches.error().message);
            set_error(batches.error().message);
            wait_readable(milliseconds(1000));
            continue;
        }
        if (batches->empty()) {
            wait_readable(source_->next_wakeup());
            continue;
        }
        for (auto& b : *batches) {
            counters_.read += b.records.size();
            counters_.truncated += b.truncated;
            std::vector<std::string> keys, errors;
            keys.reserve(b.records.size());
            for (auto& rec : b.records) {
                if (transform_ && !transform_(rec, failed_step)) {
                    counters_.unparsed++;
                    if (!spec_.error_stream.empty()) {
                        errors.push_back(rec);  // raw, to the error stream
                        rec.clear();
                        keys.emplace_back();
                        continue;
                    }
                    rec = unparsed_marker(rec, failed_step);
                }
                keys.push_back(partition_key(rec));
            }
            std::vector<SpoolRecord> main;
            main.reserve(b.records.size());
            for (size_t i = 0; i < b.records.size(); ++i)
                if (!keys[i].empty()) main.push_back({keys[i], b.records[i]});
            // Rejected records first, in their own queue: a crash between the two appends
            // re-reads the batch, so the error stream is at-least-once; the main queue and the
            // checkpoint move together.
            if (!errors.empty()) {
                std::vector<std::string> ekeys;
                std::vector<SpoolRecord> erecs;
                for (const auto& e : errors) ekeys.push_back(partition_key(e));
                for (size_t i = 0; i < errors.size(); ++i) erecs.push_back({ekeys[i], errors[i]});
                while (!stop_reading_) {
                    auto r = spool_.append(spec_.id + "#errors", erecs, {});
                    if (r) break;
                    set_error(r.error().message);
                    wait_readable(milliseconds(500));
                }
            }
            std::vector<CheckpointWrite> ckpt;
            if (!b.checkpoint_key.empty()) ckpt.push_back({b.checkpoint_key, b.checkpoint_value});
            bool logged_full = false;
            while (!stop_reading_) {
                uint64_t seen = events_;
                auto r = spool_.append(spec_.id, main, ckpt);
                if (r) {
                    counters_.spooled += main.size();
                    counters_.dropped += *r;
                    ++events_;
                    wake_.notify_all();
                    break;
                }
                if (spool_.is_full(r.error())) {
                    // The `block` policy: stop reading, the file is the buffer.
                    if (!logged_full)
                        TRIB_LOG(info, "spool_full_waiting").kv("flow", spec_.id);
                    logged_full = true;
                    set_error("spool full: waiting for the sink");
                } else {
                    TRIB_LOG(error, "spool_append_failed")
                        .kv("flow", spec_.id)
                        .kv("error", r.error().message);
                    set_error(r.error().message);
                }
                std::unique_lock lk(mu_);
                wake_.wait_for(lk, milliseconds(500),
                               [&] { return stop_reading_.load() || events_ != seen; });
            }
        }
    }
}

void Flow::send_loop(const std::string& queue, const std::string& stream) {
    Backoff backoff(spec_.retry_initial, spec_.retry_max);
    // Deliveries are removed from the spool by a helper thread, so the commit of one batch's
    // removal overlaps the sending of the next. Until removed, delivered entries stay in the
    // spool: a crash re-sends them (at-least-once; the collector's duplicate detection is the
    // idempotence hook's job).
    std::mutex rm_mu;
    std::condition_variable rm_cv;
    std::vector<std::vector<uint64_t>> rm_queue;
    bool rm_stop = false;
    std::thread remover([&] {
        for (;;) {
            std::vector<std::vector<uint64_t>> work;
            {
                std::unique_lock lk(rm_mu);
                rm_cv.wait(lk, [&] { return rm_stop || !rm_queue.empty(); });
                if (rm_queue.empty()) return;
                work.swap(rm_queue);
            }
            std::vector<uint64_t> ids;
            for (auto& w : work) ids.insert(ids.end(), w.begin(), w.end());
            if (auto rm = spool_.remove(queue, ids); !rm) set_error(rm.error().message);
            ++events_;
            wake_.notify_all();  // room for a blocked reader
        }
    });
    auto stopping_now = [&] {
        return stop_sending_ && (Clock::now() >= drain_deadline_ || spool_.depth(queue).records == 0);
    };
    uint64_t seen = events_;
    // Waits for `d`, or less when records arrive (`wake_on_news`) or the flow stops.
    auto pause = [&](milliseconds d, bool wake_on_news = false) {
        std::unique_lock lk(mu_);
        wake_.wait_for(lk, d, [&] { return stopping_now() || (wake_on_news && events_ != seen); });
    };
    uint64_t cursor = 0;             // the last id taken into a batch
    std::vector<SpoolEntry> retry;   // records that failed: they lead the next batch
    while (!stopping_now()) {
        seen = events_;
        size_t room = spec_.max_batch_records > retry.size() ? spec_.max_batch_records - retry.size() : 0;
        std::vector<SpoolEntry> fresh;
        if (room > 0) {
            auto p = spool_.peek(queue, cursor, room, spec_.max_batch_bytes);
            if (!p) {
                set_error(p.error().message);
                pause(milliseconds(200));
                continue;
            }
            fresh = std::move(*p);
        }
        if (retry.empty() && fresh.empty()) {
            pause(milliseconds(200), true);
            continue;
        }
        uint64_t now = wall_ms();
        uint64_t oldest = !retry.empty() ? retry.front().enqueued_ms : fresh.front().enqueued_ms;
        uint64_t age = now > oldest ? now - oldest : 0;
        size_t bytes = 0;
        for (const auto& e : retry) bytes += e.data.size() + e.partition_key.size();
        for (const auto& e : fresh) bytes += e.data.size() + e.partition_key.size();
        bool full = retry.size() + fresh.size() >= spec_.max_batch_records ||
                    bytes >= spec_.max_batch_bytes * 9 / 10;
        if (!full && retry.empty() && age < uint64_t(spec_.max_batch_age.count()) && !stop_sending_) {
            pause(milliseconds(std::min<uint64_t>(uint64_t(spec_.max_batch_age.count()) - age, 200)),
                  true);
            continue;
        }
        std::vector<SpoolEntry> batch = std::move(retry);
        retry.clear();
        for (auto& e : fresh) batch.push_back(std::move(e));
        if (!fresh.empty()) cursor = batch.back().id;
        auto seq = spool_.next_batch_sequence(queue);
        while (!seq && !stopping_now()) {
            set_error(seq.error().message);
            pause(backoff.failure());
            seq = spool_.next_batch_sequence(queue);
        }
        if (!seq) break;
        std::vector<OutRecord> out;
        out.reserve(batch.size());
        for (const auto& e : batch) out.push_back({e.partition_key, e.data});
        // The same batch, under the same sequence number, until the call itself succeeds.
        bool delivered = false;
        while (!delivered) {
            SendOutcome r = send_(stream, out, queue, *seq);
            if (r.status == SendStatus::ok && r.records.size() == out.size()) {
                std::vector<uint64_t> done;
                for (size_t i = 0; i < out.size(); ++i) {
                    if (r.records[i] == SendStatus::ok) done.push_back(batch[i].id);
                    else retry.push_back(batch[i]);
                }
                counters_.batches++;
                counters_.sent += done.size();
                {
                    std::lock_guard lk(rm_mu);
                    rm_queue.push_back(std::move(done));
                }
                rm_cv.notify_one();
                if (retry.empty()) {
                    if (backoff.failures()) set_error("");  // recovered
                    backoff.success();
                } else {
                    counters_.records_failed += retry.size();
                    set_error(r.error.empty() ? std::to_string(retry.size()) + " records failed"
                                              : r.error);
                    pause(backoff.failure(r.throttled));
                }
                delivered = true;
                continue;
            }
            counters_.send_failures++;
            if (r.status == SendStatus::ok) r.error = "answer does not match the batch";
            set_error(r.error);
            if (backoff.failures() == 0 || r.status == SendStatus::fatal)
                log::Line(r.status == SendStatus::fatal ? log::Level::error : log::Level::warn,
                          "send_failed")
                    .kv("flow", spec_.id)
                    .kv("stream", stream)
                    .kv("error", r.error);
            // Fatal means an operator must act (credentials, a malformed request): keep the
            // data, retry at the slowest pace.
            auto d = r.status == SendStatus::fatal ? spec_.retry_max : backoff.failure(r.throttled);
            pause(d);
            if (stopping_now()) break;
        }
        if (!delivered) break;
    }
    {
        std::lock_guard lk(rm_mu);
        rm_stop = true;
    }
    rm_cv.notify_one();
    remover.join();
}

nlohmann::json Flow::status() const {
    auto depth = spool_.depth(spec_.id);
    uint64_t now = wall_ms();
    nlohmann::json files = nlohmann::json::array();
    source_->describe(files);
    nlohmann::json j = {
        {"id", spec_.id},
        {"stream", spec_.stream},
        {"records_read", counters_.read.load()},
        {"records_spooled", counters_.spooled.load()},
        {"records_sent", counters_.sent.load()},
        {"records_failed", counters_.records_failed.load()},
        {"send_failures", counters_.send_failures.load()},
        {"records_dropped", counters_.dropped.load()},
        {"records_truncated", counters_.truncated.load()},
        {"records_unparsed", counters_.unparsed.load()},
        {"spool_records", depth.records},
        {"spool_bytes", depth.bytes},
        {"oldest_unsent_age_ms",
         depth.records && now > depth.oldest_enqueued_ms ? now - depth.oldest_enqueued_ms : 0},
        {"files", std::move(files)}};
    {
        std::lock_guard lk(mu_);
        j["last_error"] = last_error_;
    }
    return j;
}

void Flow::metrics(std::string& out) const {
    auto depth = spool_.depth(spec_.id);
    struct M {
        const char* name;
        uint64_t v;
    };
    const M all[] = {
        {"tributary_agent_records_read_total", counters_.read.load()},
        {"tributary_agent_records_sent_total", counters_.sent.load()},
        {"tributary_agent_records_failed_total", counters_.records_failed.load()},
        {"tributary_agent_send_failures_total", counters_.send_failures.load()},
        {"tributary_agent_records_dropped_total", counters_.dropped.load()},
        {"tributary_agent_records_truncated_total", counters_.truncated.load()},
        {"tributary_agent_records_unparsed_total", counters_.unparsed.load()},
        {"tributary_agent_spool_records", depth.records},
        {"tributary_agent_spool_bytes", depth.bytes},
    };
    for (const auto& m : all) {
        out += m.name;
        out += "{flow=\"";
        out += nlohmann::json(spec_.id).dump().substr(1);  // quoted and escaped, minus the "
        out += ",stream=\"" + spec_.stream + "\"} " + std::to_string(m.v) + "\n";
    }
}

}  // namespace tributary::agent::engine
