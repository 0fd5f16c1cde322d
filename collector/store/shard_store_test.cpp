#include "collector/store/shard_store.h"

#include "shared/lmdb/lmdb.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

namespace tributary::collector::store {
namespace {

class ShardStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-store-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open();
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() {
        StoreOptions o;
        o.data_dir = dir_;
        o.map_size = map_size_;
        o.clock = [this] { return now_; };
        o.throughput_limits = limits_;
        o.status_delay_ms = status_delay_ms_;
        o.max_shards = max_shards_;
        o.hour_ms = 1000;
        o.trim_interval_ms = 1'000'000'000;
        store_.reset();
        auto s = ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
    }
    void create(const std::string& name, uint32_t shards) {
        ASSERT_TRUE(store_->create_stream({.name = name, .shard_count = shards, .tags = {}}));
    }
    std::vector<PutOutcome> put(const std::string& name, std::vector<std::string> keys,
                                std::string data = "x") {
        std::vector<PutEntry> entries;
        for (const auto& k : keys) entries.push_back({k, std::nullopt, data});
        auto r = store_->put_records(name, entries);
        EXPECT_TRUE(r) << (r ? "" : r.error().message);
        return r ? *r : std::vector<PutOutcome>{};
    }
    std::vector<StoredRecord> read_all(const std::string& name, uint32_t shard) {
        auto m = store_->find(name);
        auto r = store_->read(*m, *m->shard(shard), 0, 10000, 10 << 20);
        EXPECT_TRUE(r);
        return r ? r->records : std::vector<StoredRecord>{};
    }

    std::string dir_;
    uint64_t now_ = 1'764'000'000'000;
    bool limits_ = false;
    size_t map_size_ = size_t(256) << 20;
    int64_t status_delay_ms_ = 0;
    uint32_t max_shards_ = 1024;
    std::unique_ptr<ShardStore> store_;
};

TEST_F(ShardStoreTest, CreateSplitsHashSpaceEvenlyLikeAws) {
    create("s", 3);
    auto m = store_->find("s");
    ASSERT_EQ(m->shards.size(), 3u);
    EXPECT_EQ(m->shards[0].end.to_string(), "113427455640312821154458202477256070484");
    EXPECT_EQ(m->shards[1].start.to_string(), "113427455640312821154458202477256070485");
    EXPECT_EQ(m->shards[1].end.to_string(), "226854911280625642308916404954512140969");
    EXPECT_EQ(m->shards[2].end.to_string(), "340282366920938463463374607431768211455");
}

TEST_F(ShardStoreTest, DuplicateCreateIsResourceInUse) {
    create("s", 1);
    auto r = store_->create_stream({.name = "s", .shard_count = 1, .tags = {}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::resource_in_use);
    EXPECT_EQ(r.error().message, "Stream s under account 000000000000 already exists.");
}

TEST_F(ShardStoreTest, PutAssignsIncreasingSequenceNumbersPerShard) {
    create("s", 1);
    auto out = put("s", {"a", "b", "c"});
    ASSERT_EQ(out.size(), 3u);
    EXPECT_LT(out[0].sequence_number, out[1].sequence_number);
    EXPECT_LT(out[1].sequence_number, out[2].sequence_number);
    auto recs = read_all("s", 0);
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[1].partition_key, "b");
    EXPECT_EQ(recs[2].sequence_number, out[2].sequence_number);
}

TEST_F(ShardStoreTest, RecordsAndSequenceNumbersSurviveReopen) {
    create("s", 2);
    auto out = put("s", {"a", "b", "c", "d"});
    open();
    auto more = put("s", {"a"});
    auto m = store_->find("s");
    ASSERT_TRUE(m);
    auto recs = read_all("s", more[0].shard);
    ASSERT_FALSE(recs.empty());
    EXPECT_EQ(recs.back().sequence_number, more[0].sequence_number);
    for (const auto& o : out) {
        if (o.shard == more[0].shard) {
            EXPECT_LT(o.sequence_number, more[0].sequence_number);
        }
    }
}

TEST_F(ShardStoreTest, SplitClosesParentAndRoutesChildren) {
    create("s", 1);
    auto before = put("s", {"k1", "k2"});
    ASSERT_TRUE(store_->split_shard("s", "shardId-000000000000",
                                    *HashKey::parse("170141183460469231731687303715884105728")));
    auto m = store_->find("s");
    ASSERT_EQ(m->shards.size(), 3u);
    EXPECT_FALSE(m->shards[0].open());
    EXPECT_EQ(m->shards[1].parent, 0u);
    EXPECT_EQ(m->shards[2].parent, 0u);
    auto after = put("s", {"k1", "k2"});
    for (const auto& o : after) {
        EXPECT_NE(o.shard, 0u);
        EXPECT_GT(o.sequence_number, before[0].sequence_number);
        EXPECT_GT(o.sequence_number, m->shards[0].ending_sequence().to_string());
    }
    auto again = store_->split_shard("s", "shardId-000000000000", HashKey(5));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, errc::invalid_argument);
}

TEST_F(ShardStoreTest, SplitRejectsKeyOutsideRange) {
    create("s", 1);
    auto r = store_->split_shard("s", "shardId-000000000000", HashKey(1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
}

TEST_F(ShardStoreTest, MergeRequiresAdjacentShards) {
    create("s", 3);
    auto bad = store_->merge_shards("s", "shardId-000000000000", "shardId-000000000002");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, errc::invalid_argument);
    ASSERT_TRUE(store_->merge_shards("s", "shardId-000000000001", "shardId-000000000000"));
    auto m = store_->find("s");
    const ShardMeta* child = m->shard(3);
    ASSERT_TRUE(child);
    EXPECT_EQ(child->parent, 1u);
    EXPECT_EQ(child->adjacent_parent, 0u);
    EXPECT_EQ(child->start.value(), 0u);
    EXPECT_EQ(child->end, m->shard(1)->end);
}

TEST_F(ShardStoreTest, UpdateShardCountScalesUniformly) {
    create("s", 3);
    ASSERT_TRUE(store_->update_shard_count("s", 4));
    auto m = store_->find("s");
    std::vector<const ShardMeta*> open;
    for (const auto& s : m->shards)
        if (s.open()) open.push_back(&s);
    ASSERT_EQ(open.size(), 4u);
    std::sort(open.begin(), open.end(), [](auto* a, auto* b) { return a->start < b->start; });
    u128 w = ~u128(0) / 4 + 1;
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(open[i]->start.value(), w * i);
    EXPECT_EQ(open.back()->end, HashKey::max());
    ASSERT_TRUE(store_->update_shard_count("s", 2));
    EXPECT_EQ(store_->find("s")->open_shard_count(), 2u);
    auto too_far = store_->update_shard_count("s", 5);
    ASSERT_FALSE(too_far);
    EXPECT_EQ(too_far.error().code, errc::limit_exceeded);
}

TEST_F(ShardStoreTest, ThrottlesPerShardAndRecordsPerRecordErrors) {
    limits_ = true;
    open();
    create("s", 1);
    std::vector<std::string> keys(1200, "k");
    std::vector<PutEntry> entries;
    for (auto& k : keys) entries.push_back({k, std::nullopt, "x"});
    auto r = store_->put_records("s", entries);
    ASSERT_TRUE(r);
    size_t ok = 0, throttled = 0;
    for (const auto& o : *r) {
        ok += o.ok;
        throttled += !o.ok && o.error == errc::provisioned_throughput_exceeded;
    }
    EXPECT_EQ(ok, 1000u);
    EXPECT_EQ(throttled, 200u);
    now_ += 1000;  // a second later the bucket is full again
    auto r2 = store_->put_records("s", std::span(entries).first(10));
    ASSERT_TRUE(r2);
    for (const auto& o : *r2) EXPECT_TRUE(o.ok);
}

TEST_F(ShardStoreTest, ReadsAreLimitedToFiveCallsPerSecondPerShard) {
    limits_ = true;
    open();
    create("s", 1);
    auto m = store_->find("s");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->read(*m, m->shards[0], 0, 10, 1 << 20));
    auto sixth = store_->read(*m, m->shards[0], 0, 10, 1 << 20);
    ASSERT_FALSE(sixth);
    EXPECT_EQ(sixth.error().code, errc::provisioned_throughput_exceeded);
    now_ += 1000;
    EXPECT_TRUE(store_->read(*m, m->shards[0], 0, 10, 1 << 20));
}

TEST_F(ShardStoreTest, ReadingMoreThanTwoMebibytesThrottlesUntilPaidBack) {
    limits_ = true;
    open();
    create("s", 1);
    std::string big((1 << 20) - 1024, 'b');
    std::vector<PutEntry> e{{"k", std::nullopt, big}};
    for (int i = 0; i < 4; ++i) {
        auto r = store_->put_records("s", e);
        ASSERT_TRUE(r);
        ASSERT_TRUE((*r)[0].ok) << (*r)[0].error_message;
        now_ += 1000;
    }
    auto m = store_->find("s");
    auto first = store_->read(*m, m->shards[0], 0, 10000, 10 << 20);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->records.size(), 4u);
    // ~4 MiB read from a 2 MiB/s bucket: about a second of debt to pay back first.
    EXPECT_FALSE(store_->read(*m, m->shards[0], 0, 1, 1 << 20));
    now_ += 500;
    EXPECT_FALSE(store_->read(*m, m->shards[0], 0, 1, 1 << 20));
    now_ += 1000;
    EXPECT_TRUE(store_->read(*m, m->shards[0], 0, 1, 1 << 20));
}

TEST_F(ShardStoreTest, StatusDelayMakesCreatingAndDeletingObservable) {
    status_delay_ms_ = 500;
    open();
    ASSERT_TRUE(store_->create_stream({.name = "s", .shard_count = 1, .tags = {}}));
    EXPECT_EQ(store_->find("s")->status, StreamStatus::creating);
    auto early = store_->put_records("s", std::vector<PutEntry>{{"k", std::nullopt, "v"}});
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, errc::resource_not_found);
    now_ += 500;
    ASSERT_TRUE(store_->run_maintenance());
    EXPECT_EQ(store_->find("s")->status, StreamStatus::active);
    ASSERT_TRUE(store_->delete_stream("s", false));
    EXPECT_EQ(store_->find("s")->status, StreamStatus::deleting);
    now_ += 500;
    ASSERT_TRUE(store_->run_maintenance());
    EXPECT_FALSE(store_->find("s"));
}

TEST_F(ShardStoreTest, RetentionTrimmerDeletesExpiredRecords) {
    create("s", 1);
    put("s", {"a", "b"});
    now_ += 20 * 1000;  // 20 "hours" (hour_ms = 1000)
    put("s", {"c"});
    now_ += 5 * 1000;  // the first two are now 25 hours old
    ASSERT_TRUE(store_->run_maintenance());
    auto recs = read_all("s", 0);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].partition_key, "c");
    EXPECT_GE(store_->find("s")->shards[0].trim_index, 3u);
    // Reopen: the trim horizon and the next index survive.
    open();
    auto more = put("s", {"d"});
    EXPECT_EQ(read_all("s", 0).size(), 2u);
}

TEST_F(ShardStoreTest, FullMapFailsTheRequestAndKeepsEverythingAcknowledged) {
    map_size_ = size_t(2) << 20;
    open();
    create("s", 1);
    std::string chunk(64 << 10, 'x');
    std::vector<PutEntry> e{{"k", std::nullopt, chunk}};
    size_t acked = 0;
    Result<std::vector<PutOutcome>> r = store_->put_records("s", e);
    for (int i = 0; i < 100 && r; ++i, r = store_->put_records("s", e)) ++acked;
    ASSERT_FALSE(r) << "a 2 MiB map never filled";
    EXPECT_EQ(r.error().code, errc::internal_failure);
    ASSERT_GT(acked, 0u);
    EXPECT_EQ(read_all("s", 0).size(), acked);
    // Still serving, and nothing half-written survives a reopen.
    EXPECT_FALSE(store_->put_records("s", e));
    open();
    EXPECT_EQ(read_all("s", 0).size(), acked);
    std::vector<PutEntry> small{{"k", std::nullopt, "tiny"}};
    auto after = store_->put_records("s", small);
    if (after) {
        EXPECT_EQ(read_all("s", 0).size(), acked + 1);
    }
}

TEST_F(ShardStoreTest, AtTimestampFindsFirstRecordAtOrAfter) {
    create("s", 1);
    put("s", {"a"});
    now_ += 1500;
    put("s", {"b"});
    now_ += 10;
    put("s", {"c"});
    auto m = store_->find("s");
    auto ix = store_->index_at(*m, m->shards[0], now_ - 5);
    ASSERT_TRUE(ix);
    EXPECT_EQ(*ix, 3u);
    auto first = store_->index_at(*m, m->shards[0], 0);
    EXPECT_EQ(*first, 1u);
    auto late = store_->index_at(*m, m->shards[0], now_ + 100000);
    EXPECT_EQ(*late, 4u);
}

TEST_F(ShardStoreTest, DeleteRemovesStreamAndPurgesRecords) {
    create("s", 1);
    put("s", {"a"});
    ASSERT_TRUE(store_->delete_stream("s", false));
    EXPECT_FALSE(store_->find("s"));
    create("s", 1);  // same name, new id: old records do not reappear
    EXPECT_TRUE(read_all("s", 0).empty());
}

TEST_F(ShardStoreTest, ConcurrentPutsAreGroupCommittedInOrder) {
    create("s", 1);
    std::vector<std::thread> threads;
    std::vector<std::vector<std::string>> seqs(4);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                std::vector<PutEntry> e{{"k", std::nullopt, "v"}};
                auto r = store_->put_records("s", e);
                ASSERT_TRUE(r);
                seqs[t].push_back((*r)[0].sequence_number);
            }
        });
    for (auto& t : threads) t.join();
    for (const auto& s : seqs) EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    EXPECT_EQ(read_all("s", 0).size(), 200u);
}

TEST_F(ShardStoreTest, EveryShardHasASlotOfItsOwn) {
    create("a", 3);
    create("b", 2);
    std::set<uint32_t> slots;
    for (const auto* name : {"a", "b"})
        for (const auto& s : store_->find(name)->shards) slots.insert(s.slot);
    EXPECT_EQ(slots.size(), 5u);
    EXPECT_LT(*slots.rbegin(), 5u);  // the lowest free slots
}

TEST_F(ShardStoreTest, MaxShardsBoundsTheShardsKept) {
    max_shards_ = 2;
    open();
    create("a", 2);
    auto r = store_->create_stream({.name = "b", .shard_count = 1, .tags = {}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::limit_exceeded);
    EXPECT_NE(r.error().message.find("max_shards"), std::string::npos) << r.error().message;
    EXPECT_FALSE(store_->find("b"));
    // The failed request left nothing behind: a reopen finds exactly the first stream.
    open();
    EXPECT_TRUE(store_->find("a"));
    EXPECT_FALSE(store_->find("b"));
}

TEST_F(ShardStoreTest, DeletedStreamsSlotsArePurgedAndReused) {
    max_shards_ = 2;
    open();
    create("a", 2);
    put("a", {"k1", "k2", "k3", "k4", "k5", "k6"});
    auto stale = store_->find("a");
    ASSERT_TRUE(store_->delete_stream("a", false));
    ASSERT_TRUE(store_->run_maintenance());  // purges the orphaned slots
    create("b", 2);                           // fits only in the freed slots
    put("b", {"k1", "k2", "k3", "k4", "k5", "k6"}, "new");
    auto b = store_->find("b");
    std::set<uint32_t> old_slots{stale->shards[0].slot, stale->shards[1].slot};
    EXPECT_EQ(old_slots, (std::set<uint32_t>{b->shards[0].slot, b->shards[1].slot}));
    // A reader still holding the deleted stream's metadata sees nothing of the new owner's.
    for (const auto& s : stale->shards) {
        auto r = store_->read(*stale, s, 0, 100, 1 << 20);
        ASSERT_TRUE(r);
        EXPECT_TRUE(r->records.empty());
        EXPECT_TRUE(r->at_end);
    }
    size_t total = read_all("b", 0).size() + read_all("b", 1).size();
    EXPECT_EQ(total, 6u);
    for (const auto& rec : read_all("b", 0)) EXPECT_EQ(rec.data, "new");
}

TEST_F(ShardStoreTest, OrphanedSlotsAreFoundAgainAfterRestart) {
    max_shards_ = 1;
    open();
    create("a", 1);
    put("a", {"x", "y"});
    ASSERT_TRUE(store_->delete_stream("a", false));
    open();  // whether or not the purge ran, the slot is recognised as no live shard's
    ASSERT_TRUE(store_->run_maintenance());
    create("b", 1);
    EXPECT_TRUE(read_all("b", 0).empty());
    put("b", {"z"});
    ASSERT_EQ(read_all("b", 0).size(), 1u);
    EXPECT_EQ(read_all("b", 0)[0].partition_key, "z");
}

TEST_F(ShardStoreTest, ExpiredClosedShardsGiveTheirSlotsBack) {
    max_shards_ = 3;
    open();
    create("s", 1);
    put("s", {"a"});
    auto m = store_->find("s");
    ASSERT_TRUE(store_->split_shard("s", "shardId-000000000000",
                                    HashKey(m->shards[0].end.value() / 2)));
    EXPECT_EQ(store_->find("s")->shards.size(), 3u);  // every slot in use
    now_ += 25 * 1000;                                // past 24 "hours" of retention
    ASSERT_TRUE(store_->run_maintenance());            // the parent expires...
    ASSERT_TRUE(store_->run_maintenance());            // ...and its slot is purged
    ASSERT_EQ(store_->find("s")->shards.size(), 2u);
    // Merging the children needs one more slot: the parent's.
    ASSERT_TRUE(store_->merge_shards("s", "shardId-000000000001", "shardId-000000000002"));
    auto after = store_->find("s");
    ASSERT_EQ(after->shards.size(), 3u);
    put("s", {"b", "c"});
    const ShardMeta& child = after->shards.back();
    EXPECT_EQ(store_->read(*after, child, 0, 10, 1 << 20)->records.size(), 2u);
}

TEST_F(ShardStoreTest, CreatesAMissingDataDirectory) {
    store_.reset();
    StoreOptions o;
    o.data_dir = dir_ + "/nested/data";
    o.map_size = map_size_;
    auto s = ShardStore::open(o);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/nested/data/data.mdb"));
}

TEST_F(ShardStoreTest, RefusesADataDirectoryOfStorageFormatOne) {
    store_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    {
        auto env = lmdb::Env::open(dir_, {.map_size = size_t(16) << 20});
        ASSERT_TRUE(env);
        auto txn = lmdb::Txn::begin_write(*env);
        ASSERT_TRUE(txn);
        ASSERT_TRUE(lmdb::open_db(*txn, "records"));
        ASSERT_TRUE(txn->commit());
    }
    StoreOptions o;
    o.data_dir = dir_;
    o.map_size = map_size_;
    auto s = ShardStore::open(o);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("storage format 1"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace tributary::collector::store
