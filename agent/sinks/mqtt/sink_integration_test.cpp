// The MQTT sink against a real Mosquitto on loopback, with a Paho client in the test playing
// the collector (collector_double.h: the real collector ingest is being written in parallel).
// Every wait is bounded; brokers and temporary directories are always cleaned up.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "agent/sinks/mqtt/collector_double.h"
#include "agent/sinks/mqtt/protocol.h"
#include "agent/sinks/mqtt/sink.h"
#include "tests/support/mosquitto_server.h"

namespace tributary::agent::sinks::mqtt {
namespace {

using namespace std::chrono_literals;
using testing::CollectorDouble;
using testing::SeenRequest;
using tests::support::MosquittoConfig;
using tests::support::MosquittoServer;
using tests::support::Pki;
using tests::support::TempDir;

const std::string producer = "00112233445566778899aabbccddeeff";
const std::string device = "sensor-1";

Options options_for(const std::string& uri) {
    Options o;
    o.broker_uri = uri;
    o.device_id = device;
    o.connect_timeout = 3s;
    o.answer_timeout = 5s;  // generous for ASan; the timeout test shortens it
    o.reconnect_min = 20ms;
    o.reconnect_max = 200ms;
    return o;
}

std::unique_ptr<Sink> make_sink(const Options& o) {
    auto s = Sink::create(o);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
}

std::vector<OutRecord> two_records() {
    return {{"host-1", "hello", "", 1715238000123}, {"host-1", "world", "", 0}};
}

BatchTag tag(uint64_t sequence, std::string flow = "app") {
    return {producer, std::move(flow), sequence};
}

// Puts until ok or the deadline; the sink may need a few reconnect attempts first.
SendResult put_until_ok(Sink& sink, std::chrono::milliseconds within, uint64_t sequence) {
    auto records = two_records();
    auto deadline = std::chrono::steady_clock::now() + within;
    SendResult r;
    do {
        r = sink.put("app", records, tag(sequence));
        if (r.status == Status::ok) return r;
        std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
}

// Waits (bounded) until the sink is connected and subscribed.
bool wait_connected(const Sink& sink, std::chrono::milliseconds within = 10s) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (!sink.stats().connected) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

class MqttSinkTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(broker_.start()) << broker_.log(); }
    // Starts the collector double with the given behaviour.
    void collector(testing::Responder responder) {
        double_ = std::make_unique<CollectorDouble>(broker_.uri(), std::move(responder));
        ASSERT_TRUE(double_->connect()) << broker_.log();
    }

    MosquittoServer broker_;
    std::unique_ptr<CollectorDouble> double_;
};

TEST_F(MqttSinkTest, OkRoundTripReturnsPerRecordResultsAndCarriesTheBatchIdentity) {
    collector(testing::all_ok);
    auto sink = make_sink(options_for(broker_.uri()));
    auto records = two_records();

    SendResult r = sink->put("app", records, tag(42));
    ASSERT_EQ(r.status, Status::ok) << r.error;
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].sequence_number, "4965420");
    EXPECT_EQ(r.records[1].sequence_number, "4965421");
    EXPECT_EQ(r.records[0].shard_id, "shardId-000000000000");
    EXPECT_FALSE(r.throttled);
    ASSERT_EQ(sink->put("app", records, tag(43)).status, Status::ok);

    auto seen = double_->requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].topic, "tributary/v1/sensor-1/put/app");
    EXPECT_EQ(seen[0].response_topic, "tributary/v1/sensor-1/ack");
    EXPECT_EQ(seen[0].correlation, correlation_data("app", 42));
    EXPECT_EQ(seen[0].message_expiry, 5u);
    EXPECT_EQ(seen[0].header.flow, "app");
    EXPECT_EQ(seen[0].header.sequence, 42u);
    EXPECT_EQ(seen[0].header.producer_id[0], 0x00);
    EXPECT_EQ(seen[0].header.producer_id[15], 0xff);
    EXPECT_EQ(seen[0].data, (std::vector<std::string>{"hello", "world"}));
    EXPECT_EQ(seen[1].header.sequence, 43u);
    EXPECT_EQ(sink->stats().answered, 2u);
}

TEST_F(MqttSinkTest, PerRecordFailuresAreOkWithThoseRecordsRetriedAndThrottled) {
    collector([](const SeenRequest& req) {
        wire::BatchAnswer a = testing::all_ok(req);
        a.records[1] = {false, 0, "", "ProvisionedThroughputExceededException", "Rate exceeded"};
        return a;
    });
    auto sink = make_sink(options_for(broker_.uri()));
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    ASSERT_EQ(r.status, Status::ok) << r.error;
    EXPECT_EQ(r.records[0].status, Status::ok);
    EXPECT_EQ(r.records[1].status, Status::retry);
    EXPECT_EQ(r.records[1].error_code, "ProvisionedThroughputExceededException");
    EXPECT_TRUE(r.throttled);
}

TEST_F(MqttSinkTest, RetryableBatchErrorIsRetry) {
    collector([](const SeenRequest&) {
        return wire::BatchAnswer{
            {}, wire::BatchError{"ResourceNotFoundException", "Stream app not found.", true}};
    });
    auto sink = make_sink(options_for(broker_.uri()));
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_FALSE(r.throttled);
    EXPECT_NE(r.error.find("ResourceNotFoundException"), std::string::npos) << r.error;
}

TEST_F(MqttSinkTest, ThrottlingBatchErrorIsRetryAndThrottled) {
    collector([](const SeenRequest&) {
        return wire::BatchAnswer{{}, wire::BatchError{"ThrottlingException", "slow down", true}};
    });
    auto sink = make_sink(options_for(broker_.uri()));
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_TRUE(r.throttled);
}

TEST_F(MqttSinkTest, NonRetryableBatchErrorIsFatal) {
    collector([](const SeenRequest&) {
        return wire::BatchAnswer{
            {}, wire::BatchError{"InvalidArgumentException", "sequence 1 below 7", false}};
    });
    auto sink = make_sink(options_for(broker_.uri()));
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_EQ(r.error, "InvalidArgumentException: sequence 1 below 7");
}

TEST_F(MqttSinkTest, NoAnswerIsRetryAfterTheAnswerTimeout) {
    collector([](const SeenRequest&) { return std::nullopt; });
    Options o = options_for(broker_.uri());
    o.answer_timeout = 300ms;
    auto sink = make_sink(o);
    auto records = two_records();
    ASSERT_TRUE(wait_connected(*sink));
    auto start = std::chrono::steady_clock::now();
    SendResult r = sink->put("app", records, tag(2));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_NE(r.error.find("no answer"), std::string::npos) << r.error;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(sink->stats().timeouts, 1u);
}

TEST_F(MqttSinkTest, AnswersForNoOutstandingRequestAreIgnoredAndCounted) {
    collector(testing::all_ok);
    auto sink = make_sink(options_for(broker_.uri()));
    ASSERT_EQ(put_until_ok(*sink, 5s, 1).status, Status::ok);

    SeenRequest fake;
    fake.data = {"x"};
    std::string stray;
    ASSERT_TRUE(wire::encode_answer(testing::all_ok(fake), stray));
    double_->send_raw("tributary/v1/sensor-1/ack", correlation_data("other", 9), stray);
    double_->send_raw("tributary/v1/sensor-1/ack", correlation_data("app", 2), "garbage");

    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline &&
           (sink->stats().unmatched_answers < 1 || sink->stats().undecodable_answers < 1))
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(sink->stats().unmatched_answers, 1u);
    EXPECT_EQ(sink->stats().undecodable_answers, 1u);
    auto records = two_records();
    EXPECT_EQ(sink->put("app", records, tag(2)).status, Status::ok);
}

TEST_F(MqttSinkTest, ConcurrentPutsEachGetTheirOwnAnswer) {
    collector([](const SeenRequest& req) {
        std::this_thread::sleep_for(5ms);  // let requests of other threads pile up
        return testing::all_ok(req);
    });
    auto sink = make_sink(options_for(broker_.uri()));
    ASSERT_EQ(put_until_ok(*sink, 5s, 1).status, Status::ok);
    std::atomic<int> mismatches{0}, failures{0};
    std::vector<std::thread> lanes;
    for (int t = 0; t < 4; ++t) {
        lanes.emplace_back([&, t] {
            auto records = two_records();
            for (uint64_t i = 0; i < 10; ++i) {
                uint64_t seq = 1000 * (t + 1) + i;
                SendResult r = sink->put("app", records, tag(seq, "flow-" + std::to_string(t)));
                if (r.status != Status::ok) {
                    ++failures;
                    continue;
                }
                if (r.records.size() != 2 ||
                    r.records[1].sequence_number != "4965" + std::to_string(seq) + "1")
                    ++mismatches;
            }
        });
    }
    for (auto& l : lanes) l.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(double_->requests().size(), 41u);
}

TEST_F(MqttSinkTest, BatchOverTheLimitsIsFatalWithoutSending) {
    collector(testing::all_ok);
    auto sink = make_sink(options_for(broker_.uri()));
    std::vector<OutRecord> records(501, OutRecord{"k", "v", "", 0});
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_NE(r.error.find("invalid batch"), std::string::npos) << r.error;
    EXPECT_EQ(sink->stats().published, 0u);
}

TEST_F(MqttSinkTest, CompressibleBatchIsSentZstdCompressed) {
    collector(testing::all_ok);
    auto sink = make_sink(options_for(broker_.uri()));
    std::string line(2000, 'a');
    std::vector<OutRecord> records(20, OutRecord{"host-1", line, "", 0});
    ASSERT_TRUE(wait_connected(*sink));
    SendResult r = sink->put("app", records, tag(5));
    ASSERT_EQ(r.status, Status::ok) << r.error;
    auto seen = double_->requests();
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(seen.back().compressed);
    EXPECT_LT(seen.back().payload_bytes, 2000u);
    EXPECT_EQ(seen.back().data[19], line);
}

TEST_F(MqttSinkTest, IncompressibleBatchIsSentRaw) {
    collector(testing::all_ok);
    auto sink = make_sink(options_for(broker_.uri()));
    ASSERT_EQ(put_until_ok(*sink, 5s, 1).status, Status::ok);
    auto seen = double_->requests();
    ASSERT_FALSE(seen.empty());
    EXPECT_FALSE(seen.back().compressed);
}

TEST(MqttSink, BrokerDownAtStartIsRetryThenDeliversOnceItStarts) {
    MosquittoServer broker;  // not started yet
    auto sink = make_sink(options_for(broker.uri()));
    ASSERT_NE(sink, nullptr);
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_NE(r.error.find("not connected"), std::string::npos) << r.error;

    ASSERT_TRUE(broker.start()) << broker.log();
    CollectorDouble collector(broker.uri(), testing::all_ok);
    ASSERT_TRUE(collector.connect());
    r = put_until_ok(*sink, 10s, 1);
    EXPECT_EQ(r.status, Status::ok) << r.error;
}

TEST_F(MqttSinkTest, BrokerRestartReconnectsResubscribesAndDeliversAgain) {
    collector(testing::all_ok);
    auto sink = make_sink(options_for(broker_.uri()));
    ASSERT_EQ(put_until_ok(*sink, 5s, 1).status, Status::ok);

    // No broker persistence: the restart loses our session and its ack subscription, so only
    // a resubscribed sink can get answers again.
    ASSERT_TRUE(broker_.restart()) << broker_.log();
    SendResult r = put_until_ok(*sink, 15s, 2);
    EXPECT_EQ(r.status, Status::ok) << r.error;
    Stats s = sink->stats();
    EXPECT_GE(s.connects, 2u);
    EXPECT_GE(s.connection_losses, 1u);
}

TEST(MqttSink, PublishRefusedByTheBrokerAclIsFatal) {
    TempDir dir("trib-mqtt-acl");
    std::ofstream(dir.path() / "acl") << "pattern read tributary/v1/%c/ack\n"
                                         "user tributary-collector\n";
    MosquittoServer broker(
        MosquittoConfig{nullptr, false, "acl_file " + (dir.path() / "acl").string()});
    ASSERT_TRUE(broker.start()) << broker.log();
    auto sink = make_sink(options_for(broker.uri()));
    ASSERT_TRUE(wait_connected(*sink));
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::fatal) << r.error;
    EXPECT_NE(r.error.find("not authorized"), std::string::npos) << r.error;
}

// --- TLS ---

class MqttSinkTlsTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(pki_.ok());
        ASSERT_TRUE(broker_.start()) << broker_.log();
        double_ = std::make_unique<CollectorDouble>(
            broker_.uri(), testing::all_ok,
            CollectorDouble::Tls{pki_.ca().string(), pki_.client("tributary-collector")});
        ASSERT_TRUE(double_->connect()) << broker_.log();
    }
    Options tls_options() {
        Options o = options_for(broker_.uri());
        o.ca_file = pki_.ca().string();
        Pki::KeyPair kp = pki_.client(device);
        o.cert_file = kp.cert.string();
        o.key_file = kp.key.string();
        return o;
    }

    TempDir dir_{"trib-mqtt-pki"};
    Pki pki_{dir_.path()};
    MosquittoServer broker_{MosquittoConfig{&pki_, true, ""}};
    std::unique_ptr<CollectorDouble> double_;
};

TEST_F(MqttSinkTlsTest, DeviceCertificateIsAcceptedAndDelivers) {
    auto sink = make_sink(tls_options());
    SendResult r = put_until_ok(*sink, 10s, 1);
    EXPECT_EQ(r.status, Status::ok) << r.error << "\n" << broker_.log();
}

// A device without its certificate cannot heal by retrying: fatal, so the operator sees it.
// Mosquitto refuses it after the TLS 1.3 handshake; tls_probe() catches the alert.
TEST_F(MqttSinkTlsTest, MissingClientCertificateIsFatal) {
    Options o = tls_options();
    o.cert_file.clear();
    o.key_file.clear();
    auto sink = make_sink(o);
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::fatal) << r.error;
    EXPECT_NE(r.error.find("broker refused the TLS client certificate"), std::string::npos)
        << r.error;
    EXPECT_FALSE(sink->stats().connected);
    EXPECT_TRUE(double_->requests().empty());
}

TEST_F(MqttSinkTlsTest, UntrustedServerCertificateIsFatal) {
    TempDir other_dir("trib-mqtt-pki2");
    Pki other(other_dir.path());
    ASSERT_TRUE(other.ok());
    Options o = tls_options();
    o.ca_file = other.ca().string();
    auto sink = make_sink(o);
    auto records = two_records();
    SendResult r = sink->put("app", records, tag(1));
    EXPECT_EQ(r.status, Status::fatal) << r.error;
    EXPECT_NE(r.error.find("TLS certificate verification failed"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tributary::agent::sinks::mqtt
