// Stream consumer handlers: Register/Describe/List/DeregisterStreamConsumer.
#include "collector/api/handlers_test_fixture.h"

namespace tributary::collector::api {
namespace {

// ------------------------------------------------------------------------------------------
// Consumers

TEST_F(MetaHandlersTest, RegisterReturnsAnActiveConsumerWithArnAndCreationTime) {
    create("s");
    auto out =
        ok(h::register_stream_consumer, {{"StreamARN", arn("s")}, {"ConsumerName", "reader"}});
    EXPECT_EQ(out, json({{"Consumer",
                          {{"ConsumerName", "reader"},
                           {"ConsumerARN", consumer_arn("s", "reader")},
                           {"ConsumerStatus", "ACTIVE"},
                           {"ConsumerCreationTimestamp", kStart}}}}));
}

TEST_F(MetaHandlersTest, RegisteringATakenNameIsResourceInUse) {
    create("s");
    register_consumer("s", "c");
    expect_error(
        call(h::register_stream_consumer, {{"StreamARN", arn("s")}, {"ConsumerName", "c"}}),
        "ResourceInUseException",
        "Consumer c under stream s and account 000000000000 already exists.");
}

TEST_F(MetaHandlersTest, TheTwentyFirstConsumerIsLimitExceeded) {
    create("s");
    for (int i = 0; i < 20; ++i) register_consumer("s", "c" + std::to_string(i));
    expect_error(
        call(h::register_stream_consumer, {{"StreamARN", arn("s")}, {"ConsumerName", "c20"}}),
        "LimitExceededException");
}

TEST_F(MetaHandlersTest, RegisterOnAMissingStreamIsNotFound) {
    expect_error(
        call(h::register_stream_consumer, {{"StreamARN", arn("nope")}, {"ConsumerName", "c"}}),
        "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
}

TEST_F(MetaHandlersTest, RegisterRequiresStreamArnAndAValidName) {
    expect_error(call(h::register_stream_consumer, {{"ConsumerName", "bad name"}}),
                 "ValidationException",
                 "2 validation errors detected: Value null at 'streamARN' failed to satisfy "
                 "constraint: Member must not be null; Value 'bad name' at 'consumerName' failed "
                 "to satisfy constraint: Member must satisfy regular expression pattern: "
                 "[a-zA-Z0-9_.-]+");
}

TEST_F(MetaHandlersTest, RegisterAppliesTagsToTheConsumer) {
    create("s");
    auto out = ok(h::register_stream_consumer,
                  {{"StreamARN", arn("s")}, {"ConsumerName", "c"}, {"Tags", {{"app", "it"}}}});
    std::string carn = out["Consumer"]["ConsumerARN"];
    EXPECT_EQ(ok(h::list_tags_for_resource, {{"ResourceARN", carn}})["Tags"],
              tags_json({{"app", "it"}}));
}

TEST_F(MetaHandlersTest, DescribeByArnOrByStreamArnAndNameGivesTheSameConsumer) {
    create("s");
    std::string carn = register_consumer("s", "c");
    json want = {{"ConsumerDescription",
                  {{"ConsumerName", "c"},
                   {"ConsumerARN", carn},
                   {"ConsumerStatus", "ACTIVE"},
                   {"ConsumerCreationTimestamp", kStart},
                   {"StreamARN", arn("s")}}}};
    EXPECT_EQ(ok(h::describe_stream_consumer, {{"ConsumerARN", carn}}), want);
    EXPECT_EQ(ok(h::describe_stream_consumer, {{"StreamARN", arn("s")}, {"ConsumerName", "c"}}),
              want);
    EXPECT_EQ(ok(h::describe_stream_consumer,
                 {{"StreamARN", arn("s")}, {"ConsumerName", "c"}, {"ConsumerARN", carn}}),
              want);
}

TEST_F(MetaHandlersTest, DescribeWithConflictingNameAndArnIsInvalidArgument) {
    create("s");
    std::string carn = register_consumer("s", "c");
    expect_error(
        call(h::describe_stream_consumer, {{"ConsumerARN", carn}, {"ConsumerName", "other"}}),
        "InvalidArgumentException", "ConsumerARN " + carn + " does not match ConsumerName other.");
}

TEST_F(MetaHandlersTest, DescribeWithNeitherArnNorStreamAndNameIsInvalidArgument) {
    expect_error(call(h::describe_stream_consumer, {{"ConsumerName", "c"}}),
                 "InvalidArgumentException",
                 "Either ConsumerARN or both StreamARN and ConsumerName should be provided.");
}

TEST_F(MetaHandlersTest, DescribeAnUnknownConsumerIsNotFound) {
    create("s");
    expect_error(
        call(h::describe_stream_consumer, {{"StreamARN", arn("s")}, {"ConsumerName", "x"}}),
        "ResourceNotFoundException",
        "Consumer x under stream s and account 000000000000 not found.");
}

TEST_F(MetaHandlersTest, AnArnFromBeforeReRegistrationNoLongerMatches) {
    create("s");
    std::string old_arn = register_consumer("s", "c");
    ok(h::deregister_stream_consumer, {{"ConsumerARN", old_arn}});
    now_ += 5000;
    std::string new_arn = register_consumer("s", "c");
    EXPECT_NE(new_arn, old_arn);
    expect_error(call(h::describe_stream_consumer, {{"ConsumerARN", old_arn}}),
                 "ResourceNotFoundException");
}

TEST_F(MetaHandlersTest, ListConsumersPagesWithMaxResultsAndNextToken) {
    create("s");
    for (auto name : {"r3", "r1", "r2"}) register_consumer("s", name);
    auto page = ok(h::list_stream_consumers, {{"StreamARN", arn("s")}, {"MaxResults", 2}});
    ASSERT_EQ(page["Consumers"].size(), 2u);
    EXPECT_EQ(page["Consumers"][0]["ConsumerName"], "r1");
    EXPECT_EQ(page["Consumers"][1]["ConsumerName"], "r2");
    ASSERT_TRUE(page.contains("NextToken"));
    page =
        ok(h::list_stream_consumers, {{"StreamARN", arn("s")}, {"NextToken", page["NextToken"]}});
    ASSERT_EQ(page["Consumers"].size(), 1u);
    EXPECT_EQ(page["Consumers"][0]["ConsumerName"], "r3");
    EXPECT_FALSE(page.contains("NextToken"));
}

TEST_F(MetaHandlersTest, ListConsumersOfAStreamWithoutAnyIsEmpty) {
    create("s");
    EXPECT_EQ(ok(h::list_stream_consumers, {{"StreamARN", arn("s")}}),
              json({{"Consumers", json::array()}}));
}

TEST_F(MetaHandlersTest, ListConsumersNextTokenExpires) {
    create("s");
    for (auto name : {"a", "b"}) register_consumer("s", name);
    auto page = ok(h::list_stream_consumers, {{"StreamARN", arn("s")}, {"MaxResults", 1}});
    now_ += options_.next_token_ttl_ms + 1;
    expect_error(
        call(h::list_stream_consumers, {{"StreamARN", arn("s")}, {"NextToken", page["NextToken"]}}),
        "ExpiredNextTokenException");
}

TEST_F(MetaHandlersTest, ListConsumersNextTokenOfAnotherStreamIsInvalid) {
    create("s");
    create("t");
    for (auto name : {"a", "b"}) register_consumer("s", name);
    auto page = ok(h::list_stream_consumers, {{"StreamARN", arn("s")}, {"MaxResults", 1}});
    expect_error(
        call(h::list_stream_consumers, {{"StreamARN", arn("t")}, {"NextToken", page["NextToken"]}}),
        "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, ListConsumersWithNextTokenAndCreationTimestampIsInvalidArgument) {
    create("s");
    expect_error(call(h::list_stream_consumers, {{"StreamARN", arn("s")},
                                                 {"NextToken", "x"},
                                                 {"StreamCreationTimestamp", kStart / 1000}}),
                 "InvalidArgumentException",
                 "NextToken and StreamCreationTimestamp cannot be provided together.");
}

TEST_F(MetaHandlersTest, ListConsumersOfAnotherIncarnationOfTheStreamIsNotFound) {
    create("s");
    ok(h::list_stream_consumers,
       {{"StreamARN", arn("s")}, {"StreamCreationTimestamp", kStart / 1000}});
    expect_error(call(h::list_stream_consumers,
                      {{"StreamARN", arn("s")}, {"StreamCreationTimestamp", kStart / 1000 - 60}}),
                 "ResourceNotFoundException");
}

TEST_F(MetaHandlersTest, DeregisterByArnOrByNameRemovesTheConsumer) {
    create("s");
    std::string a = register_consumer("s", "a");
    register_consumer("s", "b");
    ok(h::deregister_stream_consumer, {{"ConsumerARN", a}});
    ok(h::deregister_stream_consumer, {{"StreamARN", arn("s")}, {"ConsumerName", "b"}});
    EXPECT_EQ(ok(h::list_stream_consumers, {{"StreamARN", arn("s")}})["Consumers"], json::array());
    EXPECT_TRUE(store_->find("s")->consumers.empty());
}

TEST_F(MetaHandlersTest, DeregisterAnUnknownConsumerIsNotFound) {
    create("s");
    expect_error(call(h::deregister_stream_consumer, {{"ConsumerARN", consumer_arn("s", "c")}}),
                 "ResourceNotFoundException",
                 "Consumer c under stream s and account 000000000000 not found.");
}

TEST_F(MetaHandlersTest, ConsumersAndTagsSurviveAStoreRestart) {
    create("s");
    std::string carn = register_consumer("s", "c");
    ok(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"k", "v"}}}});
    open();
    EXPECT_EQ(ok(h::describe_stream_consumer,
                 {{"ConsumerARN", carn}})["ConsumerDescription"]["ConsumerName"],
              "c");
    EXPECT_EQ(ok(h::list_tags_for_stream, {{"StreamName", "s"}})["Tags"], tags_json({{"k", "v"}}));
}


}  // namespace
}  // namespace tributary::collector::api
