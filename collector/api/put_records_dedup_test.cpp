// PutRecords with the X-Tributary-* headers (docs/agent-delivery.md) through Api::handle: the
// header grammar, replays answered with the original bytes (JSON fast and generic paths, CBOR),
// and the two InvalidArgumentException texts.

#include <gtest/gtest.h>

#include <filesystem>

#include "collector/api/api.h"
#include "collector/api/batch_headers.h"
#include "collector/api/errc.h"

namespace tributary::collector::api {
namespace {

constexpr std::string_view kProducer = "00112233445566778899aabbccddeeff";
constexpr std::string_view kFlowText = "kinesis%3Aapp%3A%2Fvar%2Flog%2Fapp%2F%2A.log";

Result<std::optional<store::BatchKey>> parse(std::optional<std::string> producer,
                                             std::optional<std::string> flow,
                                             std::optional<std::string> sequence) {
    return parse_batch_key(producer ? &*producer : nullptr, flow ? &*flow : nullptr,
                           sequence ? &*sequence : nullptr);
}

void expect_invalid(const Result<std::optional<store::BatchKey>>& r, std::string_view header) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, make_error_code(errc::validation));
    EXPECT_NE(r.error().message.find(header), std::string::npos) << r.error().message;
}

TEST(BatchHeaders, AllThreeWellFormedGiveTheKey) {
    auto r = parse(std::string(kProducer), std::string(kFlowText), "42");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(*r);
    const auto& k = **r;
    EXPECT_EQ(k.producer[0], 0x00);
    EXPECT_EQ(k.producer[1], 0x11);
    EXPECT_EQ(k.producer[15], 0xff);
    EXPECT_EQ(k.flow, "kinesis:app:/var/log/app/*.log");
    EXPECT_EQ(k.sequence, 42u);
}

TEST(BatchHeaders, NoneIsNoKey) {
    auto r = parse(std::nullopt, std::nullopt, std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
}

TEST(BatchHeaders, OnlySomePresentNamesTheMissingOne) {
    expect_invalid(parse(std::string(kProducer), std::nullopt, "1"), "Missing header X-Tributary-Flow");
    expect_invalid(parse(std::nullopt, std::string(kFlowText), "1"),
                   "Missing header X-Tributary-Producer-Id");
    expect_invalid(parse(std::string(kProducer), std::string(kFlowText), std::nullopt),
                   "Missing header X-Tributary-Batch-Sequence");
}

TEST(BatchHeaders, ProducerIdMustBe32LowerCaseHexDigits) {
    for (std::string bad : {"00112233445566778899AABBCCDDEEFF", "00112233445566778899aabbccddeef",
                            "00112233445566778899aabbccddeeff0", "0011223344556677-899aabbccddeeff",
                            ""})
        expect_invalid(parse(bad, std::string(kFlowText), "1"),
                       "Invalid header X-Tributary-Producer-Id");
}

TEST(BatchHeaders, FlowFollowsThePercentEncodingGrammar) {
    for (std::string bad : {"kinesis:app", "a%3a", "a%3", "a%", "a b", "%ZZ", ""})
        expect_invalid(parse(std::string(kProducer), bad, "1"), "Invalid header X-Tributary-Flow");
    expect_invalid(parse(std::string(kProducer), std::string(1025, 'f'), "1"),
                   "Invalid header X-Tributary-Flow");
    std::string encoded;
    for (int i = 0; i < 1024; ++i) encoded += "%00";
    auto longest = parse(std::string(kProducer), encoded, "1");
    ASSERT_TRUE(longest) << longest.error().message;
    EXPECT_EQ((*longest)->flow, std::string(1024, '\0'));
    auto unreserved = parse(std::string(kProducer), "Az09-_.~", "1");
    ASSERT_TRUE(unreserved);
    EXPECT_EQ((*unreserved)->flow, "Az09-_.~");
}

TEST(BatchHeaders, SequenceIsAPlainU64Decimal) {
    for (std::string bad : {"", "01", "+1", "-1", "1.0", " 1", "18446744073709551616",
                            "99999999999999999999", "123456789012345678901"})
        expect_invalid(parse(std::string(kProducer), std::string(kFlowText), bad),
                       "Invalid header X-Tributary-Batch-Sequence");
    auto zero = parse(std::string(kProducer), std::string(kFlowText), "0");
    ASSERT_TRUE(zero);
    EXPECT_EQ((*zero)->sequence, 0u);
    auto max = parse(std::string(kProducer), std::string(kFlowText), "18446744073709551615");
    ASSERT_TRUE(max);
    EXPECT_EQ((*max)->sequence, UINT64_MAX);
}

class PutRecordsDedupTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-api-dedup-XXXXXX";
        dir_ = mkdtemp(tmpl);
        store::StoreOptions o;
        o.data_dir = dir_;
        o.map_size = size_t(256) << 20;
        o.throughput_limits = false;
        auto s = store::ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        auto a = Api::create(*store_, ApiOptions{});
        ASSERT_TRUE(a) << a.error().message;
        api_ = std::move(*a);
        ASSERT_TRUE(store_->create_stream({.name = "app", .shard_count = 2, .tags = {}}));
    }
    void TearDown() override {
        api_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    // `fast`: give the body the padding the JSON fast path needs (as the HTTP server does);
    // without it the generic handler answers.
    HttpReply call(std::string body, std::string_view sequence, bool fast = true,
                   std::string_view content_type = "application/x-amz-json-1.1",
                   std::string_view target = "PutRecords") {
        HttpExchange ex;
        ex.method = "POST";
        ex.target = "/";
        ex.headers = {{"Content-Type", std::string(content_type)},
                      {"X-Amz-Target", "Kinesis_20131202." + std::string(target)}};
        if (!sequence.empty()) {
            ex.headers.emplace_back("X-Tributary-Producer-Id", std::string(kProducer));
            ex.headers.emplace_back("x-tributary-flow", std::string(kFlowText));  // any case
            ex.headers.emplace_back("X-Tributary-Batch-Sequence", std::string(sequence));
        }
        ex.body = std::string();
        if (fast) ex.body.reserve(body.size() + 64);
        ex.body += body;
        if (!fast) ex.body.shrink_to_fit();
        return api_->handle(ex);
    }
    static std::string records_json(int n, std::string_view stream = "app") {
        json records = json::array();
        for (int i = 0; i < n; ++i)
            records.push_back({{"Data", "aGVsbG8="}, {"PartitionKey", "pk" + std::to_string(i)}});
        return json{{"StreamName", stream}, {"Records", records}}.dump();
    }
    size_t count() {
        auto m = store_->find("app");
        size_t total = 0;
        for (const auto& s : m->shards) {
            auto r = store_->read(*m, s, 0, 10000, 10 << 20);
            EXPECT_TRUE(r);
            if (r) total += r->records.size();
        }
        return total;
    }
    static std::string error_type(const HttpReply& r) {
        return json::parse(r.body).value("__type", "");
    }
    static std::string message(const HttpReply& r) {
        return json::parse(r.body).value("message", "");
    }

    std::string dir_;
    std::unique_ptr<store::ShardStore> store_;
    std::unique_ptr<Api> api_;
};

TEST_F(PutRecordsDedupTest, ReplayOnTheFastPathIsTheOriginalBytes) {
    auto first = call(records_json(5), "42");
    ASSERT_EQ(first.status, 200) << first.body;
    auto again = call(records_json(5), "42");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(count(), 5u);
}

TEST_F(PutRecordsDedupTest, ReplayOnTheGenericPathIsTheOriginalBytes) {
    auto first = call(records_json(5), "42", false);
    ASSERT_EQ(first.status, 200) << first.body;
    auto again = call(records_json(5), "42", false);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(count(), 5u);
}

TEST_F(PutRecordsDedupTest, FastAndGenericPathsWriteTheSameAnswer) {
    auto fast = call(records_json(5), "42", true);
    auto generic = call(records_json(5), "42", false);
    ASSERT_EQ(generic.status, 200) << generic.body;
    EXPECT_EQ(generic.body, fast.body);
    EXPECT_EQ(count(), 5u);
    auto encrypted = store_->update_stream("app", [](store::StreamMeta& m) -> Result<void> {
        m.encryption_type = "KMS";
        return {};
    });
    ASSERT_TRUE(encrypted);
    auto fast_kms = call(records_json(2), "43", true);
    auto generic_kms = call(records_json(2), "44", false);
    EXPECT_EQ(json::parse(fast_kms.body)["EncryptionType"], "KMS");
    // Same members, same order: only the sequence numbers differ.
    EXPECT_EQ(fast_kms.body.substr(0, 60), generic_kms.body.substr(0, 60));
}

TEST_F(PutRecordsDedupTest, ReplayInCborIsTheOriginalBytes) {
    json records = json::array();
    for (int i = 0; i < 3; ++i)
        records.push_back({{"Data", json::binary({1, 2, 3})}, {"PartitionKey", "k" + std::to_string(i)}});
    std::vector<uint8_t> cbor = json::to_cbor(json{{"StreamName", "app"}, {"Records", records}});
    std::string body(cbor.begin(), cbor.end());
    auto first = call(body, "7", true, "application/x-amz-cbor-1.1");
    ASSERT_EQ(first.status, 200);
    auto again = call(body, "7", true, "application/x-amz-cbor-1.1");
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(json::from_cbor(first.body)["Records"].size(), 3u);
    EXPECT_EQ(count(), 3u);
}

TEST_F(PutRecordsDedupTest, LowerNumberIsInvalidArgumentWithTheDocumentsText) {
    ASSERT_EQ(call(records_json(1), "42").status, 200);
    auto r = call(records_json(1), "41");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(error_type(r), "InvalidArgumentException");
    EXPECT_EQ(message(r),
              "batch sequence 41 of flow kinesis:app:/var/log/app/*.log is below the last "
              "accepted 42");
    EXPECT_EQ(count(), 1u);
}

TEST_F(PutRecordsDedupTest, SameNumberForAnotherBatchIsInvalidArgument) {
    ASSERT_EQ(call(records_json(1), "42").status, 200);
    auto r = call(records_json(2), "42", false);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(error_type(r), "InvalidArgumentException");
    EXPECT_EQ(message(r), "batch sequence 42 of flow kinesis:app:/var/log/app/*.log was already "
                          "used for a different batch");
    EXPECT_EQ(count(), 1u);
}

TEST_F(PutRecordsDedupTest, MalformedHeaderIsValidationExceptionAndStoresNothing) {
    for (bool fast : {true, false}) {
        auto r = call(records_json(1), "042", fast);
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(error_type(r), "ValidationException");
        EXPECT_NE(message(r).find("X-Tributary-Batch-Sequence"), std::string::npos) << r.body;
    }
    EXPECT_EQ(count(), 0u);
}

TEST_F(PutRecordsDedupTest, BodyValidationComesBeforeTheHeaders) {
    auto r = call(R"({"StreamName":"app","Records":[]})", "042");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(error_type(r), "ValidationException");
    EXPECT_EQ(message(r).find("X-Tributary"), std::string::npos) << r.body;
}

TEST_F(PutRecordsDedupTest, MissingStreamLeavesTheNumberUnused) {
    auto missing = call(records_json(1, "nope"), "5");
    EXPECT_EQ(error_type(missing), "ResourceNotFoundException");
    auto r = call(records_json(1), "5");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(count(), 1u);
}

TEST_F(PutRecordsDedupTest, RequestsWithoutHeadersAreNotDeduplicated) {
    ASSERT_EQ(call(records_json(2), "").status, 200);
    ASSERT_EQ(call(records_json(2), "").status, 200);
    EXPECT_EQ(count(), 4u);
}

TEST_F(PutRecordsDedupTest, OtherOperationsIgnoreTheHeaders) {
    auto r = call(R"({"StreamName":"app","Data":"aGk=","PartitionKey":"a"})", "0x", true,
                  "application/x-amz-json-1.1", "PutRecord");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(count(), 1u);
}

TEST_F(PutRecordsDedupTest, ReplaysAreCountedInTheMetrics) {
    ASSERT_EQ(call(records_json(1), "1").status, 200);
    ASSERT_EQ(call(records_json(1), "1").status, 200);
    ASSERT_EQ(call(records_json(1), "0").status, 400);
    std::string m;
    store_->render_metrics(m);
    EXPECT_NE(m.find("tributary_store_producer_batches_total{outcome=\"stored\"} 1"), std::string::npos);
    EXPECT_NE(m.find("tributary_store_producer_batches_total{outcome=\"replayed\"} 1"), std::string::npos);
    EXPECT_NE(m.find("tributary_store_producer_batches_total{outcome=\"rejected_stale\"} 1"),
              std::string::npos);
}

}  // namespace
}  // namespace tributary::collector::api
