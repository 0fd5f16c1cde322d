#include <gtest/gtest.h>

#include "agent/processors/test_util.h"

namespace tributary::agent::processors {
namespace {
using testing::config_error;
using testing::run;

TEST(AddMetadata, WrapsTheRecordLikeTheKinesisAgent) {
    // DataConverterTest.testAddMetadataConverter (our metadata keys come out sorted).
    EXPECT_EQ(run(R"([{"optionName":"ADDMETADATA","metadata":{"key":"value","foo":{"bar":"bas"}}}])",
                  "This is the data"),
              R"({"metadata":{"foo":{"bar":"bas"},"key":"value"},"data":"This is the data"})");
}

TEST(AddMetadata, MetadataIsNullWhenNotConfigured) {
    EXPECT_EQ(run(R"([{"optionName":"ADDMETADATA"}])", "x\n"), "{\"metadata\":null,\"data\":\"x\"}\n");
}

TEST(AddMetadata, TimestampIsUtcIso8601WithMilliseconds) {
    EXPECT_EQ(run(R"([{"optionName":"ADDMETADATA","timestamp":"true","metadata":{"k":1}}])", "d"),
              R"({"ts":"2023-11-14T22:13:20.123Z","metadata":{"k":1},"data":"d"})");
}

TEST(AddMetadata, HostnameAndDeviceIdComeFromTheContext) {
    EXPECT_EQ(run(R"([{"optionName":"ADDMETADATA","hostname":true,"deviceId":"true"}])", "d"),
              R"({"hostname":"edge-7","deviceId":"dev-42","metadata":null,"data":"d"})");
}

TEST(AddMetadata, WithLogFormatDataIsTheParsedObject) {
    const char* opts = R"([{"optionName":"ADDMETADATA","metadata":"m","logFormat":"SYSLOG"}])";
    EXPECT_EQ(run(opts, "Mar 12 12:01:02 server4 snort: hi"),
              R"({"metadata":"m","data":{"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,"message":"hi"}})");
    EXPECT_EQ(run(opts, "not syslog"), "FAILED");
}

TEST(AddMetadata, PrettyPrintIndentsNestedMetadata) {
    EXPECT_EQ(run(R"([{"optionName":"ADDMETADATA","metadata":{"a":{"b":[1,2]}},"jsonFormat":"PRETTYPRINT"}])", "d"),
              "{\n  \"metadata\" : {\n    \"a\" : {\n      \"b\" : [ 1, 2 ]\n    }\n  },\n"
              "  \"data\" : \"d\"\n}");
}

TEST(AddMetadata, ControlCharactersAndInvalidUtf8StillGiveValidJson) {
    std::string out = run(R"([{"optionName":"ADDMETADATA"}])", std::string("a\0b\x1b[0m\xC3\x28\"\\", 11));
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["data"], std::string("a\0b\x1b[0m\xEF\xBF\xBD(\"\\", 13));
}

TEST(AddMetadata, ConfigErrorsNameTheKey) {
    EXPECT_EQ(config_error(R"([{"optionName":"ADDMETADATA","timestamp":"yes"}])"),
              "dataProcessingOptions[0].timestamp: expected true or false, got 'yes'");
    EXPECT_EQ(config_error(R"j([{"optionName":"ADDMETADATA","matchPattern":"(.*)"}])j"),
              "dataProcessingOptions[0].matchPattern: needs logFormat");
    auto no_device = Chain::make(nlohmann::json::parse(R"([{"optionName":"ADDMETADATA","deviceId":true}])"),
                                 Context{"h", "", {}});
    ASSERT_FALSE(no_device);
    EXPECT_EQ(no_device.error().message,
              "dataProcessingOptions[0].deviceId: true, but no device id is configured for this agent");
}

TEST(AddEc2Metadata, IsAcceptedWithANoticeAndSkipped) {
    Chain chain = testing::make_chain(R"([{"optionName":"ADDEC2METADATA","metadataTTL":3600},{"optionName":"SINGLELINE"}])");
    EXPECT_EQ(chain.size(), 1u);
    ASSERT_EQ(chain.notices().size(), 1u);
    EXPECT_EQ(chain.notices()[0].rfind("dataProcessingOptions[0]: ADDEC2METADATA skipped", 0), 0u);
    EXPECT_EQ(testing::run(chain, "a\n b"), "ab");
}

}  // namespace
}  // namespace tributary::agent::processors
