#include "agent/engine/lanes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>

namespace tributary::agent::engine {
namespace {

constexpr HashKey max_key = HashKey::max();

// `n` shards splitting the key space evenly on the high word (CreateStream splits the whole
// 128 bits; the lanes only compare, so the exact boundaries do not matter).
uint64_t width(size_t n) { return ~uint64_t{0} / n; }
std::vector<HashRange> even_shards(size_t n) {
    std::vector<HashRange> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back({{width(n) * i, 0},
                       i + 1 == n ? max_key : HashKey{width(n) * (i + 1) - 1, ~uint64_t{0}}});
    return out;
}
size_t shard_of(const HashKey& h, size_t n) { return std::min<size_t>(h.hi / width(n), n - 1); }

TEST(HashKey, ParsesTheFullRangeAndRejectsTheRest) {
    EXPECT_EQ(parse_hash_key("0"), HashKey{});
    EXPECT_EQ(parse_hash_key("18446744073709551615"), (HashKey{0, ~uint64_t{0}}));  // 2^64 - 1
    EXPECT_EQ(parse_hash_key("18446744073709551616"), (HashKey{1, 0}));             // 2^64
    EXPECT_EQ(parse_hash_key("4294967296"), (HashKey{0, uint64_t{1} << 32}));
    // 2^127 + 2^64 + 12345
    EXPECT_EQ(parse_hash_key("170141183460469231750134047789593669689"),
              (HashKey{(uint64_t{1} << 63) | 1, 12345}));
    EXPECT_EQ(parse_hash_key("340282366920938463463374607431768211455"), max_key);
    EXPECT_FALSE(parse_hash_key("340282366920938463463374607431768211456"));  // 2^128
    EXPECT_FALSE(parse_hash_key("999999999999999999999999999999999999999"));
    EXPECT_FALSE(parse_hash_key(""));
    EXPECT_FALSE(parse_hash_key("-1"));
    EXPECT_FALSE(parse_hash_key("12a"));
}

TEST(HashKey, OrdersAsTheUnsignedNumber) {
    EXPECT_LT((HashKey{0, ~uint64_t{0}}), (HashKey{1, 0}));
    EXPECT_LT((HashKey{1, 5}), (HashKey{1, 6}));
    EXPECT_GT((HashKey{2, 0}), (HashKey{1, ~uint64_t{0}}));
}

TEST(HashKey, IsTheMd5OfThePartitionKeyAsABigEndianNumber) {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
    EXPECT_EQ(hash_of("a"), (HashKey{0x0cc175b9c0f1b6a8ULL, 0x31c399e269772661ULL}));
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
        EXPECT_EQ(m.lane_of(key), shard_of(hash_of(key), 4)) << key;
    }
}

TEST(LaneMap, MoreShardsThanLanesShareLanesByShardIndex) {
    auto shards = even_shards(6);
    std::reverse(shards.begin(), shards.end());  // ListShards order does not matter
    LaneMap m(shards, 4);
    EXPECT_EQ(m.lanes(), 4u);
    for (int i = 0; i < 200; ++i) {
        std::string key = "k" + std::to_string(i);
        EXPECT_EQ(m.lane_of(key), shard_of(hash_of(key), 6) % 4) << key;
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
