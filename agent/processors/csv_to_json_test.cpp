#include <gtest/gtest.h>

#include "agent/processors/test_util.h"

namespace tributary::agent::processors {
namespace {
using testing::config_error;
using testing::run;

constexpr const char* kFour =
    R"([{"optionName":"CSVTOJSON","customFieldNames":["column1","column2","column3","column4"]}])";

// The Java agent's DataConverterTest.testCSVToJSONDataConverter cases.
TEST(CsvToJson, KeepsSpacesAndEscapesNewlinesInColumns) {
    EXPECT_EQ(run(kFour, "value1, value2,valu\ne3,    value4\n"),
              "{\"column1\":\"value1\",\"column2\":\" value2\",\"column3\":\"valu\\ne3\","
              "\"column4\":\"    value4\"}\n");
}

TEST(CsvToJson, MissingColumnsAreNull) {
    EXPECT_EQ(run(kFour, "value1, value2,value3"),
              R"({"column1":"value1","column2":" value2","column3":"value3","column4":null})");
}

TEST(CsvToJson, ExtraColumnsAreIgnored) {
    EXPECT_EQ(run(kFour, "value1,value2,value3,value4,value5"),
              R"({"column1":"value1","column2":"value2","column3":"value3","column4":"value4"})");
}

TEST(CsvToJson, TrailingEmptyColumnsAreNullLikeJavaSplit) {
    EXPECT_EQ(run(kFour, "a,,b,"), R"({"column1":"a","column2":"","column3":"b","column4":null})");
}

TEST(CsvToJson, DelimiterIsARegex) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b","c"],"delimiter":"\\s*[;|]\\s*"}])",
                  "x ; y|z"),
              R"({"a":"x","b":"y","c":"z"})");
}

TEST(CsvToJson, EscapedTabDelimiterSplitsTsv) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["column1","column2","column3","column4"],"delimiter":"\\t"}])",
                  "value1\t value2\tvalue3\t    value4"),
              R"({"column1":"value1","column2":" value2","column3":"value3","column4":"    value4"})");
}

TEST(CsvToJson, RegexMetacharacterDelimiterMustBeEscaped) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b"],"delimiter":"\\|"}])",
                  "1|2"),
              R"({"a":"1","b":"2"})");
}

TEST(CsvToJson, IgnoredFieldsAreLeftOut) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["c1","c2","c3","c4"],"ignoredFieldNames":["c2","c3","c9"]}])",
                  "v1,v2,v3,v4"),
              R"({"c1":"v1","c4":"v4"})");
}

TEST(CsvToJson, EncodedFieldsBecomeUpperCaseMd5) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["user","n"],"encodedFieldNames":["user"]}])",
                  "abc,1"),
              R"({"user":"900150983CD24FB0D6963F7D28E17F72","n":"1"})");
}

TEST(CsvToJson, MissingEncodedFieldFailsTheRecord) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["n","user"],"encodedFieldNames":["user"]}])",
                  "1"),
              "FAILED");
}

TEST(CsvToJson, InvalidUtf8BecomesReplacementCharacters) {
    std::string out = run(R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b"],"delimiter":";+"}])",
                          "x\xFF;;\x01y");
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["a"], "x\xEF\xBF\xBD");
    EXPECT_EQ(j["b"], "\x01y");
}

TEST(CsvToJson, PrettyPrint) {
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b"],"jsonFormat":"PRETTYPRINT"}])",
                  "1,2"),
              "{\n  \"a\" : \"1\",\n  \"b\" : \"2\"\n}");
}

TEST(CsvToJson, ConfigErrorsNameTheKey) {
    EXPECT_EQ(config_error(R"([{"optionName":"CSVTOJSON"}])"),
              "dataProcessingOptions[0].customFieldNames: required");
    EXPECT_EQ(config_error(R"([{"optionName":"CSVTOJSON","customFieldNames":"a,b"}])"),
              "dataProcessingOptions[0].customFieldNames: expected an array of strings, got string");
    EXPECT_EQ(config_error(R"([{"optionName":"CSVTOJSON","customFieldNames":["a","a"]}])"),
              "dataProcessingOptions[0].customFieldNames: duplicate field name 'a'");
    EXPECT_EQ(config_error(R"([{"optionName":"CSVTOJSON","customFieldNames":["a"],"encodedFieldNames":["b"]}])"),
              "dataProcessingOptions[0].encodedFieldNames: 'b' is not in customFieldNames");
    EXPECT_NE(config_error(R"([{"optionName":"CSVTOJSON","customFieldNames":["a"],"delimiter":"(["}])")
                  .find("dataProcessingOptions[0].delimiter: "),
              std::string::npos);
}

}  // namespace
}  // namespace tributary::agent::processors
