#include "agent/processors/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tributary::agent::processors {
namespace {

std::string json_quoted(std::string_view bytes) {
    std::string out;
    append_json_string(out, bytes);
    return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(json_quoted("a\"b\\c\n\t\r\b\f\x01\x1f"), R"("a\"b\\c\n\t\r\b\f\u0001\u001f")");
}

TEST(JsonString, KeepsValidMultiByteUtf8AsIs) {
    EXPECT_EQ(json_quoted("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonString, ReplacesEachMaximalInvalidSequenceWithOneReplacementCharacter) {
    // A lone continuation byte, a truncated 3-byte sequence, an overlong '/', a surrogate, a
    // byte that never appears in UTF-8, and a truncated sequence at the very end.
    std::string in = "a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80" "e\xFF" "f\xF0\x9F";
    std::string out = json_quoted(in);
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(out, "\"a" + r + "b" + r + "c" + r + r + "d" + r + r + r + "e" + r + "f" + r + "\"");
    EXPECT_TRUE(nlohmann::json::accept(out));
}

TEST(JsonString, OutputOfEveryByteValueParsesAsJson) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    std::string out = json_quoted(all + all);
    auto parsed = nlohmann::json::parse(out);
    EXPECT_TRUE(parsed.is_string());
}

TEST(Utf8, ValidatesAndSanitizes) {
    EXPECT_TRUE(is_valid_utf8("plain \xC3\xA9"));
    EXPECT_FALSE(is_valid_utf8("bad \xC3"));
    std::string out;
    sanitize_utf8("x\xC3y", out);
    EXPECT_EQ(out, "x\xEF\xBF\xBDy");
}

TEST(JsonWriter, PrettyPrintFollowsJacksonsDefaultLayout) {
    std::string out;
    JsonWriter w(out, true);
    w.begin_object();
    w.key("a");
    w.string("b");
    w.key("o");
    w.begin_object();
    w.key("n");
    w.null();
    w.end_object();
    w.key("e");
    w.begin_object();
    w.end_object();
    w.key("l");
    w.begin_array();
    w.string("x");
    w.string("y");
    w.end_array();
    w.end_object();
    EXPECT_EQ(out, "{\n  \"a\" : \"b\",\n  \"o\" : {\n    \"n\" : null\n  },\n  \"e\" : { },\n"
                   "  \"l\" : [ \"x\", \"y\" ]\n}");
}

TEST(JsonWriter, CompactHasNoWhitespace) {
    std::string out;
    JsonWriter w(out, false);
    w.value(nlohmann::json::parse(R"({"k":[1,true,null,"s",{"z":2.5}]})"));
    EXPECT_EQ(out, R"({"k":[1,true,null,"s",{"z":2.5}]})");
}

}  // namespace
}  // namespace tributary::agent::processors
