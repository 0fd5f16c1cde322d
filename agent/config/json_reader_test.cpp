#include "agent/config/json_reader.h"

#include <gtest/gtest.h>

namespace tributary::agent::config::detail {
namespace {

TEST(JsonReader, CommentsAreAllowedAsInTheKinesisAgent) {
    auto doc = parse_json("// head\n{ /* a */ \"k\": 1 // tail\n}", "f.json");
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ((*doc)["k"], 1);
}

TEST(JsonReader, DuplicateKeyInsideAnArrayIsNamedByIndex) {
    auto doc = parse_json(R"({"a": [1, {"b": 1}, {"c": 1, "c": 2}]})", "f.json");
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().message, "f.json: a[2].c: duplicate key");
}

TEST(JsonReader, SameKeyInSiblingObjectsIsNoDuplicate) {
    EXPECT_TRUE(parse_json(R"({"a": [{"b": 1}, {"b": 2}], "c": {"b": 3}})", "f.json"));
}

TEST(JsonReader, NumberOverflowIsMalformedJsonNotAnException) {
    auto doc = parse_json(R"({"a": 1e999})", "f.json");
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().code, errc::invalid_json);
    EXPECT_EQ(doc.error().message.rfind("f.json", 0), 0u) << doc.error().message;
}

TEST(JsonReader, InvalidUtf8IsMalformedJson) {
    auto doc = parse_json("{\"a\": \"\xff\"}", "f.json");
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().code, errc::invalid_json);
}

TEST(JsonReader, KeyPathQuotesKeysThatAreNotPlain) {
    EXPECT_EQ(key_path("", "flows"), "flows");
    EXPECT_EQ(key_path("flows[0]", "kinesis.endpoint"), "flows[0].kinesis.endpoint");
    EXPECT_EQ(key_path("x", "a b"), R"(x["a b"])");
    EXPECT_EQ(key_path("", ""), R"([""])");
    EXPECT_EQ(key_path("", "\n"), R"(["\n"])");
}

TEST(JsonReader, DescribeCutsLongStrings) {
    EXPECT_EQ(describe(json(std::string(50, 'a'))), "\"" + std::string(40, 'a') + "...\"");
    EXPECT_EQ(describe(json::array()), "an array");
    EXPECT_EQ(describe(json(1.5)), "1.5");
}

TEST(JsonReader, SuggestFindsCaseAndSmallTypos) {
    constexpr std::string_view keys[] = {"filePattern", "kinesisStream"};
    EXPECT_EQ(suggest("FilePattern", keys), "filePattern");
    EXPECT_EQ(suggest("kinesisStrem", keys), "kinesisStream");
    EXPECT_EQ(suggest("somethingElse", keys), "");
}

TEST(JsonReader, IntegerAcceptsSignedDecimalStrings) {
    json o = {{"a", "-12"}, {"b", "+7"}, {"c", "-"}, {"d", "+-1"}};
    ObjectReader r(o, "", "f");
    EXPECT_EQ(*r.integer("a", -100, 100), -12);
    EXPECT_EQ(*r.integer("b", -100, 100), 7);
    EXPECT_EQ(r.integer("c", -100, 100).error().code, errc::wrong_type);
    EXPECT_EQ(r.integer("d", -100, 100).error().code, errc::wrong_type);
}

TEST(JsonReader, AbsentKeyReadsAsNullopt) {
    json o = json::object();
    ObjectReader r(o, "p", "f");
    EXPECT_EQ(*r.integer("x", 0, 1), std::nullopt);
    EXPECT_EQ(*r.boolean("x"), std::nullopt);
    EXPECT_EQ(*r.string("x"), std::nullopt);
}

}  // namespace
}  // namespace tributary::agent::config::detail
