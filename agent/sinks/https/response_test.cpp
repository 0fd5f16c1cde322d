#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/sinks/https/wire.h"

namespace tributary::agent::sinks::https {
namespace {

SendResult kinesis(int status, std::string_view body, size_t n = 2, std::string_view type = "") {
    return parse_response(Api::kinesis, status, type, body, n);
}

// ---- 200 answers ----------------------------------------------------------------------------

TEST(HttpsResponse, KinesisSuccessGivesSequenceNumbersAndShards) {
    SendResult r = kinesis(200, R"({"FailedRecordCount":0,"Records":[
        {"SequenceNumber":"4960","ShardId":"shardId-000000000000"},
        {"SequenceNumber":"4961","ShardId":"shardId-000000000001"}]})");
    ASSERT_EQ(r.status, Status::ok);
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].status, Status::ok);
    EXPECT_EQ(r.records[0].sequence_number, "4960");
    EXPECT_EQ(r.records[1].shard_id, "shardId-000000000001");
    EXPECT_FALSE(r.throttled);
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.http_status, 200);
}

TEST(HttpsResponse, KinesisThroughputRecordIsRetryAndThrottled) {
    SendResult r = kinesis(200, R"({"FailedRecordCount":1,"Records":[
        {"SequenceNumber":"1","ShardId":"shardId-000000000000"},
        {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"}]})");
    ASSERT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.records[0].status, Status::ok);
    EXPECT_EQ(r.records[1].status, Status::retry);
    EXPECT_EQ(r.records[1].error_code, "ProvisionedThroughputExceededException");
    EXPECT_EQ(r.records[1].error_message, "Rate exceeded");
    EXPECT_TRUE(r.throttled);
    EXPECT_EQ(r.error, "1 of 2 records failed, first ProvisionedThroughputExceededException: "
                       "Rate exceeded");
}

TEST(HttpsResponse, KinesisInternalFailureRecordIsRetryNotThrottled) {
    SendResult r = kinesis(200, R"({"Records":[{"ErrorCode":"InternalFailure"},
        {"SequenceNumber":"1","ShardId":"shardId-000000000000"}]})");
    ASSERT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.records[0].status, Status::retry);
    EXPECT_FALSE(r.throttled);
}

TEST(HttpsResponse, KinesisKmsRecordErrorsAreRetry) {
    SendResult r = kinesis(200, R"({"Records":[{"ErrorCode":"KMSThrottlingException"},
        {"ErrorCode":"KMSDisabledException","ErrorMessage":"disabled"}]})");
    ASSERT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.records[0].status, Status::retry);
    EXPECT_EQ(r.records[1].status, Status::retry);
    EXPECT_TRUE(r.throttled);  // KMSThrottlingException
}

TEST(HttpsResponse, FirehoseRecordIdsAndErrors) {
    SendResult r = parse_response(Api::firehose, 200, "", R"({"FailedPutCount":1,
        "RequestResponses":[{"RecordId":"rid-1"},
        {"ErrorCode":"ServiceUnavailableException","ErrorMessage":"Slow down."}]})", 2);
    ASSERT_EQ(r.status, Status::ok);
    EXPECT_EQ(r.records[0].sequence_number, "rid-1");
    EXPECT_EQ(r.records[1].status, Status::retry);
    EXPECT_TRUE(r.throttled);
}

// ---- malformed 200 answers ------------------------------------------------------------------

TEST(HttpsResponse, MalformedSuccessBodiesAreRetryWithAReason) {
    struct Case {
        const char* body;
        const char* reason;
    } cases[] = {
        {"not json", "not a JSON object"},
        {"[]", "not a JSON object"},
        {R"({"FailedRecordCount":0})", "no Records array"},
        {R"({"Records":{}})", "no Records array"},
        {R"({"Records":[{"SequenceNumber":"1","ShardId":"s"}]})", "1 entries for 2 records"},
        {R"({"Records":[1,2]})", "entry 0 is not an object"},
        {R"({"Records":[{"SequenceNumber":"1","ShardId":"s"},{"SequenceNumber":"2"}]})",
         "record 1 has neither"},
        {"", "not a JSON object"},
    };
    for (const Case& c : cases) {
        SendResult r = kinesis(200, c.body);
        EXPECT_EQ(r.status, Status::retry) << c.body;
        EXPECT_TRUE(r.records.empty()) << c.body;
        EXPECT_NE(r.error.find(c.reason), std::string::npos) << c.body << " -> " << r.error;
        EXPECT_NE(r.error.find("malformed"), std::string::npos) << r.error;
    }
}

TEST(HttpsResponse, FirehoseBodyWithKinesisShapeIsMalformed) {
    SendResult r = parse_response(Api::firehose, 200, "",
                                  R"({"Records":[{"SequenceNumber":"1","ShardId":"s"}]})", 1);
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_NE(r.error.find("RequestResponses"), std::string::npos);
}

// ---- whole-call errors ----------------------------------------------------------------------

struct ErrorCase {
    const char* type;
    int http;
    Status status;
    bool throttled;
};

class HttpsErrorTable : public testing::TestWithParam<ErrorCase> {};

TEST_P(HttpsErrorTable, ClassifiesTheErrorType) {
    const ErrorCase& c = GetParam();
    std::string body = std::string(R"({"__type":")") + c.type + R"(","message":"text"})";
    SendResult r = kinesis(c.http, body);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.throttled, c.throttled);
    EXPECT_TRUE(r.records.empty());
    EXPECT_EQ(r.http_status, c.http);
    EXPECT_TRUE(r.error.starts_with(std::string(c.type) + ": text")) << r.error;
}

INSTANTIATE_TEST_SUITE_P(
    AwsTypes, HttpsErrorTable,
    testing::Values(
        ErrorCase{"ProvisionedThroughputExceededException", 400, Status::retry, true},
        ErrorCase{"ThrottlingException", 400, Status::retry, true},
        ErrorCase{"LimitExceededException", 400, Status::retry, true},
        ErrorCase{"KMSThrottlingException", 400, Status::retry, true},
        ErrorCase{"ServiceUnavailableException", 503, Status::retry, true},
        ErrorCase{"InternalFailure", 500, Status::retry, false},
        ErrorCase{"ResourceNotFoundException", 400, Status::retry, false},
        ErrorCase{"ResourceInUseException", 400, Status::retry, false},
        ErrorCase{"UnrecognizedClientException", 400, Status::fatal, false},
        ErrorCase{"InvalidSignatureException", 400, Status::fatal, false},
        ErrorCase{"IncompleteSignatureException", 400, Status::fatal, false},
        ErrorCase{"MissingAuthenticationTokenException", 400, Status::fatal, false},
        ErrorCase{"AccessDeniedException", 400, Status::fatal, false},
        ErrorCase{"ExpiredTokenException", 400, Status::fatal, false},
        ErrorCase{"ValidationException", 400, Status::fatal, false},
        ErrorCase{"SerializationException", 400, Status::fatal, false},
        ErrorCase{"InvalidArgumentException", 400, Status::fatal, false},
        ErrorCase{"KMSAccessDeniedException", 400, Status::fatal, false},
        // Unknown types fall back on the HTTP status.
        ErrorCase{"SomethingNewException", 500, Status::retry, false},
        ErrorCase{"SomethingNewException", 503, Status::retry, true},
        ErrorCase{"SomethingNewException", 429, Status::retry, true},
        ErrorCase{"SomethingNewException", 408, Status::retry, false},
        ErrorCase{"SomethingNewException", 400, Status::fatal, false},
        ErrorCase{"SomethingNewException", 302, Status::fatal, false},
        ErrorCase{"SomethingNewException", 204, Status::retry, false}),
    [](const testing::TestParamInfo<ErrorCase>& info) {
        return std::string(info.param.type) + "_" + std::to_string(info.param.http);
    });

TEST(HttpsResponse, ResourceNotFoundSaysItWillRetry) {
    SendResult r =
        kinesis(400, R"({"__type":"ResourceNotFoundException","message":"Stream s not found"})");
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_EQ(r.error, "ResourceNotFoundException: Stream s not found (will retry: the stream "
                       "may be created later)");
}

TEST(HttpsResponse, ExpiredSignatureIsRetryBecauseTheClockHeals) {
    SendResult r = kinesis(400, R"({"__type":"InvalidSignatureException",
        "message":"Signature expired: 20200101T000000Z is now earlier than 20260101T000000Z"})");
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_NE(r.error.find("device clock"), std::string::npos) << r.error;
}

TEST(HttpsResponse, ErrorTypeHeaderWinsAndLosesItsDecorations) {
    SendResult r = kinesis(400, R"({"__type":"InternalFailure"})", 2,
                           "UnrecognizedClientException:http://internal.amazon.com/coral/");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("UnrecognizedClientException")) << r.error;
}

TEST(HttpsResponse, NamespacedTypeIsNormalized) {
    EXPECT_EQ(normalize_error_type("com.amazonaws.kinesis.v20131202#ResourceNotFoundException"),
              "ResourceNotFoundException");
    SendResult r = kinesis(
        400, R"({"__type":"com.amazon.coral.service#AccessDeniedException","Message":"no"})");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_TRUE(r.error.starts_with("AccessDeniedException: no")) << r.error;
}

TEST(HttpsResponse, NonJsonErrorBodyIsQuotedInOneLine) {
    SendResult r = kinesis(502, "<html>\n<body>Bad Gateway</body></html>");
    EXPECT_EQ(r.status, Status::retry);
    EXPECT_EQ(r.error, "HTTP 502: <html> <body>Bad Gateway</body></html>");
}

TEST(HttpsResponse, UnknownClientErrorWithoutBodyIsFatal) {
    SendResult r = kinesis(404, "");
    EXPECT_EQ(r.status, Status::fatal);
    EXPECT_EQ(r.error, "HTTP 404");
}

// ---- ListShards ------------------------------------------------------------------------------

TEST(HttpsListShards, FirstPageAsksForOpenShardsLaterPagesOnlyForTheToken) {
    auto ep = parse_endpoint("http://127.0.0.1:4567", Api::kinesis, "us-east-1");
    ASSERT_TRUE(ep);
    Options o;
    auto first = build_list_shards_request(*ep, o, "logs", "", aws::Clock::now());
    ASSERT_TRUE(first);
    EXPECT_EQ(nlohmann::json::parse(first->body),
              nlohmann::json::parse(R"({"StreamName":"logs","ShardFilter":{"Type":"AT_LATEST"}})"));
    auto next = build_list_shards_request(*ep, o, "logs", "tok", aws::Clock::now());
    ASSERT_TRUE(next);
    EXPECT_EQ(nlohmann::json::parse(next->body), nlohmann::json::parse(R"({"NextToken":"tok"})"));
    bool has_target = false;
    for (const auto& [k, v] : next->headers)
        has_target |= k == "X-Amz-Target" && v == "Kinesis_20131202.ListShards";
    EXPECT_TRUE(has_target);
    o.api = Api::firehose;
    EXPECT_FALSE(build_list_shards_request(*ep, o, "logs", "", aws::Clock::now()));
}

TEST(HttpsListShards, ParsesRangesSkipsClosedShardsAndKeepsTheToken) {
    auto page = parse_list_shards(200, "", R"({"Shards":[
        {"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"9"},
         "SequenceNumberRange":{"StartingSequenceNumber":"1","EndingSequenceNumber":"5"}},
        {"ShardId":"shardId-000000000001","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"4"},
         "SequenceNumberRange":{"StartingSequenceNumber":"6"}}],"NextToken":"more"})");
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->shards.size(), 1u);
    EXPECT_EQ(page->shards[0].shard_id, "shardId-000000000001");
    EXPECT_EQ(page->shards[0].ending_hash_key, "4");
    EXPECT_EQ(page->next_token, "more");
}

TEST(HttpsListShards, ErrorAnswersAndMalformedBodiesAreErrors) {
    auto denied = parse_list_shards(400, "AccessDeniedException",
                                    R"({"message":"not authorized to perform kinesis:ListShards"})");
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().message,
              "AccessDeniedException: not authorized to perform kinesis:ListShards");
    EXPECT_FALSE(parse_list_shards(200, "", "not json"));
    EXPECT_FALSE(parse_list_shards(200, "", R"({"Shards":[{"ShardId":"x"}]})"));
    EXPECT_FALSE(parse_list_shards(
        200, "", R"({"Shards":[{"ShardId":"x","HashKeyRange":{"StartingHashKey":"-1","EndingHashKey":"2"}}]})"));
}

}  // namespace
}  // namespace tributary::agent::sinks::https
