#include "collector/api/validation.h"

#include <gtest/gtest.h>

#include "collector/api/errc.h"

namespace tributary::collector::api {
namespace {

TEST(Validator, OneClauseUsesCoralsSingularWording) {
    Validator v;
    v.string("streamName", std::string("x!"), {.required = true, .min = 1, .max = 128,
                                               .pattern = Pattern::name});
    auto r = v.result();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::validation);
    EXPECT_EQ(r.error().message,
              "1 validation error detected: Value 'x!' at 'streamName' failed to satisfy "
              "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

TEST(Validator, ClausesJoinWithSemicolonsInOrderFound) {
    Validator v;
    v.required("streamName", false);
    v.integer("shardCount", 0, true, 1, 100000);
    auto r = v.result();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "2 validation errors detected: Value null at 'streamName' failed to satisfy "
              "constraint: Member must not be null; Value '0' at 'shardCount' failed to satisfy "
              "constraint: Member must have value greater than or equal to 1");
}

TEST(Validator, EmptyNameFailsBothPatternAndLength) {
    Validator v;
    v.string("streamName", std::string(""), {.min = 1, .max = 128, .pattern = Pattern::name});
    auto r = v.result();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.substr(0, 29), "2 validation errors detected:");
}

TEST(Validator, PartitionKeyLengthCountsCharactersNotBytes) {
    Validator v;
    std::string key;
    for (int i = 0; i < 256; ++i) key += "\xc3\xa9";  // 256 x 'é', 512 bytes
    v.string("partitionKey", key, {.min = 1, .max = 256, .count_chars = true});
    EXPECT_TRUE(v.ok());
}

TEST(Validator, DeferredErrorOnlyWhenEveryMemberIsValid) {
    Validator v;
    v.defer(Error{make_error_code(errc::invalid_argument), "combination"});
    EXPECT_EQ(v.result().error().message, "combination");
    v.required("x", false);
    EXPECT_EQ(v.result().error().code, errc::validation);
}

TEST(Validator, AtMostTenClausesAreListed) {
    Validator v;
    for (int i = 0; i < 12; ++i) v.required("m" + std::to_string(i), false);
    auto msg = v.result().error().message;
    EXPECT_EQ(msg.substr(0, 30), "12 validation errors detected:");
    EXPECT_EQ(msg.find("'m10'"), std::string::npos);
}

TEST(Patterns, ArnShapes) {
    EXPECT_TRUE(matches(Pattern::stream_arn, "arn:aws:kinesis:us-east-1:123456789012:stream/s"));
    EXPECT_FALSE(matches(Pattern::stream_arn, "arn:aws:kinesis:us-east-1:12345:stream/s"));
    EXPECT_TRUE(matches(Pattern::consumer_arn,
                        "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1700000000"));
    EXPECT_TRUE(matches(Pattern::hash_key, "340282366920938463463374607431768211455"));
    EXPECT_FALSE(matches(Pattern::hash_key, "007"));
}

}  // namespace
}  // namespace tributary::collector::api
