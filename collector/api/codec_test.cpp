#include "collector/api/codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "collector/api/errc.h"

namespace tributary::collector::api {

TEST(Codec, JsonBlobsAreBase64AndTimestampsSeconds) {
    json out = {{"Data", json::binary({0x01, 0xff})}, {"ApproximateArrivalTimestamp", 1506440188749}};
    json wire = json::parse(encode(out, Format::json));
    EXPECT_EQ(wire["Data"], "Af8=");
    EXPECT_DOUBLE_EQ(wire["ApproximateArrivalTimestamp"].get<double>(), 1506440188.749);
}

TEST(Codec, CborKeepsBytesAndMilliseconds) {
    json out = {{"Data", json::binary({0x01, 0xff})}, {"ApproximateArrivalTimestamp", 1506440188749}};
    json back = json::from_cbor(encode(out, Format::cbor));
    EXPECT_TRUE(back["Data"].is_binary());
    EXPECT_EQ(back["ApproximateArrivalTimestamp"].get<int64_t>(), 1506440188749);
}

TEST(Codec, DecodesJavaSdkIndefiniteLengthCborWithTaggedTimestamp) {
    // {_ "StreamName": "test", "Data": h'68656c6c6f', "Timestamp": 1(1787036486712) }
    static const char raw[] = "\xbf" "jStreamName" "dtest" "dData" "\x45hello" "iTimestamp"
                              "\xc1\x1b\x00\x00\x01\xa0\x13\xac\xcc\x38" "\xff";
    std::string body(raw, sizeof raw - 1);
    auto v = decode(body, Format::cbor);
    ASSERT_TRUE(v) << v.error().message;
    Input in(*v, Format::cbor);
    EXPECT_EQ(in.string("StreamName")->value(), "test");
    EXPECT_EQ(in.blob_of((*v)["Data"])->value(), "hello");
    EXPECT_EQ(in.timestamp_ms("Timestamp")->value(), 1787036486712u);
}

TEST(Codec, JsonTimestampInputIsSecondsOrIso8601) {
    json body = {{"A", 1506440188.749}, {"B", "2016-04-04T19:58:46.480-00:00"}};
    Input in(body, Format::json);
    EXPECT_EQ(in.timestamp_ms("A")->value(), 1506440188749u);
    EXPECT_EQ(in.timestamp_ms("B")->value(), 1459799926480u);
}

TEST(Codec, MalformedBodiesAreSerializationErrors) {
    for (std::string_view bad : {"{", "[]", "12", "\"x\""}) {
        auto v = decode(bad, Format::json);
        ASSERT_FALSE(v) << bad;
        EXPECT_EQ(v.error().code, errc::serialization);
    }
    EXPECT_FALSE(decode("\xbf\x61", Format::cbor));
}

TEST(Codec, WrongMemberTypesUseCoralWording) {
    json body = {{"StreamName", 12}, {"Flag", "23"}, {"Data", "23456"}};
    Input in(body, Format::json);
    auto s = in.string("StreamName");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message,
              "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted "
              "to an String");
    auto b = in.boolean("Flag");
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().message, "'23' can not be converted to an Boolean");
    auto d = in.blob_of(body["Data"]);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message,
              "'23456' can not be converted to a Blob: Base64 encoded length is expected a "
              "multiple of 4 bytes but found: 5");
}

}  // namespace tributary::collector::api

namespace tributary::collector::api {

// Found by fuzz_codec_*: each of these used to be undefined behaviour or a crash.
TEST(Codec, FloatsOutsideTheIntRangeClampLikeCoral) {
    json body = {{"Limit", 1e19}, {"Low", -1e300}};
    Input in(body, Format::json);
    EXPECT_EQ(in.integer("Limit")->value(), INT32_MAX);
    EXPECT_EQ(in.integer("Low")->value(), INT32_MIN);
}

TEST(Codec, NonFiniteCborNumbersAreSerializationErrors) {
    json body = {{"Limit", std::nan("")}, {"Timestamp", std::numeric_limits<double>::infinity()}};
    Input in(body, Format::cbor);
    EXPECT_FALSE(in.integer("Limit"));
    EXPECT_FALSE(in.timestamp_ms("Timestamp"));
    json huge = {{"Timestamp", 1e300}};
    EXPECT_FALSE(Input(huge, Format::json).timestamp_ms("Timestamp"));
}

TEST(Codec, Iso8601OffsetMustBeExactlyHoursAndMinutes) {
    for (const char* bad : {"2016-04-04T19:58:46+1:2", "2016-04-04T19:58:46+01:00xy",
                            "2016-04-04T19:58:46+0100", "2016-04-04T19:58:46+"}) {
        json body = {{"T", bad}};
        EXPECT_FALSE(Input(body, Format::json).timestamp_ms("T")) << bad;
    }
    json good = {{"T", "2016-04-04T21:58:46.480+02:00"}};
    EXPECT_EQ(Input(good, Format::json).timestamp_ms("T")->value(), 1459799926480u);
}

TEST(Codec, DeepNestingIsRefusedBeforeAnyRecursiveReader) {
    std::string cbor(70'000, '\x81');  // [[[[... 70,000 deep
    cbor += '\x01';
    auto c = decode(cbor, Format::cbor);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::serialization);
    std::string js = "{\"a\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
    auto j = decode(js, Format::json);
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().code, errc::serialization);
    // Brackets inside strings do not count.
    EXPECT_TRUE(decode("{\"a\":\"" + std::string(1000, '[') + "\"}", Format::json));
}

}  // namespace tributary::collector::api
