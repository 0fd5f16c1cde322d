#include "agent/engine/flow.h"

#include <poll.h>

#include <cstdio>

#include <algorithm>
#include <charconv>
#include <random>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "agent/engine/backoff.h"
#include "agent/engine/lanes.h"
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
           SendFn send, ShardsFn shards)
    : spec_(std::move(spec)), source_(std::move(source)), transform_(std::move(transform)),
      spool_(spool), send_(std::move(send)), shards_(std::move(shards)),
      rng_state_(std::random_device{}() | 1) {}

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
    // RANDOM, as the Kinesis Agent: a random number in [0, 1e6) as text, "123456.789012".
    // xorshift (no lock) and integer formatting: printf's float path cost 4 % of the CPU.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    uint64_t micros = (rng_state_ >> 11) % 1'000'000'000'000;
    char buf[24];
    char* end = std::to_chars(buf, buf + sizeof buf, micros / 1'000'000).ptr;
    *end++ = '.';
    uint64_t frac = micros % 1'000'000;
    for (int i = 5; i >= 0; --i, frac /= 10) end[i] = char('0' + frac % 10);
    return std::string(buf, end + 6);
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
                // A processor can grow a record past what the destination accepts (LOGTOJSON
                // of a line near the limit); sent as is it would fail forever and stall the
                // flow, so it is cut to the limit and counted, as the source does with lines.
                size_t key_bytes = spec_.limit_includes_key ? keys.back().size() : 0;
                if (rec.size() + key_bytes > spec_.max_record_bytes) {
                    rec.resize(spec_.max_record_bytes - std::min(spec_.max_record_bytes, key_bytes));
                    counters_.truncated++;
                }
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

namespace {

// One lane of a sender: its share of the records, in spool order, and its own backoff.
struct Lane {
    explicit Lane(const FlowSpec& spec) : backoff(spec.retry_initial, spec.retry_max) {}
    std::vector<SpoolEntry> carry;  // failed records first, then overflow: the next batch's head
    Backoff backoff;
    // This round:
    std::vector<SpoolEntry> batch;
    std::string tag;       // the flow tag the collector deduplicates by
    uint64_t sequence = 0;
    std::vector<uint64_t> done;             // ids the service stored
    std::optional<milliseconds> pause_for;  // after per-record failures
    bool settled = false;                   // the service answered the batch
};

size_t bytes_of(const SpoolEntry& e) { return e.data.size() + e.partition_key.size(); }

// A batch on its way, as the spool remembers it until the answer (docs/agent-spool.md): key
// "inflight/<queue>/<sequence, 20 digits>", value "<tag>\n<id>,<id>,...".
std::string inflight_key(const std::string& queue, uint64_t sequence) {
    char digits[21];
    std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(sequence));
    return "inflight/" + queue + "/" + digits;
}

std::string encode_inflight(const Lane& lane) {
    std::string v = lane.tag + "\n";
    for (size_t i = 0; i < lane.batch.size(); ++i) {
        if (i) v += ',';
        v += std::to_string(lane.batch[i].id);
    }
    return v;
}

struct Inflight {
    uint64_t sequence = 0;
    std::string key, tag;
    std::vector<uint64_t> ids;
};

std::optional<Inflight> decode_inflight(std::string_view prefix, const std::string& key,
                                        const std::string& value) {
    Inflight f;
    f.key = key;
    std::string_view digits = std::string_view(key).substr(prefix.size());
    if (digits.size() != 20 || digits.find_first_not_of("0123456789") != digits.npos)
        return std::nullopt;  // another queue's key that shares the prefix
    f.sequence = std::stoull(std::string(digits));
    size_t nl = value.find('\n');
    if (nl == std::string::npos || nl == 0) return std::nullopt;
    f.tag = value.substr(0, nl);
    std::string_view ids = std::string_view(value).substr(nl + 1);
    while (!ids.empty()) {
        size_t comma = ids.find(',');
        std::string_view one = ids.substr(0, comma);
        uint64_t id = 0;
        auto [end, ec] = std::from_chars(one.data(), one.data() + one.size(), id);
        if (ec != std::errc() || end != one.data() + one.size()) return std::nullopt;
        f.ids.push_back(id);
        ids = comma == ids.npos ? std::string_view() : ids.substr(comma + 1);
    }
    if (f.ids.empty()) return std::nullopt;
    return f;
}

}  // namespace

void Flow::send_loop(const std::string& queue, const std::string& stream) {
    // Deliveries are removed from the spool by a helper thread, so the commit of one round's
    // removal overlaps the sending of the next. A batch's in-flight record goes in the same
    // transaction as its removal: until then a restart re-sends it as it was (same number, same
    // records), which the collector answers from its dedup entry without storing it twice.
    struct Removal {
        std::vector<uint64_t> ids;
        std::vector<CheckpointWrite> settled;  // in-flight records to erase
    };
    std::mutex rm_mu;
    std::condition_variable rm_cv;
    std::vector<Removal> rm_queue;
    uint64_t rm_submitted = 0, rm_committed = 0;  // rounds handed to the remover / removed
    bool rm_stop = false;
    std::thread remover([&] {
        for (;;) {
            std::vector<Removal> work;
            {
                std::unique_lock lk(rm_mu);
                rm_cv.wait(lk, [&] { return rm_stop || !rm_queue.empty(); });
                if (rm_queue.empty()) return;
                work.swap(rm_queue);
            }
            Removal all;
            for (auto& w : work) {
                all.ids.insert(all.ids.end(), w.ids.begin(), w.ids.end());
                for (auto& c : w.settled) all.settled.push_back(std::move(c));
            }
            // A failed removal leaves the records and their in-flight records: a restart
            // re-sends those batches under their numbers, and the collector replays them.
            if (auto rm = spool_.remove(queue, all.ids, all.settled); !rm)
                set_error(rm.error().message);
            {
                std::lock_guard lk(rm_mu);
                rm_committed += work.size();
            }
            rm_cv.notify_all();
            ++events_;
            wake_.notify_all();  // room for a blocked reader
        }
    });
    auto hand_to_remover = [&](Removal r) {
        {
            std::lock_guard lk(rm_mu);
            rm_queue.push_back(std::move(r));
            ++rm_submitted;
        }
        rm_cv.notify_all();
    };
    auto stopping_now = [&] {
        return stop_sending_ && (Clock::now() >= drain_deadline_ || spool_.depth(queue).records == 0);
    };
    uint64_t seen = events_;
    // Waits for `d`, or less when records arrive (`wake_on_news`) or the flow stops.
    auto pause = [&](milliseconds d, bool wake_on_news = false) {
        std::unique_lock lk(mu_);
        wake_.wait_for(lk, d, [&] { return stopping_now() || (wake_on_news && events_ != seen); });
    };

    LaneMap map;
    std::vector<Lane> lanes;
    lanes.emplace_back(spec_);
    Crew crew;
    std::atomic<bool> trouble{false};  // a failure since the last clean round
    auto next_map_refresh = Clock::now();
    bool map_error_logged = false;
    // Batch numbers are reserved in blocks: one spool commit per `block` batches, not per batch.
    constexpr uint64_t block = 256;
    uint64_t next_seq = 0, seq_end = 0;
    uint64_t cursor = 0;  // the last id taken from the spool
    // Ids of re-sent in-flight batches, which the spool will offer again: skipped once.
    std::unordered_set<uint64_t> skip;
    uint64_t skip_max = 0;
    const std::string inflight_prefix = "inflight/" + queue + "/";

    // Asks for the destination's shards now and then; a changed map regroups the records the
    // lanes carry (between rounds, when nothing is in flight), so order per shard holds.
    auto refresh_map = [&] {
        if (!shards_ || Clock::now() < next_map_refresh) return;
        next_map_refresh = Clock::now() + spec_.shard_refresh;
        auto r = shards_(stream);
        if (!r) {
            if (!map_error_logged)
                TRIB_LOG(warn, "list_shards_failed")
                    .kv("flow", spec_.id)
                    .kv("stream", stream)
                    .kv("error", r.error().message)
                    .kv("effect", "one batch in flight at a time");
            map_error_logged = true;
            return;
        }
        map_error_logged = false;
        LaneMap fresh(std::move(*r), spec_.max_lanes);
        if (fresh == map) return;
        std::vector<SpoolEntry> all;
        for (auto& l : lanes)
            for (auto& e : l.carry) all.push_back(std::move(e));
        std::sort(all.begin(), all.end(),
                  [](const SpoolEntry& a, const SpoolEntry& b) { return a.id < b.id; });
        map = std::move(fresh);
        lanes.clear();
        for (size_t i = 0; i < map.lanes(); ++i) lanes.emplace_back(spec_);
        for (auto& e : all) lanes[map.lane_of(e.partition_key)].carry.push_back(std::move(e));
        TRIB_LOG(info, "lanes").kv("flow", spec_.id).kv("stream", stream).kv("lanes", map.lanes());
        if (queue == spec_.id) counters_.lanes = map.lanes();
    };

    // Sends a lane's batch until the call itself succeeds (the same records under the same
    // number each time, docs/agent-delivery.md) or the flow stops.
    auto send_lane = [&](Lane& lane) {
        lane.done.clear();
        lane.pause_for.reset();
        lane.settled = false;
        if (lane.batch.empty()) return;
        std::vector<OutRecord> out;
        out.reserve(lane.batch.size());
        for (const auto& e : lane.batch) out.push_back({e.partition_key, e.data});
        for (;;) {
            SendOutcome r = send_(stream, out, lane.tag, lane.sequence);
            if (r.status == SendStatus::ok && r.records.size() == out.size()) {
                std::vector<SpoolEntry> failed;
                for (size_t k = 0; k < out.size(); ++k) {
                    if (r.records[k] == SendStatus::ok) lane.done.push_back(lane.batch[k].id);
                    else failed.push_back(std::move(lane.batch[k]));
                }
                counters_.batches++;
                counters_.sent += lane.done.size();
                if (failed.empty()) {
                    lane.backoff.success();
                } else {
                    counters_.records_failed += failed.size();
                    trouble = true;
                    set_error(r.error.empty() ? std::to_string(failed.size()) + " records failed"
                                              : r.error);
                    lane.pause_for = lane.backoff.failure(r.throttled);
                    // Failed records lead the lane's next batch (under a new number), ahead
                    // of its overflow.
                    failed.insert(failed.end(), std::make_move_iterator(lane.carry.begin()),
                                  std::make_move_iterator(lane.carry.end()));
                    lane.carry = std::move(failed);
                }
                lane.batch.clear();
                lane.settled = true;
                return;
            }
            counters_.send_failures++;
            trouble = true;
            if (r.status == SendStatus::ok) r.error = "answer does not match the batch";
            set_error(r.error);
            if (lane.backoff.failures() == 0 || r.status == SendStatus::fatal)
                log::Line(r.status == SendStatus::fatal ? log::Level::error : log::Level::warn,
                          "send_failed")
                    .kv("flow", spec_.id)
                    .kv("stream", stream)
                    .kv("error", r.error);
            // Fatal means an operator must act (credentials, a malformed request): keep the
            // data, retry at the slowest pace.
            auto d = r.status == SendStatus::fatal ? spec_.retry_max
                                                   : lane.backoff.failure(r.throttled);
            pause(d);
            if (stopping_now()) return;
        }
    };

    // Sends `active` at once, then hands what was stored to the remover. False when the flow
    // stopped before every batch had its answer (their in-flight records stay for a restart).
    auto run_round = [&](std::vector<Lane*>& active) {
        // At most one round's deletion may still be uncommitted while the next is sent, which
        // bounds what a crash re-sends without deduplication to two rounds.
        {
            std::unique_lock lk(rm_mu);
            rm_cv.wait(lk, [&] { return rm_submitted - rm_committed <= 1; });
        }
        if (active.size() == 1) send_lane(*active[0]);
        else if (active.size() > 1) crew.run(active.size(), [&](size_t i) { send_lane(*active[i]); });
        Removal removal;
        std::optional<milliseconds> wait;
        bool all_settled = true;
        for (Lane* l : active) {
            removal.ids.insert(removal.ids.end(), l->done.begin(), l->done.end());
            if (l->settled) removal.settled.push_back({inflight_key(queue, l->sequence), std::nullopt});
            else all_settled = false;
            if (l->pause_for) wait = std::max(wait.value_or(milliseconds(0)), *l->pause_for);
        }
        if (!removal.ids.empty() || !removal.settled.empty()) hand_to_remover(std::move(removal));
        if (!all_settled) return false;
        if (wait) pause(*wait);
        else if (trouble.exchange(false)) set_error("");  // recovered
        return true;
    };

    // Batches that were in flight when the agent last stopped go first, as they were.
    refresh_map();
    bool stopped = false;
    if (auto saved = spool_.checkpoints(inflight_prefix); !saved) {
        set_error(saved.error().message);
    } else if (!saved->empty()) {
        std::vector<Lane> resend;
        Removal abandoned;
        for (const auto& [key, value] : *saved) {
            auto f = decode_inflight(inflight_prefix, key, value);
            if (!f) {
                if (key.size() - inflight_prefix.size() == 20) abandoned.settled.push_back({key, std::nullopt});
                continue;
            }
            Lane lane(spec_);
            bool complete = true;
            for (uint64_t id : f->ids) {
                auto p = spool_.peek(queue, id - 1, 1, SIZE_MAX);
                if (!p || p->empty() || p->front().id != id) {
                    complete = false;
                    break;
                }
                lane.batch.push_back(std::move(p->front()));
            }
            // Some of its records are gone: only an answer removes records, so the batch was
            // answered and its survivors (failed records) are ordinary records again.
            if (!complete) {
                abandoned.settled.push_back({key, std::nullopt});
                continue;
            }
            lane.tag = f->tag;
            lane.sequence = f->sequence;
            for (uint64_t id : f->ids) skip.insert(id), skip_max = std::max(skip_max, id);
            resend.push_back(std::move(lane));
        }
        if (!abandoned.settled.empty()) hand_to_remover(std::move(abandoned));
        if (!resend.empty()) {
            TRIB_LOG(info, "resending_in_flight_batches")
                .kv("flow", spec_.id)
                .kv("batches", resend.size());
            std::vector<Lane*> active;
            for (auto& l : resend) active.push_back(&l);
            stopped = !run_round(active);
            // Records that failed inside them join their shard's lane.
            for (auto& l : resend)
                for (auto& e : l.carry) lanes[map.lane_of(e.partition_key)].carry.push_back(std::move(e));
        }
    }

    while (!stopped && !stopping_now()) {
        seen = events_;
        refresh_map();
        size_t carried = 0, carried_bytes = 0;
        uint64_t oldest = UINT64_MAX;
        for (const auto& l : lanes) {
            carried += l.carry.size();
            for (const auto& e : l.carry) carried_bytes += bytes_of(e);
            if (!l.carry.empty()) oldest = std::min(oldest, l.carry.front().enqueued_ms);
        }
        // A round takes up to a full batch per lane, within one batch's bytes (memory is
        // bounded by the batch size, not by the lane count).
        size_t want = spec_.max_batch_records * map.lanes();
        std::vector<SpoolEntry> fresh;
        if (carried < want && carried_bytes < spec_.max_batch_bytes) {
            auto p = spool_.peek(queue, cursor, want - carried, spec_.max_batch_bytes - carried_bytes);
            if (!p) {
                set_error(p.error().message);
                pause(milliseconds(200));
                continue;
            }
            fresh = std::move(*p);
            if (!skip.empty() && !fresh.empty()) {
                cursor = std::max(cursor, fresh.back().id);
                std::erase_if(fresh, [&](const SpoolEntry& e) { return skip.count(e.id) > 0; });
                if (cursor >= skip_max) skip.clear();
                if (carried == 0 && fresh.empty()) continue;  // skipped a stretch; read on
            }
        }
        if (carried == 0 && fresh.empty()) {
            pause(milliseconds(200), skip.empty());
            continue;
        }
        if (!fresh.empty()) oldest = std::min(oldest, fresh.front().enqueued_ms);
        uint64_t now = wall_ms();
        uint64_t age = now > oldest ? now - oldest : 0;
        size_t bytes = carried_bytes;
        for (const auto& e : fresh) bytes += bytes_of(e);
        // As the Kinesis Agent: a batch goes when it is full or its oldest record is old
        // enough; carried records (retries, overflow) go at once.
        bool full = carried + fresh.size() >= spec_.max_batch_records ||
                    bytes >= spec_.max_batch_bytes * 9 / 10;
        if (!full && carried == 0 && age < uint64_t(spec_.max_batch_age.count()) && !stop_sending_) {
            // Not yet: leave them in the spool (skipped ones stay skipped).
            if (skip.empty()) {
                pause(milliseconds(std::min<uint64_t>(uint64_t(spec_.max_batch_age.count()) - age, 200)),
                      true);
                continue;
            }
        }
        if (!fresh.empty()) cursor = std::max(cursor, fresh.back().id);
        for (auto& e : fresh) lanes[map.lane_of(e.partition_key)].carry.push_back(std::move(e));

        // Each lane's batch: the head of what it carries, within the batch limits.
        std::vector<Lane*> active;
        for (size_t i = 0; i < lanes.size(); ++i) {
            Lane& l = lanes[i];
            size_t n = 0, b = 0;
            while (n < l.carry.size() && n < spec_.max_batch_records &&
                   (n == 0 || b + bytes_of(l.carry[n]) <= spec_.max_batch_bytes))
                b += bytes_of(l.carry[n++]);
            l.batch.assign(std::make_move_iterator(l.carry.begin()),
                           std::make_move_iterator(l.carry.begin() + n));
            l.carry.erase(l.carry.begin(), l.carry.begin() + n);
            if (n == 0) continue;
            l.tag = i == 0 ? queue : queue + "#" + std::to_string(i);
            active.push_back(&l);
        }
        if (active.empty()) continue;
        // Numbers, then the in-flight records, durably, before anything is sent.
        std::vector<CheckpointWrite> inflight;
        for (Lane* l : active) {
            while (next_seq == seq_end && !stopping_now()) {
                auto first = spool_.next_batch_sequence(queue, block);
                if (first) {
                    next_seq = *first;
                    seq_end = *first + block;
                    break;
                }
                set_error(first.error().message);
                pause(lanes[0].backoff.failure());
            }
            if (next_seq == seq_end) break;
            l->sequence = next_seq++;
            inflight.push_back({inflight_key(queue, l->sequence), encode_inflight(*l)});
        }
        if (inflight.size() != active.size()) break;  // stopping
        bool recorded = false;
        while (!recorded && !stopping_now()) {
            auto r = spool_.append(queue, {}, inflight);
            if (r) recorded = true;
            else {
                set_error(r.error().message);
                pause(lanes[0].backoff.failure());
            }
        }
        if (!recorded) break;
        if (!run_round(active)) break;
    }
    {
        std::lock_guard lk(rm_mu);
        rm_stop = true;
    }
    rm_cv.notify_all();
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
        {"batches_sent", counters_.batches.load()},
        {"lanes", counters_.lanes.load()},
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
