#include "agent/buffer/spool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "agent/buffer/layout.h"
#include "shared/lmdb/lmdb.h"

namespace tributary::agent::buffer {
namespace {

class SpoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-spool-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open();
    }
    void TearDown() override {
        spool_.reset();
        std::filesystem::remove_all(dir_);
    }
    Options options() {
        Options o;
        o.dir = dir_;
        o.map_bytes = map_bytes_;
        o.sync = sync_;
        o.clock = [this] { return now_; };
        return o;
    }
    void open() {
        spool_.reset();
        auto s = Spool::open(options());
        ASSERT_TRUE(s) << s.error().message;
        spool_ = std::move(*s);
    }
    Result<AppendResult> add(std::string_view flow, std::vector<std::string> data,
                             std::vector<CheckpointUpdate> cps = {}) {
        std::vector<NewRecord> recs;
        for (const auto& d : data) recs.push_back({"pk", d});
        return spool_->append(flow, recs, cps);
    }
    std::vector<std::string> data_of(std::string_view flow) {
        auto e = spool_->peek(flow, 0, 1'000'000, SIZE_MAX);
        EXPECT_TRUE(e) << e.error().message;
        std::vector<std::string> out;
        if (e)
            for (auto& x : *e) out.push_back(x.data);
        return out;
    }
    std::optional<std::string> cp(std::string_view key) {
        auto c = spool_->checkpoint(key);
        EXPECT_TRUE(c) << c.error().message;
        return c ? *c : std::nullopt;
    }

    std::string dir_;
    uint64_t map_bytes_ = uint64_t(16) << 20;
    SyncPolicy sync_ = SyncPolicy::batch;
    uint64_t now_ = 1000;
    std::unique_ptr<Spool> spool_;
};

// Bytes the spool counts for a record with partition key "pk".
uint64_t cost(std::string_view data) { return layout::entry_size("pk", data); }

TEST_F(SpoolTest, AppendGivesIncreasingIdsAndPeekReturnsEntriesInOrder) {
    auto a = add("f", {"one", "two"});
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->appended, 2u);
    EXPECT_EQ(a->first_id, 1u);
    EXPECT_EQ(a->last_id, 2u);
    auto b = add("f", {"three"});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->first_id, 3u);
    auto e = spool_->peek("f", 0, 10, SIZE_MAX);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->size(), 3u);
    EXPECT_EQ((*e)[0].id, 1u);
    EXPECT_EQ((*e)[2].id, 3u);
    EXPECT_EQ((*e)[1].data, "two");
    EXPECT_EQ((*e)[1].partition_key, "pk");
    EXPECT_EQ((*e)[1].enqueued_ms, 1000u);
}

// A map the address space cannot hold (3.75 GiB in a 32-bit process, 4 PiB in a 64-bit one,
// beyond the 47-48 bits of user addresses) is a clear map_unavailable error at open, not a
// crash later. Then the spool still opens with a size that fits.
TEST_F(SpoolTest, MapLargerThanTheAddressSpaceIsMapUnavailable) {
    spool_.reset();
    Options o = options();
    o.map_bytes = sizeof(void*) == 4 ? uint64_t{0xF0000000} : uint64_t{1} << 52;
    auto s = Spool::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, make_error_code(errc::map_unavailable)) << s.error().message;
    EXPECT_NE(s.error().message.find("lower map_bytes"), std::string::npos) << s.error().message;
    open();
    EXPECT_TRUE(add("f", {"fits"}));
}

TEST_F(SpoolTest, AppendCommitsRecordsAndCheckpointsTogether) {
    ASSERT_TRUE(add("f", {"a"}, {{"tail/x", "offset=10"}}));
    EXPECT_EQ(data_of("f"), std::vector<std::string>{"a"});
    EXPECT_EQ(cp("tail/x"), "offset=10");
}

TEST_F(SpoolTest, FailingAppendLeavesRecordsAndCheckpointsUntouched) {
    ASSERT_TRUE(add("f", {"a"}, {{"tail/x", "1"}}));
    spool_->set_limits("f", {cost("a") + cost("bb") + cost("cc") - 1, FullPolicy::block});
    auto r = add("f", {"bb", "cc"}, {{"tail/x", "3"}, {"tail/y", "new"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::full));
    EXPECT_EQ(data_of("f"), std::vector<std::string>{"a"});
    EXPECT_EQ(cp("tail/x"), "1");
    EXPECT_EQ(cp("tail/y"), std::nullopt);
    EXPECT_EQ(spool_->stats("f").records, 1u);
}

TEST_F(SpoolTest, CheckpointOnlyAppendAdvancesAndNulloptDeletes) {
    ASSERT_TRUE(add("f", {}, {{"k1", "v1"}, {"k2", "v2"}}));
    ASSERT_TRUE(add("f", {}, {{"k1", std::nullopt}}));
    EXPECT_EQ(cp("k1"), std::nullopt);
    EXPECT_EQ(cp("k2"), "v2");
    EXPECT_EQ(spool_->stats("f").records, 0u);
}

TEST_F(SpoolTest, CheckpointsListsKeysWithThePrefixInOrder) {
    ASSERT_TRUE(add("f", {}, {{"tail/b", "2"}, {"tail/a", "1"}, {"other", "x"}}));
    auto all = spool_->checkpoints("tail/");
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0], (std::pair<std::string, std::string>{"tail/a", "1"}));
    EXPECT_EQ((*all)[1].first, "tail/b");
    EXPECT_EQ(spool_->checkpoints("")->size(), 3u);
}

TEST_F(SpoolTest, EntriesKeepTheirOrderAndCheckpointsAcrossReopen) {
    ASSERT_TRUE(add("f", {"1", "2"}, {{"c", "2"}}));
    ASSERT_TRUE(add("g", {"x"}));
    ASSERT_TRUE(add("f", {"3"}, {{"c", "3"}}));
    open();
    EXPECT_EQ(data_of("f"), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(data_of("g"), std::vector<std::string>{"x"});
    EXPECT_EQ(cp("c"), "3");
    auto next = add("f", {"4"});
    ASSERT_TRUE(next);
    EXPECT_EQ(next->first_id, 4u);
}

TEST_F(SpoolTest, IdsAreNotReusedAfterTheQueueEmptiesAndReopens) {
    ASSERT_TRUE(add("f", {"a", "b"}));
    std::vector<uint64_t> ids{1, 2};
    ASSERT_EQ(*spool_->remove("f", ids), 2u);
    open();
    auto r = add("f", {"c"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_id, 3u);
}

TEST_F(SpoolTest, PeekPagesWithAfterId) {
    ASSERT_TRUE(add("f", {"a", "b", "c", "d", "e"}));
    auto p1 = spool_->peek("f", 0, 2, SIZE_MAX);
    ASSERT_TRUE(p1);
    ASSERT_EQ(p1->size(), 2u);
    auto p2 = spool_->peek("f", p1->back().id, 2, SIZE_MAX);
    ASSERT_TRUE(p2);
    ASSERT_EQ(p2->size(), 2u);
    EXPECT_EQ((*p2)[0].data, "c");
    auto p3 = spool_->peek("f", p2->back().id, 2, SIZE_MAX);
    ASSERT_EQ(p3->size(), 1u);
    EXPECT_EQ((*p3)[0].data, "e");
    EXPECT_TRUE(spool_->peek("f", p3->back().id, 2, SIZE_MAX)->empty());
}

TEST_F(SpoolTest, PeekStopsAtMaxBytesButAlwaysReturnsOneEntry) {
    ASSERT_TRUE(add("f", {std::string(10, 'a'), std::string(10, 'b'), std::string(10, 'c')}));
    // Partition key (2) + data (10) = 12 bytes each.
    EXPECT_EQ(spool_->peek("f", 0, 10, 24)->size(), 2u);
    EXPECT_EQ(spool_->peek("f", 0, 10, 23)->size(), 1u);
    EXPECT_EQ(spool_->peek("f", 0, 10, 1)->size(), 1u);
}

TEST_F(SpoolTest, PeekOfAnUnknownFlowIsEmpty) {
    auto e = spool_->peek("nobody", 0, 10, SIZE_MAX);
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->empty());
    EXPECT_TRUE(spool_->flows().empty());
}

TEST_F(SpoolTest, RemoveOfAMiddleIdKeepsTheOthersInOrder) {
    ASSERT_TRUE(add("f", {"a", "b", "c"}));
    std::vector<uint64_t> mid{2};
    ASSERT_EQ(*spool_->remove("f", mid), 1u);
    EXPECT_EQ(data_of("f"), (std::vector<std::string>{"a", "c"}));
    open();
    EXPECT_EQ(data_of("f"), (std::vector<std::string>{"a", "c"}));
}

TEST_F(SpoolTest, RemoveSkipsAbsentIds) {
    ASSERT_TRUE(add("f", {"a", "b"}));
    std::vector<uint64_t> ids{7, 1, 1, 99};
    auto r = spool_->remove("f", ids);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
    EXPECT_EQ(spool_->stats("f").removed_total, 1u);
    EXPECT_EQ(*spool_->remove("unknown", ids), 0u);
    EXPECT_EQ(spool_->flows(), std::vector<std::string>{"f"});
}

TEST_F(SpoolTest, RemoveAppliesCheckpointUpdatesInTheSameTransaction) {
    ASSERT_TRUE(add("f", {"a", "b"}));
    std::vector<CheckpointUpdate> mark{{"inflight/f/1", "1,2"}};
    ASSERT_TRUE(spool_->append("f", {}, mark));
    std::vector<uint64_t> ids{1, 2};
    std::vector<CheckpointUpdate> settle{{"inflight/f/1", std::nullopt}, {"other", "x"}};
    ASSERT_EQ(*spool_->remove("f", ids, settle), 2u);
    open();
    EXPECT_FALSE(*spool_->checkpoint("inflight/f/1"));
    EXPECT_EQ(*spool_->checkpoint("other"), "x");
    EXPECT_TRUE(data_of("f").empty());
    // Without ids the updates still apply; a bad key changes nothing.
    std::vector<CheckpointUpdate> only{{"other", std::nullopt}};
    ASSERT_TRUE(spool_->remove("f", {}, only));
    EXPECT_FALSE(*spool_->checkpoint("other"));
    std::vector<CheckpointUpdate> bad{{"", "x"}};
    EXPECT_FALSE(spool_->remove("f", ids, bad));
}

TEST_F(SpoolTest, BlockPolicyAcceptsAgainOnceEntriesAreRemoved) {
    spool_->set_limits("f", {2 * cost("a"), FullPolicy::block});
    ASSERT_TRUE(add("f", {"a", "b"}));
    auto full = add("f", {"c"});
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, make_error_code(errc::full));
    std::vector<uint64_t> first{1};
    ASSERT_TRUE(spool_->remove("f", first));
    ASSERT_TRUE(add("f", {"c"}));
    EXPECT_EQ(data_of("f"), (std::vector<std::string>{"b", "c"}));
}

TEST_F(SpoolTest, DropOldestDeletesTheOldestEntriesToMakeRoom) {
    spool_->set_limits("f", {3 * cost("a"), FullPolicy::drop_oldest});
    ASSERT_TRUE(add("f", {"a", "b", "c"}));
    auto r = add("f", {"d", "e"}, {{"c", "5"}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->dropped_oldest, 2u);
    EXPECT_EQ(data_of("f"), (std::vector<std::string>{"c", "d", "e"}));
    auto s = spool_->stats("f");
    EXPECT_EQ(s.dropped_total, 2u);
    EXPECT_EQ(s.records, 3u);
    EXPECT_EQ(s.bytes, 3 * cost("a"));
    EXPECT_EQ(cp("c"), "5");
}

TEST_F(SpoolTest, DropOldestLeavesOtherFlowsAlone) {
    spool_->set_limits("f", {cost("a"), FullPolicy::drop_oldest});
    ASSERT_TRUE(add("g", {"g1", "g2"}));
    ASSERT_TRUE(add("f", {"a"}));
    ASSERT_TRUE(add("f", {"b"}));
    EXPECT_EQ(data_of("f"), std::vector<std::string>{"b"});
    EXPECT_EQ(data_of("g"), (std::vector<std::string>{"g1", "g2"}));
}

TEST_F(SpoolTest, AppendLargerThanTheWholeLimitIsTooLargeUnderEitherPolicy) {
    for (auto policy : {FullPolicy::block, FullPolicy::drop_oldest}) {
        spool_->set_limits("f", {cost("ab"), policy});
        ASSERT_TRUE(add("f", {"a"}));
        auto r = add("f", {"abc"});
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, make_error_code(errc::too_large));
        EXPECT_EQ(data_of("f"), std::vector<std::string>{"a"});
        std::vector<uint64_t> all{1, 2, 3};
        ASSERT_TRUE(spool_->remove("f", all));
    }
}

TEST_F(SpoolTest, FullMapRejectsAppendsWithoutWritingAndRecoversAfterRemoves) {
    map_bytes_ = 1 << 20;
    sync_ = SyncPolicy::off;
    open();
    std::string blob(4000, 'x');
    size_t ok = 0;
    Result<AppendResult> r;
    for (;;) {
        r = add("f", {blob, blob}, {{"c", std::to_string(ok)}});
        if (!r) break;
        ++ok;
        ASSERT_LT(ok, 1000u) << "a 1 MiB map never filled";
    }
    EXPECT_EQ(r.error().code, make_error_code(errc::full)) << r.error().message;
    EXPECT_NE(r.error().message.find("map_bytes=1048576"), std::string::npos) << r.error().message;
    EXPECT_EQ(spool_->stats("f").records, 2 * ok);
    EXPECT_EQ(cp("c"), std::to_string(ok - 1));
    // Deleting half of the queue frees pages for later transactions.
    auto entries = spool_->peek("f", 0, ok, SIZE_MAX);
    ASSERT_TRUE(entries);
    std::vector<uint64_t> ids;
    for (auto& e : *entries) ids.push_back(e.id);
    auto removed = spool_->remove("f", ids);
    ASSERT_TRUE(removed) << removed.error().message;
    auto again = add("f", {blob, blob}, {{"c", "after"}});
    ASSERT_TRUE(again) << again.error().message;
    open();
    EXPECT_EQ(cp("c"), "after");
    EXPECT_EQ(spool_->stats("f").records, 2 * ok - ids.size() + 2);
}

TEST_F(SpoolTest, OpenNamesTheSizeWhenTheMapCannotBeMapped) {
    spool_.reset();
    Options o = options();
    o.map_bytes = uint64_t(1) << 62;
    auto s = Spool::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, make_error_code(errc::map_unavailable));
    EXPECT_NE(s.error().message.find("4611686018427387904"), std::string::npos)
        << s.error().message;
}

TEST_F(SpoolTest, OpenRejectsATinyMap) {
    spool_.reset();
    Options o = options();
    o.map_bytes = 4096;
    auto s = Spool::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, make_error_code(errc::invalid_argument));
}

TEST_F(SpoolTest, SecondOpenOfTheSameDirectoryIsLocked) {
    auto second = Spool::open(options());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, make_error_code(errc::locked));
    EXPECT_NE(second.error().message.find(dir_), std::string::npos);
}

TEST_F(SpoolTest, OpenRefusesAnotherFormatVersion) {
    spool_.reset();
    {
        auto env = lmdb::Env::open(dir_, {.map_size = size_t(map_bytes_), .max_dbs = 8});
        ASSERT_TRUE(env);
        auto txn = lmdb::Txn::begin_write(*env);
        auto meta = lmdb::open_db(*txn, "meta");
        ASSERT_TRUE(lmdb::put(*txn, *meta, "format", "9"));
        ASSERT_TRUE(txn->commit());
    }
    auto s = Spool::open(options());
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, make_error_code(errc::format));
}

TEST_F(SpoolTest, ProducerIdIsStableAcrossReopen) {
    std::string id = spool_->producer_id();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    open();
    EXPECT_EQ(spool_->producer_id(), id);
}

TEST_F(SpoolTest, BatchSequenceIsMonotonicPerFlowAcrossReopen) {
    EXPECT_EQ(*spool_->next_batch_sequence("f"), 1u);
    EXPECT_EQ(*spool_->next_batch_sequence("f"), 2u);
    EXPECT_EQ(*spool_->next_batch_sequence("g"), 1u);
    open();
    EXPECT_EQ(*spool_->next_batch_sequence("f"), 3u);
    EXPECT_EQ(*spool_->next_batch_sequence("f", 100), 4u);  // reserves 4..103
    EXPECT_EQ(*spool_->next_batch_sequence("f"), 104u);
    EXPECT_FALSE(spool_->next_batch_sequence("f", 0));
}

TEST_F(SpoolTest, StatsCountRecordsBytesAgeAndTotalsAcrossReopen) {
    now_ = 5000;
    ASSERT_TRUE(add("f", {"a", "bb"}));
    now_ = 6000;
    ASSERT_TRUE(add("f", {"c"}));
    std::vector<uint64_t> first{1};
    ASSERT_TRUE(spool_->remove("f", first));
    auto s = spool_->stats("f");
    EXPECT_EQ(s.records, 2u);
    EXPECT_EQ(s.bytes, cost("bb") + cost("c"));
    EXPECT_EQ(s.oldest_enqueued_ms, 5000u);
    EXPECT_EQ(s.appended_total, 3u);
    EXPECT_EQ(s.removed_total, 1u);
    open();
    auto t = spool_->stats("f");
    EXPECT_EQ(t.records, s.records);
    EXPECT_EQ(t.bytes, s.bytes);
    EXPECT_EQ(t.oldest_enqueued_ms, 5000u);
    EXPECT_EQ(t.appended_total, 3u);
    EXPECT_EQ(t.removed_total, 1u);
    std::vector<uint64_t> rest{2, 3};
    ASSERT_TRUE(spool_->remove("f", rest));
    EXPECT_EQ(spool_->stats("f").oldest_enqueued_ms, 0u);
    EXPECT_EQ(spool_->stats("f").bytes, 0u);
}

TEST_F(SpoolTest, FlowsListsFlowsThatHoldEntriesAfterReopen) {
    ASSERT_TRUE(add("b", {"1"}));
    ASSERT_TRUE(add("a", {"1"}));
    open();
    EXPECT_EQ(spool_->flows(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(SpoolTest, BadFlowNamesAndCheckpointKeysAreRejected) {
    EXPECT_EQ(add("", {"a"}).error().code, make_error_code(errc::invalid_argument));
    EXPECT_EQ(add(std::string(401, 'f'), {"a"}).error().code,
              make_error_code(errc::invalid_argument));
    EXPECT_EQ(add("f", {"a"}, {{"", "v"}}).error().code, make_error_code(errc::invalid_argument));
    EXPECT_EQ(add("f", {"a"}, {{std::string(501, 'k'), "v"}}).error().code,
              make_error_code(errc::invalid_argument));
    EXPECT_EQ(spool_->checkpoint("").error().code, make_error_code(errc::invalid_argument));
    EXPECT_TRUE(spool_->flows().empty());
}

TEST_F(SpoolTest, ConcurrentAppendsShareCommitsAndStayAtomicPerCall) {
    constexpr int kThreads = 4, kCalls = 50;
    uint64_t before = spool_->commits_total();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kCalls; ++i) {
                std::string a = std::to_string(t) + ":" + std::to_string(2 * i);
                std::string b = std::to_string(t) + ":" + std::to_string(2 * i + 1);
                std::vector<NewRecord> recs{{"pk", a}, {"pk", b}};
                std::vector<CheckpointUpdate> cps{{"t" + std::to_string(t), std::to_string(i)}};
                EXPECT_TRUE(spool_->append("shared", recs, cps));
            }
        });
    for (auto& th : threads) th.join();
    // Each thread's records appear in its call order, each call's two records side by side.
    auto all = data_of("shared");
    ASSERT_EQ(all.size(), size_t(2 * kThreads * kCalls));
    std::vector<int> next(kThreads, 0);
    for (size_t i = 0; i < all.size(); i += 2) {
        int t = all[i][0] - '0';
        EXPECT_EQ(all[i], std::to_string(t) + ":" + std::to_string(next[t]));
        EXPECT_EQ(all[i + 1], std::to_string(t) + ":" + std::to_string(next[t] + 1));
        next[t] += 2;
    }
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(cp("t" + std::to_string(t)), "49");
    // One flow creation plus at most one commit per call; group commit usually needs far fewer.
    uint64_t commits = spool_->commits_total() - before;
    EXPECT_LE(commits, uint64_t(kThreads * kCalls + 1));
    RecordProperty("commits_for_200_calls", static_cast<int>(commits));
}

TEST_F(SpoolTest, LazyAndOffSyncPoliciesKeepDataAcrossACleanReopen) {
    for (auto policy : {SyncPolicy::lazy, SyncPolicy::off}) {
        sync_ = policy;
        open();
        ASSERT_TRUE(add("f", {"x"}));
        ASSERT_TRUE(spool_->flush());
    }
    open();
    EXPECT_EQ(data_of("f"), (std::vector<std::string>{"x", "x"}));
}

}  // namespace
}  // namespace tributary::agent::buffer
