#include "agent/engine/flow.h"

#include <algorithm>

#include "agent/engine/lanes.h"
#include "shared/crypto/digest.h"
#include "shared/encoding/base64.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <nlohmann/json.hpp>

namespace tributary::agent::engine {
namespace {

using namespace std::chrono_literals;

// A source that hands out its lines in slices, with the index reached as the checkpoint.
class FakeSource : public Source {
public:
    explicit FakeSource(std::vector<std::string> lines) : lines_(std::move(lines)) {}
    Result<std::vector<SourceBatch>> read(size_t max_records, size_t) override {
        std::lock_guard lk(mu_);
        std::vector<SourceBatch> out;
        if (next_ >= lines_.size()) return out;
        SourceBatch b;
        while (next_ < lines_.size() && b.records.size() < std::min<size_t>(max_records, 7))
            b.records.push_back(lines_[next_++]);
        b.checkpoint_key = "tail/f";
        b.checkpoint_value = std::to_string(next_);
        out.push_back(std::move(b));
        return out;
    }
    std::chrono::milliseconds next_wakeup() const override { return 10ms; }
    void describe(nlohmann::json& out) const override { out.push_back({{"path", "fake"}}); }

private:
    std::mutex mu_;
    std::vector<std::string> lines_;
    size_t next_ = 0;
};

class FakeSpool : public SpoolPort {
public:
    size_t capacity = 1'000'000;
    std::map<std::string, std::string> saved;  // checkpoints

    Result<size_t> append(std::string_view queue, std::span<const SpoolRecord> records,
                          std::span<const CheckpointWrite> ckpts) override {
        std::lock_guard lk(mu_);
        auto& q = queues_[std::string(queue)];
        if (q.size() + records.size() > capacity)
            return fail(std::make_error_code(std::errc::no_space_on_device), "full");
        uint64_t now = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
        for (const auto& r : records)
            q.push_back({next_id_++, std::string(r.partition_key), std::string(r.data), now});
        for (const auto& c : ckpts) {
            if (c.value) saved[c.key] = *c.value;
            else saved.erase(c.key);
        }
        return size_t(0);
    }
    bool is_full(const Error& e) const override {
        return e.code == std::make_error_code(std::errc::no_space_on_device);
    }
    Result<std::vector<SpoolEntry>> peek(std::string_view queue, uint64_t after_id,
                                         size_t max_records, size_t) override {
        std::lock_guard lk(mu_);
        std::vector<SpoolEntry> out;
        for (const auto& e : queues_[std::string(queue)])
            if (e.id > after_id && out.size() < max_records) out.push_back(e);
        return out;
    }
    Result<void> remove(std::string_view queue, std::span<const uint64_t> ids,
                        std::span<const CheckpointWrite> ckpts) override {
        std::lock_guard lk(mu_);
        auto& q = queues_[std::string(queue)];
        std::erase_if(q, [&](const SpoolEntry& e) {
            return std::find(ids.begin(), ids.end(), e.id) != ids.end();
        });
        for (const auto& c : ckpts) {
            if (c.value) saved[c.key] = *c.value;
            else saved.erase(c.key);
        }
        return {};
    }
    Result<std::vector<std::pair<std::string, std::string>>> checkpoints_with(
        std::string_view prefix) {
        std::lock_guard lk(mu_);
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [k, v] : saved)
            if (k.starts_with(prefix)) out.emplace_back(k, v);
        return out;
    }
    Result<std::vector<std::pair<std::string, std::string>>> checkpoints(
        std::string_view prefix) override {
        return checkpoints_with(prefix);
    }
    Result<uint64_t> next_batch_sequence(std::string_view queue, uint64_t count) override {
        std::lock_guard lk(mu_);
        uint64_t& next = seqs_[std::string(queue)];
        uint64_t first = next + 1;
        next += count;
        return first;
    }
    Depth depth(std::string_view queue) const override {
        std::lock_guard lk(mu_);
        auto it = queues_.find(std::string(queue));
        if (it == queues_.end() || it->second.empty()) return {};
        uint64_t bytes = 0;
        for (const auto& e : it->second) bytes += e.data.size();
        return {it->second.size(), bytes, it->second.front().enqueued_ms};
    }

private:
    mutable std::mutex mu_;
    std::map<std::string, std::vector<SpoolEntry>> queues_;
    std::map<std::string, uint64_t> seqs_;
    uint64_t next_id_ = 1;
};

// A sink that records what reached each stream and follows a script of outcomes.
struct FakeSink {
    std::mutex mu;
    std::map<std::string, std::vector<std::string>> delivered;
    std::vector<std::pair<std::string, std::string>> keyed;  // (partition key, data) delivered
    std::vector<uint64_t> sequences;
    std::map<std::string, std::vector<uint64_t>> sequences_by_tag;
    int in_flight = 0, max_in_flight = 0;
    std::chrono::milliseconds latency{0};
    // Called per batch; may fail the whole call or single records.
    std::function<SendOutcome(std::span<const OutRecord>)> script;

    SendFn fn() {
        return [this](std::string_view stream, std::span<const OutRecord> recs,
                      std::string_view tag, uint64_t seq) {
            {
                std::lock_guard lk(mu);
                max_in_flight = std::max(max_in_flight, ++in_flight);
            }
            std::this_thread::sleep_for(latency);
            std::lock_guard lk(mu);
            --in_flight;
            sequences.push_back(seq);
            sequences_by_tag[std::string(tag)].push_back(seq);
            SendOutcome o;
            if (script) o = script(recs);
            else o = {SendStatus::ok, std::vector<SendStatus>(recs.size(), SendStatus::ok), false, ""};
            if (o.status == SendStatus::ok)
                for (size_t i = 0; i < recs.size(); ++i)
                    if (o.records[i] == SendStatus::ok) {
                        delivered[std::string(stream)].emplace_back(recs[i].data);
                        keyed.emplace_back(recs[i].partition_key, recs[i].data);
                    }
            return o;
        };
    }
    size_t count(const std::string& stream) {
        std::lock_guard lk(mu);
        return delivered[stream].size();
    }
};

std::vector<std::string> lines(size_t n) {
    std::vector<std::string> v;
    for (size_t i = 0; i < n; ++i) v.push_back("line-" + std::to_string(i));
    return v;
}

FlowSpec spec() {
    FlowSpec s;
    s.id = "kinesis:s:/x";
    s.stream = "s";
    s.max_batch_records = 10;
    s.max_batch_age = 20ms;
    s.retry_initial = 1ms;
    s.retry_max = 5ms;
    return s;
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return done();
}

TEST(Flow, DeliversEveryRecordInOrderAndCheckpointsWithThem) {
    FakeSpool spool;
    FakeSink sink;
    Flow flow(spec(), std::make_unique<FakeSource>(lines(95)), nullptr, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 95; }));
    flow.stop(1s);
    EXPECT_EQ(sink.delivered["s"], lines(95));
    EXPECT_EQ(spool.saved["tail/f"], "95");
    EXPECT_EQ(spool.depth(spec().id).records, 0u);
}

TEST(Flow, RetriesOnlyTheRecordsThatFailed) {
    FakeSpool spool;
    FakeSink sink;
    int calls = 0;
    sink.script = [&](std::span<const OutRecord> recs) {
        SendOutcome o{SendStatus::ok, std::vector<SendStatus>(recs.size(), SendStatus::ok), false, ""};
        if (++calls == 1) {  // the first batch: records 2 and 5 throttled
            o.records[2] = o.records[5] = SendStatus::retry;
            o.throttled = true;
        }
        return o;
    };
    auto s = spec();
    s.max_batch_age = 300ms;  // the first batch is all ten records
    Flow flow(s, std::make_unique<FakeSource>(lines(10)), nullptr, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 10; }));
    flow.stop(1s);
    auto& got = sink.delivered["s"];
    std::vector<std::string> want = lines(10);
    // The eight that succeeded, then the two retried, each exactly once.
    std::vector<std::string> first(want.begin(), want.end());
    first.erase(first.begin() + 5);
    first.erase(first.begin() + 2);
    first.push_back("line-2");
    first.push_back("line-5");
    EXPECT_EQ(got, first);
}

TEST(Flow, AFailedCallIsResentAsTheSameBatchWithTheSameSequence) {
    FakeSpool spool;
    FakeSink sink;
    int calls = 0;
    sink.script = [&](std::span<const OutRecord> recs) {
        if (++calls <= 3) return SendOutcome{SendStatus::retry, {}, false, "connection refused"};
        return SendOutcome{SendStatus::ok, std::vector<SendStatus>(recs.size(), SendStatus::ok),
                           false, ""};
    };
    auto s = spec();
    s.max_batch_age = 1s;  // only full batches go out, so the first call carries 10 records
    Flow flow(s, std::make_unique<FakeSource>(lines(10)), nullptr, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 10; }));
    flow.stop(1s);
    ASSERT_GE(sink.sequences.size(), 4u);
    EXPECT_EQ(sink.sequences[0], sink.sequences[1]);
    EXPECT_EQ(sink.sequences[1], sink.sequences[3]);
    EXPECT_EQ(sink.delivered["s"], lines(10));
}

TEST(Flow, AFullSpoolStopsReadingWithoutLosingRecords) {
    FakeSpool spool;
    spool.capacity = 12;  // smaller than the source: the reader must wait for the sender
    FakeSink sink;
    Flow flow(spec(), std::make_unique<FakeSource>(lines(200)), nullptr, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 200; }));
    flow.stop(1s);
    EXPECT_EQ(sink.delivered["s"], lines(200));
}

TEST(Flow, RejectedRecordsTravelInAMarkerOrToTheErrorStream) {
    Transform upper = [](std::string& r, std::string& step) {
        if (r.find('3') != std::string::npos) {
            step = "LOGTOJSON";
            return false;
        }
        r = "ok:" + r;
        return true;
    };
    {
        FakeSpool spool;
        FakeSink sink;
        Flow flow(spec(), std::make_unique<FakeSource>(lines(5)), upper, spool, sink.fn());
        flow.start();
        ASSERT_TRUE(wait_for([&] { return sink.count("s") == 5; }));
        flow.stop(1s);
        auto marker = nlohmann::json::parse(sink.delivered["s"][3]);
        EXPECT_EQ(marker["unparsed"], "line-3");
        EXPECT_EQ(marker["processor"], "LOGTOJSON");
        EXPECT_EQ(sink.delivered["s"][4], "ok:line-4");
        EXPECT_EQ(flow.status()["records_unparsed"], 1);
    }
    {
        FakeSpool spool;
        FakeSink sink;
        auto s = spec();
        s.error_stream = "errors";
        Flow flow(s, std::make_unique<FakeSource>(lines(5)), upper, spool, sink.fn());
        flow.start();
        ASSERT_TRUE(wait_for([&] { return sink.count("s") == 4 && sink.count("errors") == 1; }));
        flow.stop(1s);
        EXPECT_EQ(sink.delivered["errors"], std::vector<std::string>{"line-3"});
    }
}

TEST(Flow, WaitsForTheBufferAgeBeforeSendingAPartialBatch) {
    FakeSpool spool;
    FakeSink sink;
    auto s = spec();
    s.max_batch_age = 400ms;
    Flow flow(s, std::make_unique<FakeSource>(lines(3)), nullptr, spool, sink.fn());
    auto t0 = std::chrono::steady_clock::now();
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 3; }));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 350ms);
    flow.stop(1s);
}

TEST(Flow, StopDrainsWhatIsSpooledWithinTheDeadline) {
    FakeSpool spool;
    FakeSink sink;
    auto s = spec();
    s.max_batch_age = 60s;  // would never send on age alone
    Flow flow(s, std::make_unique<FakeSource>(lines(4)), nullptr, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return spool.depth(s.id).records == 4; }));
    flow.stop(2s);
    EXPECT_EQ(sink.delivered["s"], lines(4));
}

// `n` shards splitting the key space evenly (on the high word: the flow only compares keys).
std::vector<HashRange> even_shards(size_t n) {
    std::vector<HashRange> out;
    uint64_t step = ~uint64_t{0} / n;
    for (size_t i = 0; i < n; ++i)
        out.push_back({{step * i, 0},
                       i + 1 == n ? HashKey::max() : HashKey{step * (i + 1) - 1, ~uint64_t{0}}});
    return out;
}

// True when, per shard of `shards`, the lines arrived in increasing order.
bool ordered_per_shard(const std::vector<std::pair<std::string, std::string>>& keyed,
                       const std::vector<HashRange>& shards) {
    std::map<size_t, long> last;
    for (const auto& [key, data] : keyed) {
        HashKey h = hash_of(key);
        size_t shard = 0;
        while (shard + 1 < shards.size() && h > shards[shard].end) ++shard;
        long n = std::stol(data.substr(5));  // "line-N"
        if (last.count(shard) && last[shard] >= n) return false;
        last[shard] = n;
    }
    return true;
}

TEST(Flow, SendsOneBatchPerShardLaneAtOnceAndKeepsEachShardInOrder) {
    FakeSpool spool;
    FakeSink sink;
    sink.latency = 5ms;
    auto s = spec();
    s.max_lanes = 4;
    auto shards = even_shards(4);
    Flow flow(s, std::make_unique<FakeSource>(lines(2000)), nullptr, spool, sink.fn(),
              [&](std::string_view) -> Result<std::vector<HashRange>> { return shards; });
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 2000; }));
    flow.stop(1s);
    std::lock_guard lk(sink.mu);
    EXPECT_GT(sink.max_in_flight, 1);
    EXPECT_LE(sink.max_in_flight, 4);
    EXPECT_TRUE(ordered_per_shard(sink.keyed, shards));
    auto got = sink.delivered["s"];
    std::sort(got.begin(), got.end());
    auto want = lines(2000);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);  // each line exactly once
    // Each lane numbers its batches upward: one in flight per (producer, lane) tag.
    EXPECT_EQ(sink.sequences_by_tag.size(), 4u);
    for (const auto& [tag, seqs] : sink.sequences_by_tag)
        EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << tag;
}

TEST(Flow, RegroupsCarriedRecordsWhenTheShardMapChanges) {
    FakeSpool spool;
    FakeSink sink;
    std::atomic<int> listings{0};
    int calls = 0;
    // Throttle a record in every batch, so lanes always carry records across map changes.
    sink.script = [&](std::span<const OutRecord> recs) {
        SendOutcome o{SendStatus::ok, std::vector<SendStatus>(recs.size(), SendStatus::ok), false, ""};
        if (++calls % 2 == 1 && recs.size() > 1) o.records.back() = SendStatus::retry;
        return o;
    };
    auto s = spec();
    s.max_lanes = 4;
    s.shard_refresh = 0ms;  // re-read every round
    auto two = even_shards(2), four = even_shards(4);
    Flow flow(s, std::make_unique<FakeSource>(lines(600)), nullptr, spool, sink.fn(),
              [&](std::string_view) -> Result<std::vector<HashRange>> {
                  return ++listings % 3 == 0 ? two : four;
              });
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 600; }));
    flow.stop(1s);
    EXPECT_GT(listings, 3);
    std::lock_guard lk(sink.mu);
    // Per shard of the finer map every coarser shard is a union of finer ones, so order per
    // finer shard must hold whatever map a record travelled under.
    EXPECT_TRUE(ordered_per_shard(sink.keyed, four));
    EXPECT_EQ(sink.keyed.size(), 600u);
}

TEST(Flow, KeepsOneLaneWhenTheShardsCannotBeListed) {
    FakeSpool spool;
    FakeSink sink;
    sink.latency = 2ms;
    auto s = spec();
    s.max_lanes = 4;
    Flow flow(s, std::make_unique<FakeSource>(lines(300)), nullptr, spool, sink.fn(),
              [](std::string_view) -> Result<std::vector<HashRange>> {
                  return fail(std::make_error_code(std::errc::permission_denied),
                              "AccessDeniedException: not authorized to perform ListShards");
              });
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 300; }));
    flow.stop(1s);
    EXPECT_EQ(sink.max_in_flight, 1);
    EXPECT_EQ(sink.delivered["s"], lines(300));
}

TEST(Flow, PartitionKeysAreRandomNumbersOrTheDataDigest) {
    for (auto option : {PartitionKeyOption::random, PartitionKeyOption::deterministic}) {
        FakeSpool spool;
        FakeSink sink;
        auto s = spec();
        s.partition_key = option;
        Flow flow(s, std::make_unique<FakeSource>(lines(50)), nullptr, spool, sink.fn());
        flow.start();
        ASSERT_TRUE(wait_for([&] { return sink.count("s") == 50; }));
        flow.stop(1s);
        std::lock_guard lk(sink.mu);
        std::set<std::string> distinct;
        for (const auto& [key, data] : sink.keyed) {
            distinct.insert(key);
            if (option == PartitionKeyOption::deterministic) {
                EXPECT_EQ(key, encoding::hex_encode(crypto::md5(data)));
                continue;
            }
            // [0, 1e6) with six decimals, as the Kinesis Agent's RANDOM: "123456.789012".
            auto dot = key.find('.');
            ASSERT_NE(dot, std::string::npos) << key;
            EXPECT_GE(dot, 1u) << key;
            EXPECT_LE(dot, 6u) << key;
            EXPECT_EQ(key.size() - dot - 1, 6u) << key;
            EXPECT_EQ(key.find_first_not_of("0123456789."), std::string::npos) << key;
        }
        EXPECT_GT(distinct.size(), 45u);  // 50 lines, distinct data; random keys rarely repeat
    }
}

TEST(Flow, ARecordGrownPastTheLimitByAProcessorIsCutAndCounted) {
    FakeSpool spool;
    FakeSink sink;
    auto s = spec();
    s.max_record_bytes = 100;
    Transform grow = [](std::string& r, std::string&) {
        if (r == "line-1") r = std::string(500, 'j');
        return true;
    };
    Flow flow(s, std::make_unique<FakeSource>(lines(3)), grow, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 3; }));
    flow.stop(1s);
    std::lock_guard lk(sink.mu);
    ASSERT_EQ(sink.keyed.size(), 3u);
    EXPECT_EQ(sink.keyed[1].first.size() + sink.keyed[1].second.size(), 100u);
    EXPECT_EQ(sink.keyed[1].second, std::string(sink.keyed[1].second.size(), 'j'));
    EXPECT_EQ(sink.keyed[2].second, "line-2");
    EXPECT_EQ(flow.status()["records_truncated"], 1);
}

TEST(Flow, ABatchInFlightAtAStopIsResentFirstWithItsNumberAndRecords) {
    FakeSpool spool;
    auto s = spec();
    s.max_batch_age = 1ms;
    std::vector<std::string> first_records;
    uint64_t first_sequence = 0;
    {
        FakeSink sink;  // never answers: the batch stays in flight
        sink.script = [&](std::span<const OutRecord> recs) {
            if (first_records.empty())
                for (const auto& r : recs) first_records.emplace_back(r.data);
            return SendOutcome{SendStatus::retry, {}, false, "no answer"};
        };
        Flow flow(s, std::make_unique<FakeSource>(lines(25)), nullptr, spool, sink.fn());
        flow.start();
        ASSERT_TRUE(wait_for([&] {
            std::lock_guard lk(sink.mu);
            return !sink.sequences.empty();
        }));
        flow.stop(0ms);
        first_sequence = sink.sequences.front();
    }
    ASSERT_EQ(first_records.size(), 10u);
    // The in-flight record survived the stop; a new flow on the same spool sends that batch
    // first, unchanged, then the rest, each line once.
    FakeSink sink;
    Flow flow(s, std::make_unique<FakeSource>(std::vector<std::string>{}), nullptr, spool, sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 25; }));
    flow.stop(1s);
    std::lock_guard lk(sink.mu);
    EXPECT_EQ(sink.sequences.front(), first_sequence);
    std::vector<std::string> head(sink.delivered["s"].begin(), sink.delivered["s"].begin() + 10);
    EXPECT_EQ(head, first_records);
    EXPECT_EQ(sink.delivered["s"], lines(25));
    EXPECT_TRUE(spool.checkpoints_with("inflight/")->empty());
}

TEST(Flow, AnAnsweredBatchWhoseRecordsAreGoneIsNotResent) {
    FakeSpool spool;
    // An in-flight record whose ids were removed (the answer came, the record's erase did not).
    std::vector<SpoolRecord> recs{{"k", "line-0"}, {"k", "line-1"}};
    ASSERT_TRUE(spool.append(spec().id, recs, {}));
    std::vector<uint64_t> gone{1};
    ASSERT_TRUE(spool.remove(spec().id, gone, {}));
    std::vector<CheckpointWrite> inflight{
        {"inflight/" + spec().id + "/00000000000000000007", spec().id + "\n1,2"}};
    ASSERT_TRUE(spool.append(spec().id, {}, inflight));
    FakeSink sink;
    Flow flow(spec(), std::make_unique<FakeSource>(std::vector<std::string>{}), nullptr, spool,
              sink.fn());
    flow.start();
    ASSERT_TRUE(wait_for([&] { return sink.count("s") == 1; }));
    flow.stop(1s);
    std::lock_guard lk(sink.mu);
    EXPECT_EQ(sink.delivered["s"], std::vector<std::string>{"line-1"});
    EXPECT_NE(sink.sequences.front(), 7u);  // a new batch, not the answered one
    EXPECT_TRUE(spool.checkpoints_with("inflight/")->empty());
}

}  // namespace
}  // namespace tributary::agent::engine
