#include "agent/sources/metrics/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace tributary::agent::sources::metrics {
namespace {

TEST(JsonWriter, SeparatesMembersAndElementsWithCommas) {
    std::string s;
    JsonWriter w(s);
    w.begin_object();
    w.field_u64("a", 1);
    w.key("b");
    w.begin_array();
    w.u64(2);
    w.begin_object();
    w.end_object();
    w.boolean(true);
    w.end_array();
    w.field("c", "x");
    w.end_object();
    EXPECT_EQ(s, R"({"a":1,"b":[2,{},true],"c":"x"})");
}

TEST(JsonWriter, RoundsNumbersToTheRequestedDecimals) {
    std::string s;
    JsonWriter w(s);
    w.begin_array();
    w.number(100.0 / 3);
    w.number(48.3, 3);
    w.number(104857.6);
    w.number(-0.001);
    w.number(12.0);
    w.end_array();
    EXPECT_EQ(s, "[33.33,48.3,104857.6,0,12]");
}

TEST(JsonWriter, WritesNonFiniteNumbersAsNull) {
    std::string s;
    JsonWriter w(s);
    w.begin_array();
    w.number(std::numeric_limits<double>::quiet_NaN());
    w.number(std::numeric_limits<double>::infinity());
    w.end_array();
    EXPECT_EQ(s, "[null,null]");
}

TEST(JsonWriter, EscapesControlCharactersQuotesAndBackslashes) {
    std::string s;
    JsonWriter w(s);
    w.string(std::string_view("a\"b\\c\nd\x01", 8));
    EXPECT_EQ(s, R"("a\"b\\c\nd\u0001")");
}

TEST(JsonWriter, ReplacesInvalidUtf8SoTheOutputParses) {
    std::string s;
    JsonWriter w(s);
    // valid 2-byte é, a lone continuation byte, a truncated 3-byte sequence, an overlong '/'
    w.string("caf\xc3\xa9 \x80 \xe2\x82 \xc0\xaf");
    const auto j = nlohmann::json::parse(s);
    EXPECT_EQ(j.get<std::string>(),
              "caf\xc3\xa9 \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace tributary::agent::sources::metrics
