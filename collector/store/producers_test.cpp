// Producer deduplication in the shard store (docs/agent-delivery.md, "Collector rules").

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "collector/store/producer_codec.h"
#include "collector/store/shard_store.h"

namespace tributary::collector::store {
namespace {

class ProducerDedupTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-dedup-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open();
        create("s", 2);
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() {
        StoreOptions o;
        o.data_dir = dir_;
        o.map_size = size_t(256) << 20;
        o.clock = [this] { return now_; };
        o.throughput_limits = limits_;
        o.hour_ms = 1000;  // retention of 24 "hours" = 24 s
        o.trim_interval_ms = 1'000'000'000;
        o.producer_ttl_ms = ttl_ms_;
        o.producer_max_entries = max_entries_;
        store_.reset();
        auto s = ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
    }
    void create(const std::string& name, uint32_t shards) {
        ASSERT_TRUE(store_->create_stream({.name = name, .shard_count = shards, .tags = {}}));
    }
    static BatchKey key(uint64_t sequence, std::string flow = "kinesis:s:/var/log/*.log") {
        BatchKey k;
        for (size_t i = 0; i < k.producer.size(); ++i) k.producer[i] = static_cast<uint8_t>(i);
        k.flow = std::move(flow);
        k.sequence = sequence;
        return k;
    }
    Result<PutBatchResult> put(const BatchKey& k, size_t n = 3, const std::string& stream = "s") {
        std::vector<std::string> pks, data;  // PutEntry holds views: these outlive the put
        for (size_t i = 0; i < n; ++i) {
            pks.push_back("pk-" + std::to_string(i));
            data.push_back("data-" + pks.back());
        }
        std::vector<PutEntry> entries;
        for (size_t i = 0; i < n; ++i) entries.push_back({pks[i], std::nullopt, data[i]});
        return store_->put_records(stream, entries, &k);
    }
    size_t count(const std::string& stream = "s") {
        auto m = store_->find(stream);
        size_t total = 0;
        for (const auto& shard : m->shards) {
            auto r = store_->read(*m, shard, 0, 10000, 10 << 20);
            EXPECT_TRUE(r);
            if (r) total += r->records.size();
        }
        return total;
    }
    std::string metrics() {
        std::string out;
        store_->render_metrics(out);
        return out;
    }

    std::string dir_;
    uint64_t now_ = 1'764'000'000'000;
    bool limits_ = false;
    int64_t ttl_ms_ = 24 * 3'600'000;
    uint64_t max_entries_ = 100'000;
    std::unique_ptr<ShardStore> store_;
};

std::vector<std::string> sequence_numbers(const PutBatchResult& r) {
    std::vector<std::string> out;
    for (const auto& o : r.outcomes) out.push_back(o.ok ? o.sequence_number : o.error_message);
    return out;
}

TEST_F(ProducerDedupTest, NewNumberStoresTheRecords) {
    auto r = put(key(1));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->replayed);
    ASSERT_EQ(r->outcomes.size(), 3u);
    for (const auto& o : r->outcomes) EXPECT_TRUE(o.ok);
    EXPECT_EQ(count(), 3u);
}

TEST_F(ProducerDedupTest, ResendReplaysTheStoredOutcomesAndWritesNothing) {
    auto first = put(key(7));
    ASSERT_TRUE(first);
    now_ += 5000;
    auto again = put(key(7));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(sequence_numbers(*again), sequence_numbers(*first));
    for (size_t i = 0; i < first->outcomes.size(); ++i)
        EXPECT_EQ(again->outcomes[i].shard, first->outcomes[i].shard);
    EXPECT_EQ(count(), 3u);
}

TEST_F(ProducerDedupTest, HigherNumberStoresAgain) {
    ASSERT_TRUE(put(key(1)));
    auto r = put(key(5));
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->replayed);
    EXPECT_EQ(count(), 6u);
}

TEST_F(ProducerDedupTest, LowerNumberIsRejectedAndStoresNothing) {
    ASSERT_TRUE(put(key(42)));
    auto r = put(key(41));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));
    EXPECT_EQ(r.error().message,
              "batch sequence 41 of flow kinesis:s:/var/log/*.log is below the last accepted 42");
    EXPECT_EQ(count(), 3u);
}

TEST_F(ProducerDedupTest, SameNumberWithAnotherRecordCountIsRejected) {
    ASSERT_TRUE(put(key(42), 3));
    auto r = put(key(42), 4);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));
    EXPECT_EQ(r.error().message, "batch sequence 42 of flow kinesis:s:/var/log/*.log was already "
                                 "used for a different batch");
    EXPECT_EQ(count(), 3u);
}

TEST_F(ProducerDedupTest, SameNumberToAnotherStreamIsRejected) {
    create("other", 1);
    ASSERT_TRUE(put(key(42), 3));
    auto r = put(key(42), 3, "other");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));
    EXPECT_EQ(count("other"), 0u);
}

TEST_F(ProducerDedupTest, FlowsAndProducersAreIndependent) {
    ASSERT_TRUE(put(key(42, "a")));
    auto other_flow = put(key(1, "b"));
    ASSERT_TRUE(other_flow);
    EXPECT_FALSE(other_flow->replayed);
    BatchKey k = key(1, "a");
    k.producer[0] = 0xff;
    auto other_producer = put(k);
    ASSERT_TRUE(other_producer);
    EXPECT_FALSE(other_producer->replayed);
    EXPECT_EQ(count(), 9u);
}

TEST_F(ProducerDedupTest, WholeCallFailureLeavesTheEntryUnchanged) {
    ASSERT_TRUE(put(key(1)));
    auto missing = put(key(2), 3, "missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, make_error_code(errc::resource_not_found));
    // Number 1 is still the entry's: its resend replays, and 2 is new rather than replayed.
    auto one = put(key(1));
    ASSERT_TRUE(one);
    EXPECT_TRUE(one->replayed);
    auto two = put(key(2));
    ASSERT_TRUE(two);
    EXPECT_FALSE(two->replayed);
    EXPECT_EQ(count(), 6u);
}

TEST_F(ProducerDedupTest, RequestsWithoutKeyAreNotDeduplicated) {
    std::vector<PutEntry> entries{{"pk", std::nullopt, "x"}};
    ASSERT_TRUE(store_->put_records("s", entries, nullptr));
    ASSERT_TRUE(store_->put_records("s", entries, nullptr));
    EXPECT_EQ(count(), 2u);
}

TEST_F(ProducerDedupTest, EmptyOrOversizedFlowIsAValidationError) {
    auto empty = put(key(1, ""));
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, make_error_code(errc::validation));
    auto big = put(key(1, std::string(1025, 'f')));
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, make_error_code(errc::validation));
    auto longest = put(key(1, std::string(1024, 'f')));
    EXPECT_TRUE(longest) << longest.error().message;
    EXPECT_EQ(count(), 3u);
}

TEST_F(ProducerDedupTest, EntrySurvivesCloseAndReopen) {
    auto first = put(key(9));
    ASSERT_TRUE(first);
    open();
    auto again = put(key(9));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(sequence_numbers(*again), sequence_numbers(*first));
    EXPECT_EQ(count(), 3u);
    EXPECT_NE(metrics().find("tributary_store_producer_entries 1\n"), std::string::npos);
}

TEST_F(ProducerDedupTest, ThrottledOutcomesAreReplayedWithTheirMessages) {
    limits_ = true;
    open();
    // 1,000 records/s per shard: of 3,000 records over 2 shards some are throttled.
    std::vector<std::string> pks(3000);
    std::vector<PutEntry> entries;
    for (size_t i = 0; i < pks.size(); ++i) {
        pks[i] = "p" + std::to_string(i);
        entries.push_back({pks[i], std::nullopt, "d"});
    }
    BatchKey k = key(4);
    auto big = store_->put_records("s", entries, &k);
    ASSERT_TRUE(big);
    size_t failed = 0;
    for (const auto& o : big->outcomes) failed += !o.ok;
    ASSERT_GT(failed, 0u);
    auto again = store_->put_records("s", entries, &k);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(sequence_numbers(*again), sequence_numbers(*big));
    for (size_t i = 0; i < big->outcomes.size(); ++i)
        EXPECT_EQ(again->outcomes[i].error, big->outcomes[i].error) << i;
}

TEST_F(ProducerDedupTest, EntryOfADeletedStreamCountsAsAbsent) {
    ASSERT_TRUE(put(key(8)));
    ASSERT_TRUE(store_->delete_stream("s", true));
    create("s", 1);
    auto r = put(key(8));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->replayed);
    EXPECT_EQ(count(), 3u);
}

TEST_F(ProducerDedupTest, ExpiredEntriesArePurgedAfterTtlAndRetention) {
    ttl_ms_ = 1000;
    open();
    ASSERT_TRUE(put(key(1, "old")));
    // Past the TTL but within the stream's retention (24 s here): kept.
    now_ += 5000;
    ASSERT_TRUE(store_->run_maintenance());
    auto kept = put(key(1, "old"));
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->replayed);
    ASSERT_TRUE(put(key(1, "young")));
    // Past both for "old" only.
    now_ += 20'000;
    ASSERT_TRUE(store_->run_maintenance());
    EXPECT_NE(metrics().find("tributary_store_producer_entries_dropped_total{reason=\"expired\"} 1"),
              std::string::npos);
    auto old = put(key(1, "old"));
    ASSERT_TRUE(old);
    EXPECT_FALSE(old->replayed);  // the entry is gone: processed as new (at-least-once)
    auto young = put(key(1, "young"));
    ASSERT_TRUE(young);
    EXPECT_TRUE(young->replayed);
}

TEST_F(ProducerDedupTest, EntriesOfDeletedStreamsArePurgedAfterTtl) {
    ttl_ms_ = 1000;
    open();
    ASSERT_TRUE(put(key(1)));
    ASSERT_TRUE(store_->delete_stream("s", true));
    now_ += 2000;
    ASSERT_TRUE(store_->run_maintenance());
    auto m = metrics();
    EXPECT_NE(m.find("tributary_store_producer_entries_dropped_total{reason=\"stream_deleted\"} 1"),
              std::string::npos);
    EXPECT_NE(m.find("tributary_store_producer_entries 0\n"), std::string::npos);
}

TEST_F(ProducerDedupTest, CapEvictsTheLeastRecentlyStoredEntry) {
    max_entries_ = 3;
    open();
    for (const char* flow : {"f1", "f2", "f3", "f4"}) {
        ASSERT_TRUE(put(key(1, flow)));
        now_ += 10;
    }
    auto m = metrics();
    EXPECT_NE(m.find("tributary_store_producer_entries 3\n"), std::string::npos);
    EXPECT_NE(m.find("tributary_store_producer_entries_dropped_total{reason=\"capacity\"} 1"),
              std::string::npos);
    auto evicted = put(key(1, "f1"));  // f1 is back as new, evicting f2
    ASSERT_TRUE(evicted);
    EXPECT_FALSE(evicted->replayed);
    for (const char* flow : {"f3", "f4"}) {
        auto kept = put(key(1, flow));
        ASSERT_TRUE(kept);
        EXPECT_TRUE(kept->replayed) << flow;
    }
}

TEST_F(ProducerDedupTest, RewrittenEntryMovesToTheYoungEndOfTheCap) {
    max_entries_ = 2;
    open();
    ASSERT_TRUE(put(key(1, "a")));
    now_ += 10;
    ASSERT_TRUE(put(key(1, "b")));
    now_ += 10;
    ASSERT_TRUE(put(key(2, "a")));  // "a" is now the most recently stored
    now_ += 10;
    ASSERT_TRUE(put(key(1, "c")));  // evicts "b"
    auto a = put(key(2, "a"));
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->replayed);
    auto b = put(key(1, "b"));
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->replayed);
}

TEST_F(ProducerDedupTest, ConcurrentIdenticalRequestsStoreOnce) {
    constexpr int kThreads = 8;
    std::vector<Result<PutBatchResult>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] { results[t] = put(key(100), 20); });
    for (auto& th : threads) th.join();
    int stored = 0;
    for (const auto& r : results) {
        ASSERT_TRUE(r) << r.error().message;
        stored += !r->replayed;
        EXPECT_EQ(sequence_numbers(*r), sequence_numbers(*results[0]));
    }
    EXPECT_EQ(stored, 1);
    EXPECT_EQ(count(), 20u);
    EXPECT_NE(metrics().find("tributary_store_producer_batches_total{outcome=\"replayed\"} 7"),
              std::string::npos);
}

// --- the entry codec ---

TEST(ProducerCodec, RoundTripsOutcomesCompactly) {
    ProducerEntry e;
    e.sequence = 18446744073709551615ull;
    e.stream_id = 7;
    e.stored_ms = 1'764'000'000'123;
    e.encrypted = true;
    e.stream = "orders";
    e.flow = std::string("kinesis:orders:/var/log/\xff", 25);
    for (uint64_t i = 0; i < 100; ++i) {
        PutOutcome o;
        if (i % 10 == 9) {
            o.error = errc::provisioned_throughput_exceeded;
            o.error_message = "Rate exceeded for shard shardId-00000000000" +
                              std::to_string(i % 2) + " in stream orders under account 0.";
        } else {
            o.ok = true;
            o.shard = static_cast<uint32_t>(i % 3);
            o.sequence = {1'764'000'000 + o.shard, o.shard, 1000 + i, 1'764'000'100 + i / 50};
        }
        e.outcomes.push_back(o);
    }
    std::string v = encode_producer_entry(e);
    EXPECT_LT(v.size(), 100u * 8 + 200);  // the JSON answer would be ~110 bytes a record
    ProducerEntry d;
    ASSERT_TRUE(decode_producer_entry(v, d));
    EXPECT_EQ(d.sequence, e.sequence);
    EXPECT_EQ(d.stream_id, e.stream_id);
    EXPECT_EQ(d.stored_ms, e.stored_ms);
    EXPECT_TRUE(d.encrypted);
    EXPECT_EQ(d.stream, e.stream);
    EXPECT_EQ(d.flow, e.flow);
    ASSERT_EQ(d.outcomes.size(), e.outcomes.size());
    for (size_t i = 0; i < e.outcomes.size(); ++i) {
        EXPECT_EQ(d.outcomes[i].ok, e.outcomes[i].ok);
        EXPECT_EQ(d.outcomes[i].shard, e.outcomes[i].shard);
        EXPECT_EQ(d.outcomes[i].sequence, e.outcomes[i].sequence);
        EXPECT_EQ(d.outcomes[i].error_message, e.outcomes[i].error_message);
        if (!e.outcomes[i].ok) {
            EXPECT_EQ(d.outcomes[i].error, e.outcomes[i].error);
        }
    }
}

TEST(ProducerCodec, RejectsTruncatedAndForeignValues) {
    ProducerEntry e;
    e.stream = "s";
    e.flow = "f";
    PutOutcome o;
    o.ok = true;
    o.sequence = {1, 0, 2, 3};
    e.outcomes = {o, o};
    std::string v = encode_producer_entry(e);
    ProducerEntry d;
    for (size_t n = 0; n < v.size(); ++n) EXPECT_FALSE(decode_producer_entry(v.substr(0, n), d)) << n;
    std::string versioned = v;
    versioned[0] = 2;
    EXPECT_FALSE(decode_producer_entry(versioned, d));
    EXPECT_FALSE(decode_producer_entry(v + "x", d));
}

TEST(ProducerCodec, FlowsThatAreNotPrintableArePercentEncodedInMessages) {
    EXPECT_EQ(printable_flow("kinesis:app:/var/log/*.log"), "kinesis:app:/var/log/*.log");
    EXPECT_EQ(printable_flow("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(printable_flow(std::string("a\nb\0", 4)), "a%0Ab%00");
    EXPECT_EQ(printable_flow("\xff:x"), "%FF%3Ax");
}

}  // namespace
}  // namespace tributary::collector::store
