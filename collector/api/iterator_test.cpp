#include "collector/api/iterator.h"

#include <gtest/gtest.h>

#include "collector/api/errc.h"
#include "shared/encoding/base64.h"

namespace tributary::collector::api {
namespace {

const IteratorCodec kCodec(std::string(48, 'k'));

TEST(ShardIterator, RoundTripsAPosition) {
    IteratorPosition p{1'795'000'000'123, 7, 3, 123456789, "orders.eu-west_1"};
    auto token = kCodec.encode(p);
    auto back = kCodec.decode(token);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->created_ms, p.created_ms);
    EXPECT_EQ(back->stream_id, 7u);
    EXPECT_EQ(back->shard_index, 3u);
    EXPECT_EQ(back->seq_index, 123456789u);
    EXPECT_EQ(back->stream_name, p.stream_name);
}

TEST(ShardIterator, LooksLikeAwsAndFitsTheModelLimit) {
    IteratorPosition p{1'795'000'000'123, 1, 0, 1, std::string(128, 's')};
    auto token = kCodec.encode(p);
    EXPECT_LE(token.size(), 512u);
    auto raw = encoding::base64_decode(token);
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->substr(0, 8), std::string("\0\0\0\0\0\0\0\1", 8));  // as AWS's
    EXPECT_EQ((raw->size() - 8) % 16, 0u);
}

TEST(ShardIterator, RejectsTokensNotMadeWithThisKey) {
    IteratorCodec other(std::string(48, 'x'));
    auto token = other.encode({1, 1, 1, 1, "s"});
    auto r = kCodec.decode(token);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().message, "Invalid ShardIterator.");
}

TEST(ShardIterator, RejectsGarbageAndTruncation) {
    auto token = kCodec.encode({1, 1, 1, 1, "stream"});
    for (std::string bad : {std::string(""), std::string("AAAA"), std::string("not base64!"),
                            token.substr(0, token.size() - 4), token + "AAAA"}) {
        EXPECT_FALSE(kCodec.decode(bad)) << bad;
    }
}

}  // namespace
}  // namespace tributary::collector::api
