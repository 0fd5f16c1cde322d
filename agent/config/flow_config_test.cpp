#include <gtest/gtest.h>

#include "agent/config/agent_config.h"
#include "agent/config/test_util.h"

namespace tributary::agent::config {
namespace {

using namespace std::chrono_literals;
using testing::doc;
using testing::parse;
using testing::parse_error;
using testing::parse_ok;

FlowConfig only_flow(std::string_view flow_keys) {
    // A broker, so that "sink": "mqtt" is acceptable.
    AgentConfig c = parse_ok(doc(R"("mqtt.broker": "tcp://127.0.0.1:1883",)", flow_keys));
    EXPECT_EQ(c.flows.size(), 1u);
    return c.flows.empty() ? FlowConfig{} : c.flows[0];
}

std::string flows(std::string_view list) { return R"({"flows": )" + std::string(list) + "}"; }

TEST(FlowConfig, FileFlowGetsEveryDefault) {
    FlowConfig f = only_flow("");
    EXPECT_EQ(f.id, "kinesis:s:/var/log/app.log*");
    EXPECT_EQ(f.source, Source::file);
    EXPECT_EQ(f.destination, Destination::kinesis);
    EXPECT_EQ(f.stream, "s");
    EXPECT_EQ(f.file_pattern, "/var/log/app.log*");
    EXPECT_EQ(f.initial_position, InitialPosition::end_of_file);
    EXPECT_EQ(f.min_time_between_file_polls, 100ms);
    EXPECT_EQ(f.max_time_between_file_tracker_refresh, 10'000ms);
    EXPECT_EQ(f.multi_line_start_pattern, "");
    EXPECT_EQ(f.skip_header_lines, 0);
    EXPECT_EQ(f.file_footer_pattern, "");
    EXPECT_EQ(f.truncated_record_terminator, "\n");
    EXPECT_EQ(f.partition_key_option, PartitionKeyOption::random);
    EXPECT_EQ(f.max_buffer_age, 60'000ms);
    EXPECT_EQ(f.max_buffer_size_records, 500);
    EXPECT_EQ(f.max_in_flight_batches, 4);
    EXPECT_EQ(f.max_buffer_size_bytes, 5'242'880);
    EXPECT_EQ(f.retry_initial_backoff, 100ms);
    EXPECT_EQ(f.retry_max_backoff, 10'000ms);
    EXPECT_EQ(f.aggregated_record_size_bytes, 0);
    EXPECT_EQ(f.data_processing_options, nlohmann::json::array());
    EXPECT_EQ(f.full_policy, FullPolicy::block);
    EXPECT_FALSE(f.spool_max_bytes);
    EXPECT_FALSE(f.error_stream);
    EXPECT_EQ(f.sink, Sink::https);
    EXPECT_EQ(f.max_record_size_bytes(), 1'048'576);
}

TEST(FlowConfig, FirehoseFlowDefaultsToFourMebibyteBuffers) {
    AgentConfig c = parse_ok(flows(R"([{"filePattern": "/a/b", "deliveryStream": "d"}])"));
    const FlowConfig& f = c.flows[0];
    EXPECT_EQ(f.id, "fh:d:/a/b");
    EXPECT_EQ(f.destination, Destination::firehose);
    EXPECT_EQ(f.max_buffer_size_bytes, 4'194'304);
    EXPECT_EQ(f.max_record_size_bytes(), 1'024'000);
}

TEST(FlowConfig, EveryFileFlowKeyIsParsed) {
    FlowConfig f = only_flow(R"(,
        "partitionKeyOption": "DETERMINISTIC", "initialPosition": "START_OF_FILE",
        "maxBufferAgeMillis": 5000, "maxBufferSizeRecords": 100, "maxBufferSizeBytes": 65536,
        "minTimeBetweenFilePollsMillis": 250, "maxTimeBetweenFileTrackerRefreshMillis": 2000,
        "multiLineStartPattern": "^\\d{4}-", "skipHeaderLines": 2, "fileFooterPattern": "^END$",
        "truncatedRecordTerminator": "...\n",
        "dataProcessingOptions": [{"optionName": "SINGLELINE"}],
        "retryInitialBackoffMillis": 200, "retryMaxBackoffMillis": 30000,
        "fullPolicy": "drop_oldest", "spoolMaxBytes": 2097152, "errorStream": "errors",
        "sink": "mqtt", "maxInFlightBatches": 8)");
    EXPECT_EQ(f.partition_key_option, PartitionKeyOption::deterministic);
    EXPECT_EQ(f.initial_position, InitialPosition::start_of_file);
    EXPECT_EQ(f.max_buffer_age, 5000ms);
    EXPECT_EQ(f.max_buffer_size_records, 100);
    EXPECT_EQ(f.max_buffer_size_bytes, 65536);
    EXPECT_EQ(f.min_time_between_file_polls, 250ms);
    EXPECT_EQ(f.max_time_between_file_tracker_refresh, 2000ms);
    EXPECT_EQ(f.multi_line_start_pattern, "^\\d{4}-");
    EXPECT_EQ(f.skip_header_lines, 2);
    EXPECT_EQ(f.file_footer_pattern, "^END$");
    EXPECT_EQ(f.truncated_record_terminator, "...\n");
    EXPECT_EQ(f.data_processing_options[0]["optionName"], "SINGLELINE");
    EXPECT_EQ(f.retry_initial_backoff, 200ms);
    EXPECT_EQ(f.retry_max_backoff, 30'000ms);
    EXPECT_EQ(f.full_policy, FullPolicy::drop_oldest);
    EXPECT_EQ(f.spool_max_bytes, 2u << 20);
    EXPECT_EQ(f.error_stream, "errors");
    EXPECT_EQ(f.sink, Sink::mqtt);
    EXPECT_EQ(f.max_in_flight_batches, 8);
}

TEST(FlowConfig, MetricsFlowGetsItsDefaults) {
    AgentConfig c = parse_ok(flows(R"([{"source": "metrics", "kinesisStream": "m"}])"));
    const FlowConfig& f = c.flows[0];
    EXPECT_EQ(f.id, "kinesis:m:metrics");
    EXPECT_EQ(f.source, Source::metrics);
    EXPECT_EQ(f.file_pattern, "");
    EXPECT_EQ(f.metrics_interval, 10'000ms);
    EXPECT_EQ(f.metrics.size(), 10u);
    EXPECT_EQ(f.metrics.front(), MetricGroup::cpu);
    EXPECT_EQ(f.metrics.back(), MetricGroup::agent);
    EXPECT_EQ(f.full_policy, FullPolicy::drop_oldest);
}

TEST(FlowConfig, MetricsFlowKeepsTheListedGroupsInOrder) {
    AgentConfig c = parse_ok(flows(R"([{"source": "metrics", "kinesisStream": "m",
        "metricsIntervalMillis": "60000", "metrics": ["thermal", "cpu"]}])"));
    EXPECT_EQ(c.flows[0].metrics_interval, 60'000ms);
    EXPECT_EQ(c.flows[0].metrics, (std::vector{MetricGroup::thermal, MetricGroup::cpu}));
}

TEST(FlowConfig, UnknownMetricGroupIsNamedByIndex) {
    Error e = parse_error(flows(R"([{"source": "metrics", "kinesisStream": "m",
                                     "metrics": ["cpu", "gpu"]}])"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message.rfind(R"(agent.json: flows[0].metrics[1]: must be one of cpu,)", 0), 0u)
        << e.message;
}

TEST(FlowConfig, MetricGroupListedTwiceIsAnError) {
    Error e = parse_error(flows(R"([{"source": "metrics", "kinesisStream": "m",
                                     "metrics": ["cpu", "cpu"]}])"));
    EXPECT_EQ(e.message, R"(agent.json: flows[0].metrics[1]: lists "cpu" twice)");
}

TEST(FlowConfig, FileKeyInAMetricsFlowIsAConflict) {
    Error e = parse_error(flows(R"([{"source": "metrics", "kinesisStream": "m",
                                     "filePattern": "/a"}])"));
    EXPECT_EQ(e.code, errc::conflicting_keys);
    EXPECT_EQ(
        e.message,
        R"(agent.json: flows[0].filePattern: not allowed in a flow whose source is "metrics")");
}

TEST(FlowConfig, MetricsKeyInAFileFlowIsAConflict) {
    Error e = parse_error(doc("", R"(, "metricsIntervalMillis": 1000)"));
    EXPECT_EQ(e.code, errc::conflicting_keys);
}

TEST(FlowConfig, RangeErrorHasTheDocumentedShape) {
    Error e = parse_error(flows(R"([{"filePattern": "/a", "kinesisStream": "s"},
                                    {"filePattern": "/b", "kinesisStream": "s",
                                     "maxBufferAgeMillis": 0}])"));
    EXPECT_EQ(e.code, errc::out_of_range);
    EXPECT_EQ(e.message,
              "agent.json: flows[1].maxBufferAgeMillis: must be between 1 and 900000, got 0");
}

TEST(FlowConfig, NumericStringsAreAcceptedForIntegers) {
    EXPECT_EQ(only_flow(R"(, "maxBufferAgeMillis": "5000")").max_buffer_age, 5000ms);
    EXPECT_EQ(only_flow(R"(, "skipHeaderLines": "+3")").skip_header_lines, 3);
}

TEST(FlowConfig, NonNumericStringsAndFractionsAreTypeErrors) {
    for (const char* bad : {R"("5e3")", R"(" 5")", R"("0x10")", "5000.0", "true", R"("")"}) {
        Error e = parse_error(doc("", std::string(R"(, "maxBufferAgeMillis": )") + bad));
        EXPECT_EQ(e.code, errc::wrong_type) << bad << ": " << e.message;
    }
}

TEST(FlowConfig, HugeNumericStringIsOutOfRange) {
    Error e = parse_error(doc("", R"(, "skipHeaderLines": "99999999999999999999")"));
    EXPECT_EQ(e.code, errc::out_of_range);
}

struct Boundary {
    const char* flow;  // "k" kinesis file flow, "f" firehose file flow, "m" metrics flow
    const char* key;
    const char* value;
    bool ok;
};

class FlowBoundary : public ::testing::TestWithParam<Boundary> {};

TEST_P(FlowBoundary, AcceptsInsideAndRefusesOutside) {
    const Boundary& b = GetParam();
    std::string head = std::string(b.flow) == "k" ? R"("filePattern": "/a", "kinesisStream": "s")"
                       : std::string(b.flow) == "f"
                           ? R"("filePattern": "/a", "deliveryStream": "d")"
                           : R"("source": "metrics", "kinesisStream": "s")";
    auto c = parse(flows("[{" + head + ", \"" + b.key + "\": " + b.value + "}]"));
    EXPECT_EQ(c.has_value(), b.ok)
        << b.key << " = " << b.value << ": " << (c ? "accepted" : c.error().message);
    if (!b.ok && !c) {
        EXPECT_EQ(c.error().code, errc::out_of_range) << c.error().message;
    }
}

INSTANTIATE_TEST_SUITE_P(
    FlowConfig, FlowBoundary,
    ::testing::Values(Boundary{"k", "maxInFlightBatches", "0", false},
                      Boundary{"k", "maxInFlightBatches", "1", true},
                      Boundary{"k", "maxInFlightBatches", "64", true},
                      Boundary{"k", "maxInFlightBatches", "65", false},
                      Boundary{"k", "maxBufferAgeMillis", "0", false},
                      Boundary{"k", "maxBufferAgeMillis", "1", true},
                      Boundary{"k", "maxBufferAgeMillis", "900000", true},
                      Boundary{"k", "maxBufferAgeMillis", "900001", false},
                      Boundary{"k", "maxBufferSizeRecords", "0", false},
                      Boundary{"k", "maxBufferSizeRecords", "1", true},
                      Boundary{"k", "maxBufferSizeRecords", "500", true},
                      Boundary{"k", "maxBufferSizeRecords", "501", false},
                      Boundary{"k", "maxBufferSizeBytes", "0", false},
                      Boundary{"k", "maxBufferSizeBytes", "1", true},
                      Boundary{"k", "maxBufferSizeBytes", "5242880", true},
                      Boundary{"k", "maxBufferSizeBytes", "5242881", false},
                      Boundary{"f", "maxBufferSizeBytes", "4194304", true},
                      Boundary{"f", "maxBufferSizeBytes", "4194305", false},
                      Boundary{"k", "minTimeBetweenFilePollsMillis", "0", false},
                      Boundary{"k", "minTimeBetweenFilePollsMillis", "1", true},
                      Boundary{"k", "minTimeBetweenFilePollsMillis", "86400000", true},
                      Boundary{"k", "minTimeBetweenFilePollsMillis", "86400001", false},
                      Boundary{"k", "maxTimeBetweenFileTrackerRefreshMillis", "0", false},
                      Boundary{"k", "maxTimeBetweenFileTrackerRefreshMillis", "1", true},
                      Boundary{"k", "skipHeaderLines", "-1", false},
                      Boundary{"k", "skipHeaderLines", "0", true},
                      Boundary{"k", "retryInitialBackoffMillis", "0", false},
                      Boundary{"k", "retryInitialBackoffMillis", "1", true},
                      Boundary{"k", "retryMaxBackoffMillis", "99",
                               false},  // below the default initial 100
                      Boundary{"k", "retryMaxBackoffMillis", "100", true},
                      Boundary{"k", "retryMaxBackoffMillis", "86400000", true},
                      Boundary{"k", "retryMaxBackoffMillis", "86400001", false},
                      Boundary{"k", "publishQueueCapacity", "0", false},
                      Boundary{"k", "publishQueueCapacity", "1", true},
                      Boundary{"k", "waitOnFullPublishQueueMillis", "999", false},
                      Boundary{"k", "waitOnFullPublishQueueMillis", "1000", true},
                      Boundary{"k", "waitOnEmptyPublishQueueMillis", "900000", true},
                      Boundary{"k", "waitOnEmptyPublishQueueMillis", "900001", false},
                      Boundary{"f", "aggregatedRecordSizeBytes", "-1", false},
                      Boundary{"f", "aggregatedRecordSizeBytes", "1024000", true},
                      Boundary{"f", "aggregatedRecordSizeBytes", "1024001", false},
                      Boundary{"k", "spoolMaxBytes", "1048575", false},
                      Boundary{"k", "spoolMaxBytes", "1048576", true},
                      Boundary{"m", "metricsIntervalMillis", "999", false},
                      Boundary{"m", "metricsIntervalMillis", "1000", true},
                      Boundary{"m", "metricsIntervalMillis", "86400000", true},
                      Boundary{"m", "metricsIntervalMillis", "86400001", false}));

TEST(FlowConfig, RetryMaxBelowRetryInitialIsAnError) {
    Error e =
        parse_error(doc("", R"(, "retryInitialBackoffMillis": 500, "retryMaxBackoffMillis": 400)"));
    EXPECT_EQ(e.message,
              "agent.json: flows[0].retryMaxBackoffMillis: retryMaxBackoffMillis (400) "
              "must be at least retryInitialBackoffMillis (500)");
}

TEST(FlowConfig, TerminatorAsLongAsARecordIsRefused) {
    std::string terminator(1'048'576, 'x');
    Error e = parse_error(doc("", R"(, "truncatedRecordTerminator": ")" + terminator + "\""));
    EXPECT_EQ(e.code, errc::out_of_range);
    EXPECT_EQ(e.message,
              "agent.json: flows[0].truncatedRecordTerminator: must be shorter than "
              "the record size limit (1048576 bytes)");
}

TEST(FlowConfig, UnknownFlowKeyIsNamedWithASuggestion) {
    Error e = parse_error(doc("", R"(, "maxBufferAgeMilis": 5000)"));
    EXPECT_EQ(e.code, errc::unknown_key);
    EXPECT_EQ(e.message,
              "agent.json: flows[0].maxBufferAgeMilis: unknown key "
              "(did you mean \"maxBufferAgeMillis\"?)");
}

TEST(FlowConfig, KinesisStreamAndDeliveryStreamTogetherConflict) {
    Error e = parse_error(flows(R"([{"filePattern": "/a", "kinesisStream": "s",
                                     "deliveryStream": "d"}])"));
    EXPECT_EQ(e.code, errc::conflicting_keys);
    EXPECT_EQ(e.message,
              "agent.json: flows[0].deliveryStream: a flow has kinesisStream or "
              "deliveryStream, not both");
}

TEST(FlowConfig, FlowWithoutDestinationIsMissingAKey) {
    Error e = parse_error(flows(R"([{"filePattern": "/a"}])"));
    EXPECT_EQ(e.code, errc::missing_key);
    EXPECT_EQ(e.message, "agent.json: flows[0]: needs kinesisStream or deliveryStream");
}

TEST(FlowConfig, FileFlowWithoutFilePatternIsMissingAKey) {
    Error e = parse_error(flows(R"([{"kinesisStream": "s"}])"));
    EXPECT_EQ(e.code, errc::missing_key);
    EXPECT_EQ(e.message, "agent.json: flows[0].filePattern: required in a file flow");
}

TEST(FlowConfig, RelativeFilePatternIsRefused) {
    Error e = parse_error(flows(R"([{"filePattern": "app.log", "kinesisStream": "s"}])"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message,
              R"(agent.json: flows[0].filePattern: must be an absolute path, got "app.log")");
}

TEST(FlowConfig, FilePatternEndingInSlashIsRefused) {
    Error e = parse_error(flows(R"([{"filePattern": "/var/log/", "kinesisStream": "s"}])"));
    EXPECT_EQ(e.code, errc::invalid_value);
}

TEST(FlowConfig, InvalidStreamNameIsRefused) {
    Error e = parse_error(flows(R"([{"filePattern": "/a", "kinesisStream": "my stream"}])"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message.rfind("agent.json: flows[0].kinesisStream: must be 1 to 128 characters", 0),
              0u)
        << e.message;
}

TEST(FlowConfig, TwoFlowsWithTheSameIdAreAnError) {
    Error e = parse_error(flows(R"([{"filePattern": "/var/log/a", "kinesisStream": "s"},
                                    {"filePattern": "/b", "kinesisStream": "s"},
                                    {"filePattern": "/var//log/a", "kinesisStream": "s"}])"));
    EXPECT_EQ(e.code, errc::duplicate_flow);
    EXPECT_EQ(e.message, "agent.json: flows[2]: same flow as flows[0] (kinesis:s:/var/log/a)");
}

TEST(FlowConfig, SamePatternToKinesisAndFirehoseIsTwoFlows) {
    AgentConfig c = parse_ok(flows(R"([{"filePattern": "/a", "kinesisStream": "s"},
                                       {"filePattern": "/a", "deliveryStream": "s"}])"));
    EXPECT_EQ(c.flows.size(), 2u);
}

TEST(FlowConfig, InvalidRegexNamesTheOffset) {
    Error e = parse_error(doc("", R"(, "multiLineStartPattern": "^(abc")"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message.rfind("agent.json: flows[0].multiLineStartPattern: invalid regular "
                              "expression at offset 5: ",
                              0),
              0u)
        << e.message;
}

TEST(FlowConfig, InvalidFooterRegexIsRefused) {
    Error e = parse_error(doc("", R"(, "fileFooterPattern": "[z-a]")"));
    EXPECT_EQ(e.code, errc::invalid_value);
}

TEST(FlowConfig, ProcessingOptionsMustBeAList) {
    Error e = parse_error(doc("", R"(, "dataProcessingOptions": {"optionName": "X"})"));
    EXPECT_EQ(e.code, errc::wrong_type);
    EXPECT_EQ(
        e.message,
        "agent.json: flows[0].dataProcessingOptions: must be a list of objects, got an object");
}

TEST(FlowConfig, ProcessingOptionWithoutOptionNameIsNamedByIndex) {
    Error e = parse_error(doc("", R"(, "dataProcessingOptions": [{"optionName": "A"}, {"x": 1}])"));
    EXPECT_EQ(e.code, errc::missing_key);
    EXPECT_EQ(e.message, "agent.json: flows[0].dataProcessingOptions[1].optionName: required");
}

TEST(FlowConfig, ProcessingOptionNameMustBeAString) {
    Error e = parse_error(doc("", R"(, "dataProcessingOptions": [{"optionName": 7}])"));
    EXPECT_EQ(e.code, errc::wrong_type);
}

TEST(FlowConfig, ProcessingOptionMustBeAnObject) {
    Error e = parse_error(doc("", R"(, "dataProcessingOptions": ["SINGLELINE"])"));
    EXPECT_EQ(
        e.message,
        R"(agent.json: flows[0].dataProcessingOptions[0]: must be an object, got "SINGLELINE")");
}

TEST(FlowConfig, UnknownEnumNameListsTheAllowedOnes) {
    Error e = parse_error(doc("", R"(, "initialPosition": "BEGINNING")"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message,
              "agent.json: flows[0].initialPosition: must be END_OF_FILE or "
              "START_OF_FILE, got \"BEGINNING\"");
}

TEST(FlowConfig, UnknownSinkIsRefused) {
    Error e = parse_error(doc("", R"(, "sink": "kafka")"));
    EXPECT_EQ(e.message, R"(agent.json: flows[0].sink: must be https or mqtt, got "kafka")");
}

TEST(FlowConfig, InvalidErrorStreamIsRefused) {
    Error e = parse_error(doc("", R"(, "errorStream": "")"));
    EXPECT_EQ(e.code, errc::invalid_value);
}

TEST(FlowConfig, PartitionKeyOptionOnFirehoseIsNoticed) {
    AgentConfig c = parse_ok(flows(R"([{"filePattern": "/a", "deliveryStream": "d",
                                        "partitionKeyOption": "RANDOM"}])"));
    ASSERT_EQ(c.notices.size(), 1u);
    EXPECT_EQ(c.notices[0],
              "agent.json: flows[0].partitionKeyOption: ignored: Firehose records "
              "have no partition key");
}

TEST(FlowConfig, AggregationIsStoredForFirehoseAndNoticedUntilApplied) {
    AgentConfig c = parse_ok(flows(R"([{"filePattern": "/a", "deliveryStream": "d",
                                        "aggregatedRecordSizeBytes": 5120}])"));
    EXPECT_EQ(c.flows[0].aggregated_record_size_bytes, 5120);
    ASSERT_EQ(c.notices.size(), 1u);
    EXPECT_EQ(c.notices[0],
              "agent.json: flows[0].aggregatedRecordSizeBytes: not applied yet: "
              "records are sent one per line");
}

TEST(FlowConfig, AggregationOnAKinesisFlowIsIgnored) {
    AgentConfig c = parse_ok(doc("", R"(, "aggregatedRecordSizeBytes": 5120)"));
    EXPECT_EQ(c.flows[0].aggregated_record_size_bytes, 0);
    EXPECT_EQ(c.notices.size(), 1u);
}

TEST(FlowConfig, FlowSpoolSharesAboveTheSpoolAreAnError) {
    Error e = parse_error(R"({"spoolMaxBytes": 4194304, "flows": [
        {"filePattern": "/a", "kinesisStream": "s", "spoolMaxBytes": 2097152},
        {"filePattern": "/b", "kinesisStream": "s", "spoolMaxBytes": 3145728}]})");
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message,
              "agent.json: flows: the flows' spoolMaxBytes add up to 5242880, more "
              "than spoolMaxBytes 4194304");
}

TEST(FlowConfig, MissingFlowsIsAnError) {
    Error e = parse_error("{}");
    EXPECT_EQ(e.code, errc::missing_key);
    EXPECT_EQ(e.message, "agent.json: flows: required: a list of at least one flow");
}

TEST(FlowConfig, EmptyFlowsIsAnError) {
    EXPECT_EQ(parse_error(R"({"flows": []})").code, errc::missing_key);
}

TEST(FlowConfig, FlowsMustBeAList) {
    Error e = parse_error(R"({"flows": {"filePattern": "/a"}})");
    EXPECT_EQ(e.message, "agent.json: flows: must be a list of flow objects, got an object");
}

TEST(FlowConfig, FlowMustBeAnObject) {
    Error e = parse_error(R"({"flows": ["/var/log/syslog"]})");
    EXPECT_EQ(e.code, errc::wrong_type);
    EXPECT_EQ(e.message, R"(agent.json: flows[0]: must be an object, got "/var/log/syslog")");
}

}  // namespace
}  // namespace tributary::agent::config
