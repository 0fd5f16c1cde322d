#include <gtest/gtest.h>

#include "agent/processors/test_util.h"

namespace tributary::agent::processors {
namespace {
using testing::run;

constexpr const char* kDefault = R"([{"optionName":"SINGLELINE"}])";

TEST(SingleLine, JoinsLinesTrimmingEachByDefault) {
    EXPECT_EQ(run(kDefault, "first\n   second  \n\tthird"), "firstsecondthird");
}

TEST(SingleLine, KeepsTheRecordsTrailingNewline) {
    EXPECT_EQ(run(kDefault, "a\n  b\n"), "ab\n");
}

TEST(SingleLine, DropsTrailingEmptyLinesAsJavaSplitDoes) {
    EXPECT_EQ(run(kDefault, "a\nb\n\n\n"), "ab\n");
}

TEST(SingleLine, NoTrimKeepsWhitespaceAndCarriageReturns) {
    EXPECT_EQ(run(R"([{"optionName":"SINGLELINE","parseOptions":["NO_TRIM"]}])", " a \r\n b "),
              " a \r b ");
}

TEST(SingleLine, EscapeNewLineMatchesTheKinesisAgentTest) {
    // The Java agent's DataConverterTest.testSingleLineDataConverter, byte for byte: lines are
    // joined with backslash, backslash, 'n'.
    std::string in =
        "{\n   \"a\": {\n           \"b\": 1,\n           \"c\": null,\n           \"d\": true\n"
        "    },\n   \"e\": \"f\",\n   \"g\": 2\n     }\n";
    std::string expected =
        "{\\\\n\"a\": {\\\\n\"b\": 1,\\\\n\"c\": null,\\\\n\"d\": true\\\\n},\\\\n\"e\": "
        "\"f\",\\\\n\"g\": 2\\\\n}\n";
    EXPECT_EQ(run(R"([{"optionName":"SINGLELINE","parseOptions":["ESCAPE_NEW_LINE"]}])", in),
              expected);
}

TEST(SingleLine, PassesInvalidUtf8Through) {
    EXPECT_EQ(run(kDefault, "a\xFF\n b"), "a\xFF" "b");
}

TEST(SingleLine, RefusesAnUnknownParseOption) {
    EXPECT_EQ(testing::config_error(R"([{"optionName":"SINGLELINE","parseOptions":["TRIM_ALL"]}])"),
              "dataProcessingOptions[0].parseOptions: unknown parse option 'TRIM_ALL' (expected "
              "NO_TRIM, ESCAPE_NEW_LINE)");
}

}  // namespace
}  // namespace tributary::agent::processors
