#include "collector/store/types.h"

#include <gtest/gtest.h>

#include <random>

namespace tributary::collector::store {

TEST(HashKey, RoutesByMd5OfPartitionKeyBigEndian) {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
    EXPECT_EQ(HashKey::of_partition_key("a").to_string(), "16955237001963240173058271559858726497");
}

TEST(HashKey, ParsesFullRangeAndRejectsOverflow) {
    EXPECT_EQ(HashKey::parse("340282366920938463463374607431768211455")->value(), ~u128(0));
    EXPECT_FALSE(HashKey::parse("340282366920938463463374607431768211456"));
    EXPECT_FALSE(HashKey::parse("01"));
    EXPECT_FALSE(HashKey::parse("-1"));
    EXPECT_FALSE(HashKey::parse(""));
    EXPECT_EQ(HashKey::parse("0")->value(), 0u);
}

TEST(ShardId, FormatsPaddedAndParsesLooseForms) {
    EXPECT_EQ(ShardId(7).to_string(), "shardId-000000000007");
    EXPECT_EQ(ShardId::parse("shardId-000000000007")->index(), 7u);
    EXPECT_EQ(ShardId::parse("shard-2")->index(), 2u);
    EXPECT_EQ(ShardId::parse("1")->index(), 1u);
    EXPECT_FALSE(ShardId::parse("shardId-"));
    EXPECT_FALSE(ShardId::parse("shardId-x1"));
}

TEST(SequenceNumber, DecodesRealAwsNumbers) {
    // Two numbers published in awslabs/amazon-kinesis-scaling-utils#22.
    auto a = SequenceNumber::parse("49554468589304656985365895156298971236367941927203518530");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->shard_index, 900u);
    auto b = SequenceNumber::parse("49554468611850710381080355152391582410015435409749719154");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->shard_index, 903u);
    EXPECT_EQ(a->to_string(), "49554468589304656985365895156298971236367941927203518530");
}

TEST(SequenceNumber, Has56DigitsAndOrdersByIndexWithinShard) {
    SequenceNumber s{1764000000, 3, 1, 1764000005};
    std::string t = s.to_string();
    EXPECT_EQ(t.size(), 56u);
    EXPECT_EQ(t[0], '4');
    SequenceNumber later{1764000000, 3, 2, 1764000000};
    EXPECT_LT(t, later.to_string());  // same length: string order is numeric order
    auto back = SequenceNumber::parse(t);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
}

TEST(SequenceNumber, ConsecutiveShardStartsDifferByKinesaliteConstant) {
    // kinesalite's createStream test: 16^36 + 16 between shard 0's and shard 1's start.
    SequenceNumber s0{1764000000, 0, 0, 1764000000}, s1{1764000000, 1, 0, 1764000000};
    // Compare with 192-bit arithmetic through decimal strings (both 56 digits).
    std::string a = s0.to_string(), b = s1.to_string();
    ASSERT_EQ(a.size(), b.size());
    // b - a computed digit by digit.
    std::string diff;
    int borrow = 0;
    for (int i = int(a.size()) - 1; i >= 0; --i) {
        int d = (b[i] - '0') - (a[i] - '0') - borrow;
        borrow = d < 0;
        diff += char('0' + (d + 10) % 10);
    }
    while (diff.size() > 1 && diff.back() == '0') diff.pop_back();
    std::reverse(diff.begin(), diff.end());
    EXPECT_EQ(diff, "22300745198530623141535718272648361505980432");
}

TEST(SequenceNumber, FormatsEveryFieldRangeAndRoundTrips) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20000; ++i) {
        SequenceNumber s{rng() & ((uint64_t(1) << 36) - 1), static_cast<uint32_t>(rng()),
                         rng() & SequenceNumber::kMaxSeqIndex, rng() & ((uint64_t(1) << 36) - 1)};
        if (i % 4 == 0) s.seq_index = i;  // small indexes: runs of zero digits mid-number
        std::string text = s.to_string();
        ASSERT_EQ(SequenceNumber::parse(text), s) << text;
        std::string appended = "x";
        s.append_to(appended);
        ASSERT_EQ(appended, "x" + text);
    }
}

TEST(SequenceNumber, RejectsOtherVersionsAndGarbage) {
    EXPECT_FALSE(SequenceNumber::parse("1"));
    EXPECT_FALSE(SequenceNumber::parse("abc"));
    EXPECT_FALSE(SequenceNumber::parse(std::string(130, '9')));
}

}  // namespace tributary::collector::store
