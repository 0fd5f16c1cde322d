// The MQTT sink's pure decisions: options, correlation data, answer and refusal
// classification, reconnect delays. No broker.

#include "agent/sinks/mqtt/protocol.h"

#include <gtest/gtest.h>

namespace tributary::agent::sinks::mqtt {
namespace {

using namespace std::chrono_literals;

Options valid() {
    Options o;
    o.broker_uri = "tcp://127.0.0.1:1883";
    o.device_id = "sensor-1";
    return o;
}

TEST(MqttSinkOptions, DefaultsWithUriAndDeviceAreValid) { EXPECT_TRUE(validate(valid())); }

TEST(MqttSinkOptions, UriMustBeTcpOrSsl) {
    Options o = valid();
    o.broker_uri = "http://127.0.0.1:1883";
    auto r = validate(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_option);
    EXPECT_NE(r.error().message.find("tcp:// or ssl://"), std::string::npos);
}

TEST(MqttSinkOptions, DeviceIdMustBeOneTopicLevel) {
    Options o = valid();
    o.device_id = "a/b";
    EXPECT_FALSE(validate(o));
    o.device_id = "";
    EXPECT_FALSE(validate(o));
    o.device_id = "dev+";
    EXPECT_FALSE(validate(o));
}

TEST(MqttSinkOptions, CertificateWithoutKeyIsRejected) {
    Options o = valid();
    o.broker_uri = "ssl://broker:8883";
    o.cert_file = "/etc/hostname";
    auto r = validate(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("go together"), std::string::npos);
}

TEST(MqttSinkOptions, TlsFilesNeedAnSslUri) {
    Options o = valid();
    o.ca_file = "/etc/hostname";
    EXPECT_FALSE(validate(o));
}

TEST(MqttSinkOptions, UnreadableCaFileIsBadTlsFile) {
    Options o = valid();
    o.broker_uri = "ssl://broker:8883";
    o.ca_file = "/nonexistent/ca.pem";
    auto r = validate(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_tls_file);
}

TEST(MqttSinkOptions, NonPositiveTimeoutsAndInvertedBackoffAreRejected) {
    Options o = valid();
    o.answer_timeout = 0ms;
    EXPECT_FALSE(validate(o));
    o = valid();
    o.reconnect_min = 2s;
    o.reconnect_max = 1s;
    EXPECT_FALSE(validate(o));
    o = valid();
    o.max_inflight = 0;
    EXPECT_FALSE(validate(o));
}

TEST(MqttSinkCreate, ClientIdDefaultsToDeviceIdAndBrokerDownIsNoError) {
    Options o = valid();
    o.broker_uri = "tcp://127.0.0.1:1";  // nothing listens: create() must still succeed
    auto s = Sink::create(o);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_FALSE((*s)->stats().connected);
}

TEST(MqttSinkCreate, EmptyBatchIsOkWithoutConnecting) {
    Options o = valid();
    o.broker_uri = "tcp://127.0.0.1:1";
    auto s = Sink::create(o);
    ASSERT_TRUE(s);
    SendResult r = (*s)->put("app", {}, {"00112233445566778899aabbccddeeff", "app", 1});
    EXPECT_EQ(r.status, Status::ok);
}

TEST(MqttSinkCreate, MalformedProducerIdIsFatalWithoutSending) {
    Options o = valid();
    o.broker_uri = "tcp://127.0.0.1:1";
    auto s = Sink::create(o);
    ASSERT_TRUE(s);
    OutRecord rec{"k", "v", "", 0};
    SendResult r = (*s)->put("app", std::span(&rec, 1), {"XYZ", "app", 1});
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_EQ((*s)->stats().published, 0u);
}

TEST(MqttSinkCreate, InvalidStreamNameIsFatal) {
    Options o = valid();
    o.broker_uri = "tcp://127.0.0.1:1";
    auto s = Sink::create(o);
    ASSERT_TRUE(s);
    OutRecord rec{"k", "v", "", 0};
    SendResult r =
        (*s)->put("a/b", std::span(&rec, 1), {"00112233445566778899aabbccddeeff", "app", 1});
    EXPECT_EQ(r.status, Status::fatal);
}

TEST(MqttSinkProducerId, HexBecomesSixteenBytes) {
    auto id = parse_producer_id("00112233445566778899aabbccddeeff");
    ASSERT_TRUE(id);
    EXPECT_EQ((*id)[0], 0x00);
    EXPECT_EQ((*id)[1], 0x11);
    EXPECT_EQ((*id)[15], 0xff);
    EXPECT_FALSE(parse_producer_id("00112233445566778899AABBCCDDEEFF"));
    EXPECT_FALSE(parse_producer_id("0011"));
}

TEST(MqttSinkCorrelation, IsSequenceBigEndianThenSha256PrefixOfFlow) {
    std::string c = correlation_data("app", 42);
    ASSERT_EQ(c.size(), 16u);
    EXPECT_EQ(c.substr(0, 8), std::string("\0\0\0\0\0\0\0\x2a", 8));
    // SHA-256("app") = a172cedc ae47474b ...
    EXPECT_EQ(c.substr(8), "\xa1\x72\xce\xdc\xae\x47\x47\x4b");
    EXPECT_NE(correlation_data("app", 43), c);
    EXPECT_NE(correlation_data("other", 42), c);
}

TEST(MqttSinkClassify, PerRecordAnswerIsOkWithShardIdsAndRetriedFailures) {
    wire::BatchAnswer a;
    a.records.push_back({true, 7, "123", "", ""});
    a.records.push_back({false, 0, "", "InternalFailure", "boom"});
    SendResult r = classify(a);
    EXPECT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.records[0].shard_id, "shardId-000000000007");
    EXPECT_EQ(r.records[0].sequence_number, "123");
    EXPECT_EQ(r.records[1].status, Status::retry);
    EXPECT_FALSE(r.throttled);
    EXPECT_EQ(r.error, "1 of 2 records failed, first InternalFailure: boom");
}

TEST(MqttSinkClassify, ThrottledRecordMarksTheResultThrottled) {
    wire::BatchAnswer a;
    a.records.push_back({false, 0, "", "ProvisionedThroughputExceededException", "Rate"});
    EXPECT_TRUE(classify(a).throttled);
}

TEST(MqttSinkClassify, BatchErrorFollowsItsRetryableFlagEvenForUnknownTypes) {
    wire::BatchAnswer a;
    a.error = wire::BatchError{"SomethingNewException", "m", true};
    EXPECT_EQ(classify(a).status, Status::retry);
    a.error->retryable = false;
    EXPECT_EQ(classify(a).status, Status::fatal);
    a.error = wire::BatchError{"ServiceUnavailableException", "busy", true};
    EXPECT_TRUE(classify(a).throttled);
}

TEST(MqttSinkClassify, AnswerWithAnotherRecordCountDoesNotMatch) {
    wire::BatchAnswer a;
    a.records.push_back({true, 0, "1", "", ""});
    EXPECT_TRUE(answer_matches(a, 1));
    EXPECT_FALSE(answer_matches(a, 2));
    a.records.clear();
    a.error = wire::BatchError{"X", "", true};
    EXPECT_TRUE(answer_matches(a, 2));
}

TEST(MqttSinkConnectFailure, RefusedCredentialsAreFatalUnavailableIsRetry) {
    EXPECT_EQ(classify_connect_failure(0x87, "", "", false).status, Status::fatal);
    EXPECT_EQ(classify_connect_failure(0x86, "", "", false).status, Status::fatal);
    EXPECT_EQ(classify_connect_failure(0x88, "", "", false).status, Status::retry);
    auto busy = classify_connect_failure(0x89, "", "", false);
    EXPECT_EQ(busy.status, Status::retry);
    EXPECT_TRUE(busy.throttled);
    EXPECT_EQ(classify_connect_failure(0, "", "TCP/TLS connect failure", false).status,
              Status::retry);
}

TEST(MqttSinkConnectFailure, TlsVerificationAndRefusedClientCertificateAreFatal) {
    auto f = classify_connect_failure(0, "error:0A000086:SSL routines::certificate verify failed",
                                      "", true);
    EXPECT_EQ(f.status, Status::fatal);
    EXPECT_NE(f.error.find("TLS certificate verification failed"), std::string::npos);
    EXPECT_EQ(classify_connect_failure(0, "ssl/tls alert certificate required", "", false).status,
              Status::fatal);
    EXPECT_EQ(classify_connect_failure(0, "unexpected eof while reading", "", false).status,
              Status::retry);
}

TEST(MqttSinkConnectFailure, BareFailureOverTlsIsRetryWithACertificateHint) {
    auto f = classify_connect_failure(0, "", "TCP/TLS connect failure", true);
    EXPECT_EQ(f.status, Status::retry);
    EXPECT_NE(f.error.find("client certificate"), std::string::npos) << f.error;
}

TEST(MqttSinkPublishFailure, NotAuthorizedIsFatalQuotaIsThrottledRetry) {
    EXPECT_EQ(classify_publish_failure(0x87, "").status, Status::fatal);
    EXPECT_EQ(classify_publish_failure(0x95, "").status, Status::fatal);
    auto q = classify_publish_failure(0x97, "");
    EXPECT_EQ(q.status, Status::retry);
    EXPECT_TRUE(q.throttled);
    EXPECT_EQ(classify_publish_failure(-3, "disconnected").status, Status::retry);
}

TEST(MqttSinkReconnect, DelayIsFullJitterBelowTheDoublingCap) {
    std::mt19937_64 rng(1);
    for (unsigned attempt = 0; attempt < 12; ++attempt) {
        auto cap = std::min<int64_t>(1000LL << attempt, 60'000);
        for (int i = 0; i < 200; ++i) {
            auto d = reconnect_delay(1s, 60s, attempt, rng);
            ASSERT_GE(d.count(), 0);
            ASSERT_LE(d.count(), cap);
        }
    }
    EXPECT_LE(reconnect_delay(1s, 60s, 1000, rng), 60s);  // no overflow for long outages
}

}  // namespace
}  // namespace tributary::agent::sinks::mqtt
