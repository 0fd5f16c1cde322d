#include "agent/sources/tail/position.h"

#include <gtest/gtest.h>

#include "agent/sources/tail/errc.h"

namespace tributary::agent::sources::tail {
namespace {

Position sample() {
    Position p;
    p.key = "2049:131:00ff00ff00ff00ff";
    p.path = "/var/log/app/app.log";
    p.dev = 2049;
    p.ino = 131;
    p.offset = 5000;
    p.fingerprint_bytes = 1024;
    p.fingerprint = 0x0123456789abcdefull;
    p.marker_bytes = 32;
    p.marker = 0xfedcba9876543210ull;
    return p;
}

TEST(Position, EncodeDecodeRoundTripsEveryField) {
    auto p = sample();
    auto d = Position::decode(p.encode());
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(*d, p);
}

TEST(Position, DecodeRejectsEveryTruncation) {
    std::string bytes = sample().encode();
    for (size_t n = 0; n < bytes.size(); ++n) {
        auto d = Position::decode(std::string_view(bytes).substr(0, n));
        ASSERT_FALSE(d) << "prefix of " << n << " bytes decoded";
        EXPECT_EQ(d.error().code, errc::bad_position);
    }
}

TEST(Position, DecodeRejectsUnknownVersion) {
    std::string bytes = sample().encode();
    bytes[0] = 2;
    auto d = Position::decode(bytes);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("version 2"), std::string::npos);
}

TEST(Position, DecodeRejectsMarkerReachingBeforeFileStart) {
    auto p = sample();
    p.offset = 10;  // marker_bytes 32 > offset
    EXPECT_FALSE(Position::decode(p.encode()));
}

TEST(Position, Fnv1a64MatchesReferenceVectors) {
    EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
    EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
    EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace tributary::agent::sources::tail
