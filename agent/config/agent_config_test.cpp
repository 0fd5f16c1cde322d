#include "agent/config/agent_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "agent/config/test_util.h"

namespace tributary::agent::config {
namespace {

using namespace std::chrono_literals;
using testing::doc;
using testing::parse;
using testing::parse_error;
using testing::parse_ok;
using testing::test_env;

bool has_notice(const AgentConfig& c, std::string_view text) {
    for (const auto& n : c.notices) {
        if (n.find(text) != std::string::npos) return true;
    }
    return false;
}

// A fresh directory under $TMPDIR, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "agent-config-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(std::string_view name, std::string_view content) const {
        std::string p = path_ + "/" + std::string(name);
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(AgentConfig, MinimalConfigGetsEveryGlobalDefault) {
    AgentConfig c = parse_ok(doc(""));
    EXPECT_EQ(c.kinesis_endpoint, "https://kinesis.us-east-1.amazonaws.com");
    EXPECT_EQ(c.kinesis_region, "us-east-1");
    EXPECT_EQ(c.firehose_endpoint, "https://firehose.us-east-1.amazonaws.com");
    EXPECT_EQ(c.firehose_region, "us-east-1");
    EXPECT_EQ(c.credentials.source, CredentialSource::none);
    EXPECT_TRUE(c.emit_metrics);
    EXPECT_EQ(c.connection_timeout, 10'000ms);
    EXPECT_EQ(c.socket_timeout, 50'000ms);
    EXPECT_EQ(c.user_agent, "");
    EXPECT_FALSE(c.user_agent_override);
    EXPECT_EQ(c.shutdown_timeout, 10'000ms);
    EXPECT_EQ(c.checkpoint_ttl, std::chrono::days(7));
    EXPECT_EQ(c.checkpoint_file, "");
    EXPECT_EQ(c.spool_directory, "/var/lib/tributary-agent");
    EXPECT_EQ(c.spool_max_bytes, sizeof(void*) == 4 ? 256u << 20 : uint64_t{1} << 30);
    EXPECT_EQ(c.spool_sync, SpoolSync::batch);
    EXPECT_EQ(c.device_id, "pi-kitchen");
    ASSERT_TRUE(c.status_listen);
    EXPECT_EQ(c.status_listen->host, "127.0.0.1");
    EXPECT_EQ(c.status_listen->port, 4568);
    EXPECT_EQ(c.tls.ca_file, "");
    EXPECT_TRUE(c.tls.verify);
    EXPECT_EQ(c.log_level, log::Level::info);
    EXPECT_EQ(c.flows.size(), 1u);
    EXPECT_TRUE(c.notices.empty());
}

TEST(AgentConfig, EveryGlobalKeyIsParsed) {
    AgentConfig c = parse_ok(doc(R"(
        "checkpointTimeToLiveDays": 30,
        "kinesis.endpoint": "https://kinesis.eu-west-1.amazonaws.com",
        "kinesis.region": "eu-central-1",
        "firehose.endpoint": "firehose.ap-south-1.amazonaws.com",
        "awsAccessKeyId": "AKID", "awsSecretAccessKey": "SECRET", "awsSessionToken": "TOKEN",
        "cloudwatch.emitMetrics": false,
        "connectionTimeoutMillis": 2000, "socketTimeoutMillis": 3000,
        "userAgent": "acme", "userAgentOverride": "acme-agent/1",
        "shutdownTimeoutMillis": 500,
        "spoolDirectory": "/data/spool", "spoolMaxBytes": 67108864, "spoolSync": "off",
        "deviceId": "pi-42", "statusListen": "0.0.0.0:9100",
        "tls.caFile": "/etc/ssl/ca.pem", "tls.verify": false, "logLevel": "debug",)"));
    EXPECT_EQ(c.checkpoint_ttl, std::chrono::days(30));
    EXPECT_EQ(c.kinesis_endpoint, "https://kinesis.eu-west-1.amazonaws.com");
    EXPECT_EQ(c.kinesis_region, "eu-central-1");  // the explicit key wins over the host
    EXPECT_EQ(c.firehose_endpoint, "https://firehose.ap-south-1.amazonaws.com");
    EXPECT_EQ(c.firehose_region, "ap-south-1");
    EXPECT_EQ(c.credentials.access_key_id, "AKID");
    EXPECT_EQ(c.credentials.secret_access_key, "SECRET");
    EXPECT_EQ(c.credentials.session_token, "TOKEN");
    EXPECT_EQ(c.credentials.source, CredentialSource::config_file);
    EXPECT_FALSE(c.emit_metrics);
    EXPECT_EQ(c.connection_timeout, 2000ms);
    EXPECT_EQ(c.socket_timeout, 3000ms);
    EXPECT_EQ(c.user_agent, "acme");
    EXPECT_EQ(c.user_agent_override, "acme-agent/1");
    EXPECT_EQ(c.shutdown_timeout, 500ms);
    EXPECT_EQ(c.spool_directory, "/data/spool");
    EXPECT_EQ(c.spool_max_bytes, 64u << 20);
    EXPECT_EQ(c.spool_sync, SpoolSync::off);
    EXPECT_EQ(c.device_id, "pi-42");
    EXPECT_EQ(c.status_listen->host, "0.0.0.0");
    EXPECT_EQ(c.status_listen->port, 9100);
    EXPECT_EQ(c.tls.ca_file, "/etc/ssl/ca.pem");
    EXPECT_FALSE(c.tls.verify);
    EXPECT_EQ(c.log_level, log::Level::debug);
    EXPECT_TRUE(c.notices.empty());
}

// awsdocs/amazon-kinesis-data-streams-developer-guide, writing-with-agents.md, "Monitor
// Multiple File Directories and Write to Multiple Streams", as published.
TEST(AgentConfig, MqttKeysAreParsedWithTheirDefaults) {
    AgentConfig d = parse_ok(doc(""));
    EXPECT_EQ(d.mqtt.broker, "");
    EXPECT_EQ(d.mqtt.answer_timeout, 30'000ms);
    EXPECT_TRUE(d.mqtt.compress);
    AgentConfig c = parse_ok(doc(R"(
        "mqtt.broker": "ssl://broker.lan:8883", "mqtt.clientId": "pi-7",
        "mqtt.username": "u", "mqtt.password": "p", "mqtt.caFile": "/etc/tributary/ca.pem",
        "mqtt.certFile": "/etc/tributary/pi.crt", "mqtt.keyFile": "/etc/tributary/pi.key",
        "mqtt.answerTimeoutMillis": 5000, "mqtt.compression": "none",)",
                                 R"(, "sink": "mqtt")"));
    EXPECT_EQ(c.mqtt.broker, "ssl://broker.lan:8883");
    EXPECT_EQ(c.mqtt.client_id, "pi-7");
    EXPECT_EQ(c.mqtt.username, "u");
    EXPECT_EQ(c.mqtt.password, "p");
    EXPECT_EQ(c.mqtt.ca_file, "/etc/tributary/ca.pem");
    EXPECT_EQ(c.mqtt.cert_file, "/etc/tributary/pi.crt");
    EXPECT_EQ(c.mqtt.key_file, "/etc/tributary/pi.key");
    EXPECT_EQ(c.mqtt.answer_timeout, 5000ms);
    EXPECT_FALSE(c.mqtt.compress);
    EXPECT_EQ(c.flows[0].sink, Sink::mqtt);
}

TEST(AgentConfig, MqttMistakesNameTheKey) {
    EXPECT_EQ(parse_error(doc(R"("mqtt.broker": "http://broker:1883",)")).message.rfind(
                  "agent.json: mqtt.broker: must be tcp://HOST:PORT or ssl://HOST:PORT", 0),
              0u);
    EXPECT_EQ(parse_error(doc(R"("mqtt.broker": "tcp://b:1883", "mqtt.certFile": "/c.pem",)"))
                  .message,
              "agent.json: mqtt.certFile: mqtt.certFile and mqtt.keyFile go together (the "
              "device's client certificate and its key)");
    EXPECT_EQ(parse_error(doc("", R"(, "sink": "mqtt")")).message,
              "agent.json: flows[0].sink: \"mqtt\" needs mqtt.broker");
    EXPECT_NE(parse_error(doc(R"("mqtt.broker": "tcp://b:1883", "deviceId": "kitchen@pi",)",
                              R"(, "sink": "mqtt")"))
                  .message.find("flows[0].sink: \"mqtt\" needs a deviceId"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"mqtt.broker": "tcp://b:1883", "flows": [{"filePattern": "/a",
                             "deliveryStream": "d", "sink": "mqtt"}]})")
                  .message.find("not to Firehose"),
              std::string::npos);
    EXPECT_NE(parse_error(doc(R"("mqtt.clientId": "a/b",)")).message.find("mqtt.clientId"),
              std::string::npos);
}

TEST(AgentConfig, AwsDocsMultiFlowExampleIsAcceptedAsIs) {
    AgentConfig c = parse_ok(R"({
    "cloudwatch.emitMetrics": true,
    "kinesis.endpoint": "https://your/kinesis/endpoint", 
    "firehose.endpoint": "https://your/firehose/endpoint", 
    "flows": [
        {
            "filePattern": "/tmp/app1.log*", 
            "kinesisStream": "yourkinesisstream"
        }, 
        {
            "filePattern": "/tmp/app2.log*",
            "deliveryStream": "yourfirehosedeliverystream" 
        }
    ] 
})");
    ASSERT_EQ(c.flows.size(), 2u);
    EXPECT_EQ(c.flows[0].id, "kinesis:yourkinesisstream:/tmp/app1.log*");
    EXPECT_EQ(c.flows[1].id, "fh:yourfirehosedeliverystream:/tmp/app2.log*");
    EXPECT_EQ(c.kinesis_endpoint, "https://your/kinesis/endpoint");
}

// The same guide, "Convert Multi-Line Records", with the multi-flow globals around it.
TEST(AgentConfig, AwsDocsDataProcessingExampleIsAcceptedAsIs) {
    AgentConfig c = parse_ok(R"({ 
    "flows": [
        {
            "filePattern": "/tmp/app.log*", 
            "kinesisStream": "my-stream",
            "multiLineStartPattern": "\\[SEQUENCE=",
            "dataProcessingOptions": [
                {
                    "optionName": "SINGLELINE"
                },
                {
                    "optionName": "CSVTOJSON",
                    "customFieldNames": [ "field1", "field2", "field3" ],
                    "delimiter": "\\t"
                }
            ]
        },
        {
            "filePattern": "/tmp/app.log*", 
            "deliveryStream": "my-delivery-stream",
            "dataProcessingOptions": [
                {
                    "optionName": "LOGTOJSON",
                    "logFormat": "COMMONAPACHELOG"
                }
            ]
        }
    ] 
})");
    ASSERT_EQ(c.flows.size(), 2u);
    EXPECT_EQ(c.flows[0].multi_line_start_pattern, "\\[SEQUENCE=");
    ASSERT_EQ(c.flows[0].data_processing_options.size(), 2u);
    EXPECT_EQ(c.flows[0].data_processing_options[1]["delimiter"], "\\t");
    EXPECT_EQ(c.flows[1].data_processing_options[0]["logFormat"], "COMMONAPACHELOG");
}

// The Kinesis Agent package's /etc/aws-kinesis/agent.json: empty endpoints mean the default.
TEST(AgentConfig, StockKinesisAgentFileWithEmptyEndpointsUsesDefaults) {
    AgentConfig c = parse_ok(R"({
  "cloudwatch.emitMetrics": true,
  "kinesis.endpoint": "",
  "firehose.endpoint": "",
  "flows": [
    {"filePattern": "/tmp/app.log*", "kinesisStream": "yourkinesisstream",
     "partitionKeyOption": "RANDOM"},
    {"filePattern": "/tmp/app.log*", "deliveryStream": "yourdeliverystream"}
  ]
})");
    EXPECT_EQ(c.kinesis_endpoint, "https://kinesis.us-east-1.amazonaws.com");
    EXPECT_EQ(c.firehose_endpoint, "https://firehose.us-east-1.amazonaws.com");
    EXPECT_EQ(c.flows.size(), 2u);
}

// Comments, numbers as strings and keys that mean nothing here, as Kinesis Agent users write.
TEST(AgentConfig, KinesisAgentTuningKeysAreAcceptedWithOneNoticeEach) {
    AgentConfig c = parse_ok(R"({
  /* tuning carried over from an EC2 fleet */
  "log.file": "/var/log/aws-kinesis-agent/agent.log",
  "log.maxBackupIndex": 5,
  "log.maxFileSize": "10485760",
  "log.emitMetrics": true,
  "log.emitInternalMetrics": "yes",
  "log.statusReportingPeriodSeconds": 60,
  "maxConnections": 4,
  "connectionTTLMillis": -1,
  "useHttpGzip": false,
  "useTcpKeepAlive": true,
  "maxSendingThreads": 8,
  "maxSendingThreadsPerCore": 2,
  "sendingThreadsKeepAliveMillis": 60000,
  "sendingThreadsMaxQueueSize": "21",  // a string, as Java's converters allow
  "cloudwatch.endpoint": "https://monitoring.us-west-2.amazonaws.com",
  "cloudwatch.namespace": "Edge",
  "cloudwatch.tagInstance": true,
  "cloudwatch.metricsBufferTimeMillis": 30000,
  "cloudwatch.metricsQueueSize": 10000,
  "checkpoints.queryTimeoutSeconds": 30,
  "checkpoints.connectionTimeoutSeconds": 5,
  "sts.endpoint": "https://sts.us-west-2.amazonaws.com",
  "assumeRoleARN": "arn:aws:iam::123456789012:role/agent",
  "assumeRoleExternalId": "x",
  "userDefinedCredentialsProvider.classname": "com.acme.Creds",
  "userDefinedCredentialsProvider.location": "/opt/creds.jar",
  "flows": [{"filePattern": "/var/log/app.log", "kinesisStream": "s",
             "publishQueueCapacity": 10, "waitOnFullPublishQueueMillis": 60000,
             "waitOnEmptyPublishQueueMillis": "60000", "log.emitInternalMetrics": false}]
})");
    EXPECT_EQ(c.notices.size(), 30u);
    EXPECT_TRUE(has_notice(c, "agent.json: maxSendingThreads: ignored: each sink sends"));
    EXPECT_TRUE(has_notice(c, "agent.json: assumeRoleARN: ignored: Tributary does not assume"));
    EXPECT_TRUE(has_notice(c, "agent.json: flows[0].publishQueueCapacity: ignored: records wait"));
    EXPECT_TRUE(
        has_notice(c, "agent.json: cloudwatch.namespace: ignored: Tributary sends nothing"));
}

TEST(AgentConfig, IgnoredKeyWithWrongTypeIsAnError) {
    Error e = parse_error(doc(R"("maxSendingThreads": "many",)"));
    EXPECT_EQ(e.code, errc::wrong_type);
    EXPECT_EQ(e.message, R"(agent.json: maxSendingThreads: must be an integer, got "many")");
}

TEST(AgentConfig, IgnoredKeyOutOfRangeIsAnError) {
    Error e = parse_error(doc(R"("maxSendingThreads": 0,)"));
    EXPECT_EQ(e.code, errc::out_of_range);
    EXPECT_EQ(e.message, "agent.json: maxSendingThreads: must be at least 1, got 0");
}

TEST(AgentConfig, UnknownTopLevelKeyIsNamedWithASuggestion) {
    Error e = parse_error(doc(R"("kinesis.endpiont": "http://x",)"));
    EXPECT_EQ(e.code, errc::unknown_key);
    EXPECT_EQ(e.message,
              R"(agent.json: kinesis.endpiont: unknown key (did you mean "kinesis.endpoint"?))");
}

TEST(AgentConfig, UnknownKeyWithOddCharactersIsQuotedInThePath) {
    Error e = parse_error(doc(R"("no such key": 1,)"));
    EXPECT_EQ(e.message, R"(agent.json: ["no such key"]: unknown key)");
}

TEST(AgentConfig, MalformedJsonGivesFileLineAndColumn) {
    Error e = parse_error("{\n  \"flows\": [\n    {\"filePattern\": \"/a\",}\n  ]\n}");
    EXPECT_EQ(e.code, errc::invalid_json);
    EXPECT_EQ(e.message.rfind("agent.json:3:26: syntax error", 0), 0u) << e.message;
}

TEST(AgentConfig, EmptyInputIsMalformedJson) {
    Error e = parse_error("");
    EXPECT_EQ(e.code, errc::invalid_json);
    EXPECT_EQ(e.message.rfind("agent.json:1:1: ", 0), 0u) << e.message;
}

TEST(AgentConfig, DuplicateKeyIsAnErrorNamingItsPath) {
    Error e = parse_error(R"({"flows": [{"filePattern": "/a", "kinesisStream": "s",
                                         "kinesisStream": "t"}]})");
    EXPECT_EQ(e.code, errc::invalid_json);
    EXPECT_EQ(e.message, "agent.json: flows[0].kinesisStream: duplicate key");
}

TEST(AgentConfig, TopLevelArrayIsRefused) {
    Error e = parse_error("[1, 2]");
    EXPECT_EQ(e.code, errc::invalid_json);
    EXPECT_EQ(e.message, "agent.json: the top level must be an object, got an array");
}

TEST(AgentConfig, NestingDeeperThanLimitIsRefused) {
    std::string deep = doc("", R"(, "dataProcessingOptions": [{"optionName": "X", "a": )" +
                                   std::string(100, '[') + std::string(100, ']') + "}]");
    Error e = parse_error(deep);
    EXPECT_EQ(e.message, "agent.json: JSON nested deeper than 64 levels");
}

TEST(AgentConfig, NullIsAWrongTypeNotADefault) {
    Error e = parse_error(doc(R"("shutdownTimeoutMillis": null,)"));
    EXPECT_EQ(e.code, errc::wrong_type);
    EXPECT_EQ(e.message, "agent.json: shutdownTimeoutMillis: must be an integer, got null");
}

TEST(AgentConfig, BooleanWordsOfTheKinesisAgentAreAccepted) {
    EXPECT_FALSE(parse_ok(doc(R"("cloudwatch.emitMetrics": "No",)")).emit_metrics);
    EXPECT_FALSE(parse_ok(doc(R"("cloudwatch.emitMetrics": 0,)")).emit_metrics);
    EXPECT_TRUE(parse_ok(doc(R"("tls.verify": "Y",)")).tls.verify);
    Error e = parse_error(doc(R"("tls.verify": "maybe",)"));
    EXPECT_EQ(e.message, R"(agent.json: tls.verify: must be true or false, got "maybe")");
}

TEST(AgentConfig, EnvironmentCredentialsApplyWhenTheFileHasNone) {
    Environment env = test_env();
    env.variables = {{"AWS_ACCESS_KEY_ID", "ENVID"},
                     {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                     {"AWS_SESSION_TOKEN", "ENVTOKEN"}};
    AgentConfig c = parse_ok(doc(""), env);
    EXPECT_EQ(c.credentials.access_key_id, "ENVID");
    EXPECT_EQ(c.credentials.secret_access_key, "ENVSECRET");
    EXPECT_EQ(c.credentials.session_token, "ENVTOKEN");
    EXPECT_EQ(c.credentials.source, CredentialSource::environment);
}

TEST(AgentConfig, FileCredentialsWinAndNeverTakeTheEnvironmentToken) {
    Environment env = test_env();
    env.variables = {{"AWS_ACCESS_KEY_ID", "ENVID"},
                     {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                     {"AWS_SESSION_TOKEN", "ENVTOKEN"}};
    AgentConfig c =
        parse_ok(doc(R"("awsAccessKeyId": "FILEID", "awsSecretAccessKey": "FS",)"), env);
    EXPECT_EQ(c.credentials.access_key_id, "FILEID");
    EXPECT_EQ(c.credentials.session_token, "");
    EXPECT_EQ(c.credentials.source, CredentialSource::config_file);
}

TEST(AgentConfig, AccessKeyIdWithoutSecretIsAnError) {
    Error e = parse_error(doc(R"("awsAccessKeyId": "AKID",)"));
    EXPECT_EQ(e.code, errc::conflicting_keys);
    EXPECT_EQ(e.message, "agent.json: awsSecretAccessKey: required together with awsAccessKeyId");
}

TEST(AgentConfig, SecretValuesNeverAppearInErrors) {
    Error e = parse_error(doc(R"("awsAccessKeyId": "AKID", "awsSecretAccessKey": 12345678,)"));
    EXPECT_EQ(e.message, "agent.json: awsSecretAccessKey: must be a string, got a number");
}

TEST(AgentConfig, RegionComesFromTheKinesisEndpointHostBeforeTheEnvironment) {
    Environment env = test_env();
    env.variables = {{"AWS_REGION", "eu-west-3"}};
    AgentConfig c = parse_ok(doc(R"("kinesis.endpoint": "kinesis.us-west-2.amazonaws.com",)"), env);
    EXPECT_EQ(c.kinesis_endpoint, "https://kinesis.us-west-2.amazonaws.com");
    EXPECT_EQ(c.kinesis_region, "us-west-2");
    EXPECT_EQ(c.firehose_region, "eu-west-3");
    EXPECT_EQ(c.firehose_endpoint, "https://firehose.eu-west-3.amazonaws.com");
}

TEST(AgentConfig, RegionFallsBackToAwsRegionThenAwsDefaultRegion) {
    Environment env = test_env();
    env.variables = {{"AWS_DEFAULT_REGION", "sa-east-1"}};
    EXPECT_EQ(parse_ok(doc(""), env).kinesis_region, "sa-east-1");
    env.variables["AWS_REGION"] = "ca-central-1";
    AgentConfig c = parse_ok(doc(R"("kinesis.endpoint": "http://127.0.0.1:4567",)"), env);
    EXPECT_EQ(c.kinesis_region, "ca-central-1");
    EXPECT_EQ(c.kinesis_endpoint, "http://127.0.0.1:4567");
}

TEST(AgentConfig, EndpointWithAnotherSchemeIsRefused) {
    Error e = parse_error(doc(R"("kinesis.endpoint": "ftp://x",)"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message,
              R"(agent.json: kinesis.endpoint: must be an http:// or https:// URL, got "ftp://x")");
}

TEST(AgentConfig, CheckpointFileAloneMovesTheSpoolBesideIt) {
    AgentConfig c = parse_ok(doc(R"("checkpointFile": "/var/lib/aws-kinesis-agent/checkpoints",)"));
    EXPECT_EQ(c.spool_directory, "/var/lib/aws-kinesis-agent/tributary-spool");
    EXPECT_EQ(c.checkpoint_file, "/var/lib/aws-kinesis-agent/checkpoints");
    ASSERT_EQ(c.notices.size(), 1u);
    EXPECT_EQ(c.notices[0],
              "agent.json: checkpointFile: checkpoints live in the spool at "
              "/var/lib/aws-kinesis-agent/tributary-spool");
}

TEST(AgentConfig, CheckpointFileOnTmpfsKeepsTheDefaultSpool) {
    AgentConfig c = parse_ok(doc(R"("checkpointFile": "/var/run/aws-kinesis-agent/checkpoints",)"));
    EXPECT_EQ(c.spool_directory, "/var/lib/tributary-agent");
    EXPECT_TRUE(has_notice(c, "not in /var/run/aws-kinesis-agent, which is usually emptied"));
}

TEST(AgentConfig, CheckpointFileWithSpoolDirectoryIsIgnored) {
    AgentConfig c = parse_ok(doc(R"("checkpointFile": "/x/cp", "spoolDirectory": "/data/s",)"));
    EXPECT_EQ(c.spool_directory, "/data/s");
    EXPECT_TRUE(has_notice(c, "checkpointFile: ignored: checkpoints live in the spool at /data/s"));
}

TEST(AgentConfig, RelativeSpoolDirectoryIsRefused) {
    Error e = parse_error(doc(R"("spoolDirectory": "spool",)"));
    EXPECT_EQ(e.code, errc::invalid_value);
    EXPECT_EQ(e.message, R"(agent.json: spoolDirectory: must be an absolute path, got "spool")");
}

struct Boundary {
    const char* key;
    const char* value;
    bool ok;
};

class GlobalBoundary : public ::testing::TestWithParam<Boundary> {};

TEST_P(GlobalBoundary, AcceptsInsideAndRefusesOutside) {
    const Boundary& b = GetParam();
    auto c = parse(doc("\"" + std::string(b.key) + "\": " + b.value + ","));
    EXPECT_EQ(c.has_value(), b.ok)
        << b.key << " = " << b.value << ": " << (c ? "accepted" : c.error().message);
    if (!b.ok && !c) {
        EXPECT_EQ(c.error().code, errc::out_of_range) << c.error().message;
    }
}

INSTANTIATE_TEST_SUITE_P(
    AgentConfig, GlobalBoundary,
    ::testing::Values(
        Boundary{"checkpointTimeToLiveDays", "0", false},
        Boundary{"checkpointTimeToLiveDays", "1", true},
        Boundary{"checkpointTimeToLiveDays", "3650", true},
        Boundary{"checkpointTimeToLiveDays", "3651", false},
        Boundary{"connectionTimeoutMillis", "0", false},
        Boundary{"connectionTimeoutMillis", "1", true},
        Boundary{"connectionTimeoutMillis", "3600000", true},
        Boundary{"connectionTimeoutMillis", "3600001", false},
        Boundary{"socketTimeoutMillis", "0", false},
        Boundary{"socketTimeoutMillis", "3600000", true},
        Boundary{"shutdownTimeoutMillis", "-1", false},
        Boundary{"shutdownTimeoutMillis", "0", true},
        Boundary{"shutdownTimeoutMillis", "3600001", false},
        Boundary{"spoolMaxBytes", "1048575", false}, Boundary{"spoolMaxBytes", "1048576", true},
        Boundary{"spoolMaxBytes", sizeof(void*) == 4 ? "2147483648" : "1099511627776", true},
        Boundary{"spoolMaxBytes", sizeof(void*) == 4 ? "2147483649" : "1099511627777", false},
        Boundary{"maxSendingThreads", "18446744073709551615", false}));

TEST(AgentConfig, RangeErrorNamesKeyLimitsAndValue) {
    Error e = parse_error(doc(R"("checkpointTimeToLiveDays": 0,)"));
    EXPECT_EQ(e.message, "agent.json: checkpointTimeToLiveDays: must be between 1 and 3650, got 0");
}

TEST(AgentConfig, EmptyStatusListenDisablesTheEndpoint) {
    EXPECT_FALSE(parse_ok(doc(R"("statusListen": "",)")).status_listen);
}

TEST(AgentConfig, StatusListenTakesBracketedIpv6AndPortZero) {
    AgentConfig c = parse_ok(doc(R"("statusListen": "[::1]:0",)"));
    ASSERT_TRUE(c.status_listen);
    EXPECT_EQ(c.status_listen->host, "::1");
    EXPECT_EQ(c.status_listen->port, 0);
}

TEST(AgentConfig, MalformedStatusListenIsRefused) {
    for (const char* bad : {"localhost", "::1:80", "host:65536", ":80", "host:8x"}) {
        Error e = parse_error(doc(std::string(R"("statusListen": ")") + bad + "\","));
        EXPECT_EQ(e.code, errc::invalid_value) << bad;
        EXPECT_EQ(e.message.rfind("agent.json: statusListen: ", 0), 0u) << e.message;
    }
}

TEST(AgentConfig, DeviceIdWithTopicCharactersIsRefused) {
    Error e = parse_error(doc(R"("deviceId": "pi/1",)"));
    EXPECT_EQ(e.code, errc::invalid_value);
}

TEST(AgentConfig, EmptyHostnameWithoutDeviceIdIsAnError) {
    Environment env = test_env();
    env.hostname = "";
    Error e = parse_error(doc(""), env);
    EXPECT_EQ(e.code, errc::missing_key);
    EXPECT_EQ(e.message, R"(agent.json: deviceId: required: the hostname "" cannot serve as one)");
}

TEST(AgentConfig, KinesisAgentLogLevelAppliesWhenLogLevelIsAbsent) {
    EXPECT_EQ(parse_ok(doc(R"("log.level": "TRACE",)")).log_level, log::Level::debug);
    AgentConfig c = parse_ok(doc(R"("log.level": "ERROR", "logLevel": "warn",)"));
    EXPECT_EQ(c.log_level, log::Level::warn);
    EXPECT_TRUE(has_notice(c, "agent.json: log.level: ignored: logLevel is set"));
}

TEST(AgentConfig, UnknownLogLevelIsRefused) {
    Error e = parse_error(doc(R"("logLevel": "loud",)"));
    EXPECT_EQ(e.message, R"(agent.json: logLevel: must be debug, info, warn or error, got "loud")");
}

TEST(AgentConfig, ExampleFileFromTheSourceTreeLoads) {
    auto c = load_agent_config(TRIB_EXAMPLE_AGENT_JSON, test_env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->kinesis_endpoint, "http://127.0.0.1:4567");
    ASSERT_EQ(c->flows.size(), 3u);
    EXPECT_EQ(c->flows[0].data_processing_options[0]["logFormat"], "COMBINEDAPACHELOG");
    EXPECT_EQ(c->flows[1].data_processing_options[0]["logFormat"], "SYSLOG");
    EXPECT_EQ(c->flows[2].source, Source::metrics);
    EXPECT_TRUE(c->notices.empty());
}

TEST(AgentConfig, ThePackagedFileLoads) {
    auto c = load_agent_config(TRIB_PACKAGED_AGENT_JSON, test_env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->spool_directory, "/var/lib/tributary-agent");  // the unit's StateDirectory=
    ASSERT_EQ(c->flows.size(), 1u);
    EXPECT_EQ(c->flows[0].source, Source::metrics);
    EXPECT_TRUE(c->notices.empty());
}

TEST(AgentConfig, LoadNamesTheMissingFile) {
    TempDir dir;
    auto c = load_agent_config(dir.path() + "/none.json", test_env());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::io_error);
    EXPECT_EQ(c.error().message, dir.path() + "/none.json: cannot open: No such file or directory");
}

TEST(AgentConfig, LoadRefusesADirectory) {
    TempDir dir;
    auto c = load_agent_config(dir.path(), test_env());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, dir.path() + ": not a regular file");
}

TEST(AgentConfig, LoadRefusesAFileOverOneMebibyte) {
    TempDir dir;
    std::string big = dir.file("big.json", std::string((1 << 20) + 1, ' '));
    auto c = load_agent_config(big, test_env());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::io_error);
}

TEST(AgentConfig, LoadErrorsNameThePath) {
    TempDir dir;
    std::string p = dir.file("agent.json", doc(R"("spoolSync": "always",)"));
    auto c = load_agent_config(p, test_env());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, p + R"(: spoolSync: must be batch or off, got "always")");
}

// Random bytes and mutations of valid documents: every result is a value or an error.
TEST(AgentConfig, ArbitraryBytesNeverCrash) {
    std::mt19937 rng(20261101);
    const std::string seed = doc(R"("spoolMaxBytes": 2097152, "statusListen": "[::1]:1",)",
                                 R"(, "dataProcessingOptions": [{"optionName": "X"}],
                                    "multiLineStartPattern": "^\\d+")");
    ASSERT_TRUE(parse(seed)) << "the seed itself must be valid";
    const std::string alphabet = "{}[]\":,0123456789-+.eE \\/nultrfasxyz\x01\xff\xc3";
    int accepted = 0;
    for (int i = 0; i < 400; ++i) {
        std::string text = seed;
        if (i % 4 == 0) {
            text.assign(rng() % 200, '\0');
            for (char& ch : text) ch = static_cast<char>(rng());
        } else {
            int edits = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < edits && !text.empty(); ++k) {
                size_t at = rng() % text.size();
                switch (rng() % 3) {
                    case 0:
                        text[at] = alphabet[rng() % alphabet.size()];
                        break;
                    case 1:
                        text.erase(at, 1 + rng() % 8);
                        break;
                    default:
                        text.insert(at, 1, alphabet[rng() % alphabet.size()]);
                        break;
                }
            }
        }
        auto c = parse(text);
        if (c) {
            ++accepted;
        } else {
            EXPECT_EQ(c.error().message.rfind("agent.json", 0), 0u) << c.error().message;
        }
    }
    EXPECT_LT(accepted, 400);  // the mutations did reach the error paths
}

}  // namespace
}  // namespace tributary::agent::config
