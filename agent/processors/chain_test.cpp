#include <gtest/gtest.h>

#include "agent/processors/test_util.h"

namespace tributary::agent::processors {
namespace {
using testing::config_error;
using testing::run;

TEST(Chain, EmptyOrNullOptionsLeaveRecordsAlone) {
    EXPECT_EQ(run("[]", "as is\n"), "as is\n");
    EXPECT_EQ(run("null", "as is"), "as is");
}

TEST(Chain, AppliesProcessorsInOrder) {
    // SINGLELINE first, then CSV: the joined line is split.
    EXPECT_EQ(run(R"([{"optionName":"SINGLELINE"},{"optionName":"CSVTOJSON","customFieldNames":["a","b"]}])",
                  "1,\n  2\n"),
              "{\"a\":\"1\",\"b\":\"2\"}\n");
    // The other way round, the CSV output is what SINGLELINE sees.
    EXPECT_EQ(run(R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b"],"jsonFormat":"PRETTYPRINT"},{"optionName":"SINGLELINE"}])",
                  "1,2"),
              R"({"a" : "1","b" : "2"})");
}

TEST(Chain, OutputOfOneJsonProcessorIsDataForTheNext) {
    std::string out = run(R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG"},{"optionName":"ADDMETADATA","metadata":{"site":"a"}}])",
                          "Mar 12 12:01:02 server4 snort: hi");
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(nlohmann::json::parse(j["data"].get<std::string>())["program"], "snort");
}

TEST(Chain, FailureInALaterStepLeavesTheRecordAsItWas) {
    Chain chain = testing::make_chain(
        R"([{"optionName":"SINGLELINE"},{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}])");
    std::string record = "not\n syslog";
    std::string_view step;
    EXPECT_EQ(chain.apply(record, &step), Chain::Outcome::failed);
    EXPECT_EQ(record, "not\n syslog");
    EXPECT_EQ(step, "LOGTOJSON");
}

TEST(Chain, IsReusableAfterAFailure) {
    Chain chain = testing::make_chain(R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}])");
    EXPECT_EQ(run(chain, "junk"), "FAILED");
    EXPECT_EQ(nlohmann::json::parse(run(chain, "Mar 12 12:01:02 h p: m"))["message"], "m");
    EXPECT_EQ(nlohmann::json::parse(run(chain, "Mar 12 12:01:03 h p: n"))["message"], "n");
}

TEST(Chain, OptionNamesAreCaseInsensitiveAndFailedStepIsCanonical) {
    Chain chain = testing::make_chain(R"([{"optionName":"logToJson","logFormat":"syslog"}])");
    std::string record = "junk";
    std::string_view step;
    EXPECT_EQ(chain.apply(record, &step), Chain::Outcome::failed);
    EXPECT_EQ(step, "LOGTOJSON");
}

TEST(Chain, ConfigErrorsNameTheIndex) {
    EXPECT_EQ(config_error(R"({"optionName":"SINGLELINE"})"),
              "dataProcessingOptions: expected an array, got object");
    EXPECT_EQ(config_error(R"([{"optionName":"SINGLELINE"}, "CSVTOJSON"])"),
              "dataProcessingOptions[1]: expected an object, got string");
    EXPECT_EQ(config_error(R"([{"logFormat":"SYSLOG"}])"),
              "dataProcessingOptions[0].optionName: required");
    EXPECT_EQ(config_error(R"([{"optionName":"SINGLELINE"},{"optionName":"USINGPLUGGIN"}])"),
              "dataProcessingOptions[1].optionName: unknown processor 'USINGPLUGGIN' (expected "
              "SINGLELINE, CSVTOJSON, LOGTOJSON, ADDMETADATA, ADDEC2METADATA)");
    EXPECT_EQ(config_error(R"([{"optionName":"SINGLELINE","jsonFormat":"COMPACT"}])"),
              "dataProcessingOptions[0].jsonFormat: unknown key (expected one of parseOptions)");
    EXPECT_EQ(config_error(R"([{"optionName":"CSVTOJSON","customFieldNames":["a"],"jsonFormat":"UGLY"}])"),
              "dataProcessingOptions[0].jsonFormat: unknown value 'UGLY' (expected COMPACT, PRETTYPRINT)");
}

}  // namespace
}  // namespace tributary::agent::processors
