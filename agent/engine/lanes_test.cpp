#include "agent/engine/lanes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace tributary::agent::engine {
namespace {

constexpr uint128 max_key = ~uint128(0);

// `n` shards splitting the key space evenly, as CreateStream does.
std::vector<HashRange> even_shards(size_t n) {
    std::vector<HashRange> out;
    uint128 step = max_key / n;
    for (size_t i = 0; i < n; ++i)
        out.push_back({step * i, i + 1 == n ? max_key : step * (i + 1) - 1});
    return out;
}

TEST(HashKey, ParsesTheFullRangeAndRejectsTheRest) {
    EXPECT_EQ(parse_hash_key("0"), uint128(0));
    EXPECT_EQ(parse_hash_key("340282366920938463463374607431768211455"), max_key);
    EXPECT_FALSE(parse_hash_key("340282366920938463463374607431768211456"));  // 2^128
    EXPECT_FALSE(parse_hash_key(""));
    EXPECT_FALSE(parse_hash_key("-1"));
    EXPECT_FALSE(parse_hash_key("12a"));
}

TEST(HashKey, IsTheMd5OfThePartitionKeyAsABigEndianNumber) {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
    uint128 want = (uint128(0x0cc175b9c0f1b6a8ULL) << 64) | 0x31c399e269772661ULL;
    EXPECT_EQ(hash_of("a"), want);
}

TEST(LaneMap, WithoutShardsEverythingIsOneLane) {
    LaneMap m;
    EXPECT_EQ(m.lanes(), 1u);
    EXPECT_EQ(m.lane_of("anything"), 0u);
    EXPECT_EQ(LaneMap({}, 4).lanes(), 1u);
    EXPECT_EQ(LaneMap(even_shards(8), 1).lanes(), 1u);
}

TEST(LaneMap, AKeyGoesToTheLaneOfItsShard) {
    LaneMap m(even_shards(4), 4);
    ASSERT_EQ(m.lanes(), 4u);
    for (int i = 0; i < 200; ++i) {
        std::string key = "k" + std::to_string(i);
        size_t shard = size_t(hash_of(key) / (max_key / 4));
        EXPECT_EQ(m.lane_of(key), std::min<size_t>(shard, 3)) << key;
    }
}

TEST(LaneMap, MoreShardsThanLanesShareLanesByShardIndex) {
    auto shards = even_shards(6);
    std::reverse(shards.begin(), shards.end());  // ListShards order does not matter
    LaneMap m(shards, 4);
    EXPECT_EQ(m.lanes(), 4u);
    for (int i = 0; i < 200; ++i) {
        std::string key = "k" + std::to_string(i);
        size_t shard = std::min<size_t>(size_t(hash_of(key) / (max_key / 6)), 5);
        EXPECT_EQ(m.lane_of(key), shard % 4) << key;
    }
}

TEST(LaneMap, ComparesByShardsAndLanes) {
    EXPECT_EQ(LaneMap(even_shards(4), 4), LaneMap(even_shards(4), 4));
    EXPECT_FALSE(LaneMap(even_shards(4), 4) == LaneMap(even_shards(4), 2));
    EXPECT_FALSE(LaneMap(even_shards(4), 4) == LaneMap(even_shards(5), 4));
}

TEST(Crew, RunsTheJobsAtOnce) {
    Crew crew;
    for (size_t n : {4u, 2u, 3u, 1u, 4u}) {
        std::atomic<size_t> started{0};
        std::vector<int> ran(n, 0);
        // Each job waits for all of them to start: only possible if they run concurrently.
        crew.run(n, [&](size_t i) {
            ++started;
            auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (started < n && std::chrono::steady_clock::now() < until)
                std::this_thread::yield();
            ran[i]++;
        });
        EXPECT_EQ(started, n);
        EXPECT_EQ(ran, std::vector<int>(n, 1));
    }
}

}  // namespace
}  // namespace tributary::agent::engine
