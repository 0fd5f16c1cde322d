// The collector's handling of one MQTT request (docs/mqtt.md §5.2), over a real ShardStore in
// a temporary directory and payloads from the reference codec.

#include "collector/ingest/mqtt/handler.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>

namespace tributary::collector::ingest::mqtt {
namespace {

namespace et = wire::error_type;

class HandlerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-ingest-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open();
        ASSERT_TRUE(store_->create_stream({.name = "app", .shard_count = 2, .tags = {}}));
    }
    void TearDown() override {
        handler_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open(double records_per_sec = 1000) {
        handler_.reset();
        store_.reset();
        store::StoreOptions o;
        o.data_dir = dir_;
        o.map_size = size_t(256) << 20;
        o.write_records_per_sec = records_per_sec;
        o.clock = [] { return uint64_t(1'715'238'000'000); };
        auto s = store::ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        handler_ = std::make_unique<Handler>(*store_, stats_);
    }

    // A batch of `n` records "r<i>" under partition keys "pk<i>", flow "app", sequence `seq`.
    static std::string batch(uint64_t seq, size_t n = 2, std::string_view ehk = {}) {
        // BatchRecord holds views: a deque never moves its strings (short ones live inline).
        static std::deque<std::string> keep;
        wire::BatchHeader h;
        for (size_t i = 0; i < 16; ++i) h.producer_id[i] = static_cast<uint8_t>(i * 0x11);
        h.flow = "app";
        h.sequence = seq;
        std::vector<wire::BatchRecord> recs;
        for (size_t i = 0; i < n; ++i) {
            keep.push_back("pk" + std::to_string(i));
            std::string_view pk = keep.back();
            keep.push_back("r" + std::to_string(i));
            recs.push_back({pk, ehk, keep.back(), 0});
        }
        std::string out;
        EXPECT_TRUE(wire::encode_batch(h, recs, wire::Compression::none, out));
        return out;
    }

    std::optional<Reply> send(std::string_view payload,
                              std::string_view topic = "tributary/v1/sensor-1/put/app",
                              std::string_view response = "tributary/v1/sensor-1/ack",
                              std::string_view correlation = "corr-1") {
        return handler_->handle({topic, payload, response, correlation});
    }

    wire::BatchAnswer answer_of(const std::optional<Reply>& r) {
        EXPECT_TRUE(r);
        if (!r) return {};
        EXPECT_EQ(r->topic, "tributary/v1/sensor-1/ack");
        auto a = wire::decode_answer(r->payload);
        EXPECT_TRUE(a) << a.error().message;
        return a ? *a : wire::BatchAnswer{};
    }

    // Every record stored in stream `app`, across its shards.
    std::vector<store::StoredRecord> stored() {
        std::vector<store::StoredRecord> all;
        auto meta = store_->find("app");
        for (const auto& shard : meta->shards) {
            auto r = store_->read(*meta, shard, 0, 10'000, size_t(64) << 20);
            EXPECT_TRUE(r) << r.error().message;
            if (r) all.insert(all.end(), r->records.begin(), r->records.end());
        }
        return all;
    }

    std::string dir_;
    IngestStats stats_;
    std::unique_ptr<store::ShardStore> store_;
    std::unique_ptr<Handler> handler_;
};

TEST_F(HandlerTest, StoresABatchAndAnswersEachRecordsShardAndSequenceNumber) {
    auto a = answer_of(send(batch(42)));
    ASSERT_FALSE(a.error);
    ASSERT_EQ(a.records.size(), 2u);
    auto recs = stored();
    ASSERT_EQ(recs.size(), 2u);
    for (const auto& r : a.records) {
        ASSERT_TRUE(r.ok);
        bool found = false;
        for (const auto& s : recs) found |= s.sequence_number == r.sequence_number;
        EXPECT_TRUE(found) << r.sequence_number;
    }
    EXPECT_EQ(stats_.batches_stored.load(), 1u);
    EXPECT_EQ(stats_.records_stored.load(), 2u);
}

TEST_F(HandlerTest, ResendIsAnsweredWithIdenticalBytesAndStoredOnce) {
    std::string payload = batch(42);
    auto first = send(payload);
    auto again = send(payload, "tributary/v1/sensor-1/put/app", "tributary/v1/sensor-1/ack",
                      "another-attempt");
    ASSERT_TRUE(first && again);
    EXPECT_EQ(first->payload, again->payload);
    EXPECT_EQ(stored().size(), 2u);
    EXPECT_EQ(stats_.batches_stored.load(), 1u);
    EXPECT_EQ(stats_.batches_replayed.load(), 1u);
}

TEST_F(HandlerTest, ResendAfterStoreReopenIsStillReplayed) {
    std::string payload = batch(7);
    auto first = send(payload);
    open();  // as after a collector crash: the dedup entry is on disk with the records
    auto again = send(payload);
    ASSERT_TRUE(first && again);
    EXPECT_EQ(first->payload, again->payload);
    EXPECT_EQ(stored().size(), 2u);
}

TEST_F(HandlerTest, NumberBelowTheLastAcceptedIsRejectedNotRetryable) {
    ASSERT_FALSE(answer_of(send(batch(42))).error);
    auto a = answer_of(send(batch(41)));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::invalid_argument);
    EXPECT_FALSE(a.error->retryable);
    EXPECT_EQ(stored().size(), 2u);
    EXPECT_EQ(stats_.batch_error_count(et::invalid_argument, "invalid_argument"), 1u);
}

TEST_F(HandlerTest, SameNumberForADifferentBatchIsRejectedNotRetryable) {
    ASSERT_FALSE(answer_of(send(batch(42, 2))).error);
    auto a = answer_of(send(batch(42, 3)));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::invalid_argument);
    EXPECT_FALSE(a.error->retryable);
    EXPECT_EQ(stored().size(), 2u);
}

TEST_F(HandlerTest, UnknownStreamIsRetryableResourceNotFoundWithKinesisMessage) {
    auto a = answer_of(send(batch(1), "tributary/v1/sensor-1/put/nope"));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::resource_not_found);
    EXPECT_TRUE(a.error->retryable);
    EXPECT_EQ(a.error->message, "Stream nope under account 000000000000 not found.");
}

TEST_F(HandlerTest, WholeBatchErrorLeavesTheNumberFreeForTheResend) {
    ASSERT_TRUE(answer_of(send(batch(5), "tributary/v1/sensor-1/put/later")).error);
    ASSERT_TRUE(store_->create_stream({.name = "later", .shard_count = 1, .tags = {}}));
    auto a = answer_of(send(batch(5), "tributary/v1/sensor-1/put/later"));
    EXPECT_FALSE(a.error);
    EXPECT_EQ(a.records.size(), 2u);
}

TEST_F(HandlerTest, GarbageIsAnsweredWithValidationErrorAndNothingStored) {
    auto a = answer_of(send(std::string("\x00\xff garbage", 10)));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::validation);
    EXPECT_FALSE(a.error->retryable);
    EXPECT_TRUE(stored().empty());
    EXPECT_EQ(stats_.batch_error_count(et::validation, "bad_magic"), 1u);
}

TEST_F(HandlerTest, EmptyPayloadIsAnsweredWithValidationError) {
    auto a = answer_of(send(""));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::validation);
}

TEST_F(HandlerTest, UnknownVersionIsAnsweredNotRetryableNamingTheVersion) {
    std::string p = batch(1);
    p[1] = 2;
    auto a = answer_of(send(p));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::validation);
    EXPECT_FALSE(a.error->retryable);
    EXPECT_NE(a.error->message.find('2'), std::string::npos) << a.error->message;
    EXPECT_EQ(stats_.batch_error_count(et::validation, "unsupported_version"), 1u);
}

TEST_F(HandlerTest, DamagedPayloadIsAnsweredRetryable) {
    std::string p = batch(1);
    p[p.size() - 6] ^= 0x01;  // a data byte: only the CRC trailer notices
    auto a = answer_of(send(p));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::validation);
    EXPECT_TRUE(a.error->retryable);
    EXPECT_TRUE(stored().empty());
}

TEST_F(HandlerTest, OversizedPayloadIsAnsweredOverLimitWithoutStoring) {
    std::string p = batch(1);
    p.resize(wire::kMaxRequestBytes + 1, 'x');
    auto a = answer_of(send(p));
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->type, et::validation);
    EXPECT_FALSE(a.error->retryable);
    EXPECT_EQ(stats_.batch_error_count(et::validation, "over_limit"), 1u);
    EXPECT_TRUE(stored().empty());
}

TEST_F(HandlerTest, TopicOutsideTheGrammarIsDropped) {
    EXPECT_FALSE(send(batch(1), "tributary/v1/sensor-1/put/app/extra"));
    EXPECT_FALSE(send(batch(1), "tributary/v2/sensor-1/put/app"));
    EXPECT_EQ(stats_.dropped_count(DropReason::topic), 2u);
    EXPECT_TRUE(stored().empty());
}

TEST_F(HandlerTest, ResponseTopicOfAnotherDeviceIsDropped) {
    EXPECT_FALSE(send(batch(1), "tributary/v1/sensor-1/put/app", "tributary/v1/sensor-2/ack"));
    EXPECT_FALSE(send(batch(1), "tributary/v1/sensor-1/put/app", "elsewhere"));
    EXPECT_FALSE(send(batch(1), "tributary/v1/sensor-1/put/app", ""));
    EXPECT_EQ(stats_.dropped_count(DropReason::response_topic), 3u);
    EXPECT_TRUE(stored().empty());
}

TEST_F(HandlerTest, MissingOrOverlongCorrelationDataIsDropped) {
    const auto topic = "tributary/v1/sensor-1/put/app";
    const auto ack = "tributary/v1/sensor-1/ack";
    EXPECT_FALSE(send(batch(1), topic, ack, ""));
    EXPECT_FALSE(send(batch(1), topic, ack, std::string(65, 'c')));
    EXPECT_TRUE(send(batch(1), topic, ack, std::string(64, 'c')));
    EXPECT_EQ(stats_.dropped_count(DropReason::correlation), 2u);
}

TEST_F(HandlerTest, ExplicitHashKeyRoutesTheRecord) {
    auto a = answer_of(send(batch(1, 1, "340282366920938463463374607431768211455")));
    ASSERT_EQ(a.records.size(), 1u);
    ASSERT_TRUE(a.records[0].ok);
    EXPECT_EQ(a.records[0].shard_index, 1u);  // the upper half of the hash key space
}

TEST_F(HandlerTest, ThrottledRecordsAreFailedResultsNotABatchError) {
    open(2);  // two records per second per shard
    auto a = answer_of(send(batch(1, 20)));
    ASSERT_FALSE(a.error);
    ASSERT_EQ(a.records.size(), 20u);
    ASSERT_GT(a.failed_count(), 0u);
    for (const auto& r : a.records) {
        if (!r.ok) {
            EXPECT_EQ(r.error_code, et::provisioned_throughput_exceeded);
        }
    }
    EXPECT_EQ(stats_.record_failed_count(et::provisioned_throughput_exceeded), a.failed_count());
    EXPECT_EQ(stored().size(), 20u - a.failed_count());
}

TEST_F(HandlerTest, StoreErrorsMapToTheDocumentedTypes) {
    auto e = store_batch_error(Error{store::errc::internal_failure, "map full"});
    EXPECT_EQ(e.type, et::internal_failure);
    EXPECT_TRUE(e.retryable);
    e = store_batch_error(Error{store::errc::provisioned_throughput_exceeded, "slow down"});
    EXPECT_EQ(e.type, et::throttling);
    EXPECT_TRUE(e.retryable);
    e = store_batch_error(Error{store::errc::invalid_argument, std::string(3000, 'x')});
    EXPECT_FALSE(e.retryable);
    EXPECT_EQ(e.message.size(), wire::kMaxErrorMessageBytes);
}

TEST_F(HandlerTest, MetricsNameEveryCounter) {
    send(batch(1));
    send("junk");
    send(batch(2), "bad/topic");
    std::string m;
    stats_.render(m);
    EXPECT_NE(m.find("tributary_mqtt_batches_total{outcome=\"stored\"} 1"), std::string::npos);
    EXPECT_NE(m.find("tributary_mqtt_records_stored_total{aws_metric=\"IncomingRecords\"} 2"),
              std::string::npos);
    EXPECT_NE(m.find("tributary_mqtt_errors_total{type=\"ValidationException\",reason=\"bad_"
                     "magic\"} 1"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("tributary_mqtt_dropped_total{reason=\"topic\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace tributary::collector::ingest::mqtt
