// Tags, consumers and stream/account settings handlers, called directly against a real
// ShardStore in a temporary directory, with a clock the tests move.

#include <gtest/gtest.h>

#include <filesystem>

#include "collector/api/errors.h"
#include "collector/api/handlers.h"

namespace tributary::collector::api {
namespace {

namespace h = handlers;

constexpr uint64_t kStart = 1'764'000'000'000;  // whole seconds, so ARNs are predictable

class MetaHandlersTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/trib-meta-XXXXXX";
        dir_ = mkdtemp(tmpl);
        open();
    }
    void TearDown() override {
        ctx_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() {
        ctx_.reset();
        store_.reset();
        store::StoreOptions o;
        o.data_dir = dir_;
        o.map_size = size_t(256) << 20;
        o.clock = [this] { return now_; };
        o.throughput_limits = false;
        o.status_delay_ms = status_delay_ms_;
        o.on_demand_stream_limit = on_demand_limit_;
        o.hour_ms = 1000;  // the billing commitment's 24 hours last 24 s here
        auto s = store::ShardStore::open(o);
        ASSERT_TRUE(s) << s.error().message;
        store_ = std::move(*s);
        ctx_ = std::make_unique<Context>(*store_, options_, codec_);
    }
    void create(const std::string& name, uint32_t shards = 1, bool on_demand = false) {
        store::CreateStreamArgs args;
        args.name = name;
        args.shard_count = shards;
        args.on_demand = on_demand;
        auto r = store_->create_stream(args);
        ASSERT_TRUE(r) << r.error().message;
        if (status_delay_ms_ > 0) settle();
    }
    // Lets a pending CREATING/UPDATING state end.
    void settle() {
        now_ += static_cast<uint64_t>(status_delay_ms_) + 1;
        ASSERT_TRUE(store_->run_maintenance());
    }
    Result<json> call(Handler handler, json body) {
        Input in(body, Format::json);
        return handler(*ctx_, in);
    }
    json ok(Handler handler, json body) {
        auto r = call(handler, std::move(body));
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : json();
    }
    std::string arn(const std::string& stream) { return store_->stream_arn(stream); }
    std::string consumer_arn(const std::string& stream, const std::string& consumer,
                             uint64_t at = kStart) {
        return arn(stream) + "/consumer/" + consumer + ":" + std::to_string(at / 1000);
    }
    std::string register_consumer(const std::string& stream, const std::string& name) {
        auto out =
            ok(h::register_stream_consumer, {{"StreamARN", arn(stream)}, {"ConsumerName", name}});
        return out["Consumer"]["ConsumerARN"].get<std::string>();
    }

    std::string dir_;
    uint64_t now_ = kStart;
    int64_t status_delay_ms_ = 0;
    uint32_t on_demand_limit_ = 50;
    ApiOptions options_;
    IteratorCodec codec_{std::string(48, 'k')};
    std::unique_ptr<store::ShardStore> store_;
    std::unique_ptr<Context> ctx_;
};

void expect_error(const Result<json>& r, std::string_view type, std::string_view message = {}) {
    ASSERT_FALSE(r) << r->dump();
    EXPECT_EQ(aws_error(r.error().code).type, type) << r.error().message;
    if (!message.empty()) {
        EXPECT_EQ(r.error().message, message);
    }
}

json tags_json(std::initializer_list<std::pair<const char*, const char*>> kv) {
    json out = json::array();
    for (auto [k, v] : kv) out.push_back({{"Key", k}, {"Value", v}});
    return out;
}

// ------------------------------------------------------------------------------------------
// Tags

TEST_F(MetaHandlersTest, AddTagsThenListReturnsThemSortedByKey) {
    create("s");
    ok(h::add_tags_to_stream,
       {{"StreamName", "s"}, {"Tags", {{"team", "data"}, {"a", ""}, {"env", "t"}}}});
    auto out = ok(h::list_tags_for_stream, {{"StreamName", "s"}});
    EXPECT_EQ(out["Tags"], tags_json({{"a", ""}, {"env", "t"}, {"team", "data"}}));
    EXPECT_EQ(out["HasMoreTags"], false);
}

TEST_F(MetaHandlersTest, AddTagsOverwritesTheValueOfAnExistingKey) {
    create("s");
    ok(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"env", "test"}}}});
    ok(h::add_tags_to_stream, {{"StreamARN", arn("s")}, {"Tags", {{"env", "prod"}}}});
    EXPECT_EQ(ok(h::list_tags_for_stream, {{"StreamName", "s"}})["Tags"],
              tags_json({{"env", "prod"}}));
}

TEST_F(MetaHandlersTest, ListTagsPagesWithLimitAndExclusiveStartTagKey) {
    create("s");
    ok(h::add_tags_to_stream,
       {{"StreamName", "s"}, {"Tags", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}});
    auto page = ok(h::list_tags_for_stream, {{"StreamName", "s"}, {"Limit", 2}});
    EXPECT_EQ(page["Tags"], tags_json({{"a", "1"}, {"b", "2"}}));
    EXPECT_EQ(page["HasMoreTags"], true);
    page = ok(h::list_tags_for_stream, {{"StreamName", "s"}, {"ExclusiveStartTagKey", "b"}});
    EXPECT_EQ(page["Tags"], tags_json({{"c", "3"}}));
    EXPECT_EQ(page["HasMoreTags"], false);
}

TEST_F(MetaHandlersTest, ListTagsLimitAboveFiftyFailsValidation) {
    create("s");
    expect_error(call(h::list_tags_for_stream, {{"StreamName", "s"}, {"Limit", 51}}),
                 "ValidationException",
                 "1 validation error detected: Value '51' at 'limit' failed to satisfy "
                 "constraint: Member must have value less than or equal to 50");
}

TEST_F(MetaHandlersTest, RemoveTagsIgnoresKeysThatAreNotThere) {
    create("s");
    ok(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"a", "1"}, {"b", "2"}}}});
    ok(h::remove_tags_from_stream, {{"StreamName", "s"}, {"TagKeys", {"a", "nonexistent"}}});
    EXPECT_EQ(ok(h::list_tags_for_stream, {{"StreamName", "s"}})["Tags"], tags_json({{"b", "2"}}));
}

TEST_F(MetaHandlersTest, TagsOfAMissingStreamAreNotFound) {
    expect_error(call(h::add_tags_to_stream, {{"StreamName", "nope"}, {"Tags", {{"a", "b"}}}}),
                 "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
    expect_error(call(h::list_tags_for_stream, {{"StreamName", "nope"}}),
                 "ResourceNotFoundException");
}

TEST_F(MetaHandlersTest, StreamIsLookedUpBeforeTagCharactersAreChecked) {
    expect_error(call(h::remove_tags_from_stream, {{"StreamName", "nope"}, {"TagKeys", {";"}}}),
                 "ResourceNotFoundException");
}

TEST_F(MetaHandlersTest, InvalidTagCharacterIsInvalidArgument) {
    create("s");
    for (const char* bad : {"bad#key", "tab\there", "comma,", "semi;colon"}) {
        expect_error(call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{bad, "v"}}}}),
                     "InvalidArgumentException",
                     "Some tags contain invalid characters. Valid characters: Unicode letters, "
                     "digits, white space, _ . / = + - % @.");
    }
    expect_error(call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"k", "v;"}}}}),
                 "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, UnicodeLettersAndAllowedSymbolsAreValidTagCharacters) {
    create("s");
    ok(h::add_tags_to_stream, {{"StreamName", "s"},
                               {"Tags",
                                {{"\xc3\xbc"
                                  "0 _.",
                                  "a"},
                                 {"/=+-@:",
                                  "\xc3\xbc"
                                  "0 _./=+-@"}}}});
    EXPECT_EQ(ok(h::list_tags_for_stream, {{"StreamName", "s"}})["Tags"].size(), 2u);
}

TEST_F(MetaHandlersTest, PercentInTagIsRejectedWithItsOwnMessage) {
    create("s");
    expect_error(call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"a%b", "1"}}}}),
                 "InvalidArgumentException",
                 "Failed to add tags to stream s under account 000000000000 because some tags "
                 "contained illegal characters. The allowed characters are Unicode letters, "
                 "white-spaces, '_',',','/','=','+','-','@'.");
    expect_error(call(h::remove_tags_from_stream, {{"StreamName", "s"}, {"TagKeys", {"a%b"}}}),
                 "InvalidArgumentException",
                 "Failed to remove tags from stream s under account 000000000000 because some "
                 "tags contained illegal characters. The allowed characters are Unicode letters, "
                 "white-spaces, '_',',','/','=','+','-','@'.");
}

TEST_F(MetaHandlersTest, MoreThanFiftyTagsOnAStreamIsInvalidArgument) {
    create("s");
    json tags = json::object();
    for (int i = 0; i < 50; ++i) tags["k" + std::to_string(i)] = "v";
    ok(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", tags}});
    ok(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"k7", "overwrite is fine"}}}});
    expect_error(
        call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"one-too-many", "v"}}}}),
        "InvalidArgumentException",
        "Failed to add tags to stream s under account 000000000000 because a given "
        "stream cannot have more than 50 tags associated with it.");
}

TEST_F(MetaHandlersTest, TagMapClausesComeBeforeStreamNameClauses) {
    std::string long_name(129, 'n');
    expect_error(call(h::add_tags_to_stream, {{"StreamName", long_name}, {"Tags", json::object()}}),
                 "ValidationException",
                 "2 validation errors detected: Value '{}' at 'tags' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1; Value '" +
                     long_name +
                     "' at 'streamName' failed to satisfy constraint: Member must have length "
                     "less than or equal to 128");
}

TEST_F(MetaHandlersTest, LongTagKeyUsesCoralsMapKeysWording) {
    std::string key(129, 'a');
    expect_error(
        call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"a", "1"}, {key, "3"}}}}),
        "ValidationException",
        "1 validation error detected: Value '{a=1, " + key +
            "=3}' at 'tags' failed to satisfy constraint: Map keys must satisfy "
            "constraint: [Member must have length less than or equal to 128, Member "
            "must have length greater than or equal to 1]");
}

TEST_F(MetaHandlersTest, LongTagValueUsesCoralsMapValueWording) {
    std::string value(257, 'v');
    expect_error(call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", {{"c", value}}}}),
                 "ValidationException",
                 "1 validation error detected: Value '{c=" + value +
                     "}' at 'tags' failed to satisfy constraint: Map value must satisfy "
                     "constraint: [Member must have length less than or equal to 256, Member "
                     "must have length greater than or equal to 0]");
}

TEST_F(MetaHandlersTest, MoreThanFiftyTagKeysFailsValidation) {
    json keys = json::array();
    for (int i = 0; i < 51; ++i) keys.push_back("k");
    auto r = call(h::remove_tags_from_stream, {{"StreamName", "s"}, {"TagKeys", keys}});
    expect_error(r, "ValidationException");
    EXPECT_NE(r.error().message.find("at 'tagKeys' failed to satisfy constraint: Member must have "
                                     "length less than or equal to 50"),
              std::string::npos);
}

TEST_F(MetaHandlersTest, MissingTagsIsAValidationErrorBeforeTheMissingStreamName) {
    expect_error(call(h::add_tags_to_stream, json::object()), "ValidationException",
                 "1 validation error detected: Value null at 'tags' failed to satisfy "
                 "constraint: Member must not be null");
}

TEST_F(MetaHandlersTest, TagsWithoutStreamNameOrArnIsInvalidArgument) {
    expect_error(call(h::add_tags_to_stream, {{"Tags", {{"a", "b"}}}}), "InvalidArgumentException",
                 "Either StreamName or StreamARN should be provided.");
}

TEST_F(MetaHandlersTest, TagsOfTheWrongTypeIsSerializationException) {
    expect_error(call(h::add_tags_to_stream, {{"StreamName", "s"}, {"Tags", json::array({"a"})}}),
                 "SerializationException", "Start of list found where not expected.");
}

TEST_F(MetaHandlersTest, TagResourceOnAStreamIsSeenByListTagsForStream) {
    create("s");
    ok(h::tag_resource, {{"ResourceARN", arn("s")}, {"Tags", {{"x", "1"}, {"y", "2"}}}});
    EXPECT_EQ(ok(h::list_tags_for_resource, {{"ResourceARN", arn("s")}})["Tags"],
              tags_json({{"x", "1"}, {"y", "2"}}));
    EXPECT_EQ(ok(h::list_tags_for_stream, {{"StreamName", "s"}})["Tags"].size(), 2u);
}

TEST_F(MetaHandlersTest, UntagResourceRemovesTheKeys) {
    create("s");
    ok(h::tag_resource, {{"ResourceARN", arn("s")}, {"Tags", {{"x", "1"}, {"y", "2"}}}});
    ok(h::untag_resource, {{"ResourceARN", arn("s")}, {"TagKeys", {"x"}}});
    EXPECT_EQ(ok(h::list_tags_for_resource, {{"ResourceARN", arn("s")}})["Tags"],
              tags_json({{"y", "2"}}));
}

TEST_F(MetaHandlersTest, TagResourceOnAConsumerArnTagsOnlyTheConsumer) {
    create("s");
    std::string carn = register_consumer("s", "c");
    ok(h::tag_resource, {{"ResourceARN", carn}, {"Tags", {{"app", "it"}}}});
    EXPECT_EQ(ok(h::list_tags_for_resource, {{"ResourceARN", carn}})["Tags"],
              tags_json({{"app", "it"}}));
    EXPECT_EQ(ok(h::list_tags_for_resource, {{"ResourceARN", arn("s")}})["Tags"], json::array());
    ok(h::untag_resource, {{"ResourceARN", carn}, {"TagKeys", {"app"}}});
    EXPECT_EQ(ok(h::list_tags_for_resource, {{"ResourceARN", carn}})["Tags"], json::array());
}

TEST_F(MetaHandlersTest, ResourceTagsOfMissingStreamOrConsumerAreNotFound) {
    create("s");
    expect_error(call(h::list_tags_for_resource, {{"ResourceARN", arn("nope")}}),
                 "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
    expect_error(call(h::tag_resource,
                      {{"ResourceARN", consumer_arn("s", "ghost")}, {"Tags", {{"a", "b"}}}}),
                 "ResourceNotFoundException",
                 "Consumer ghost under stream s and account 000000000000 not found.");
}

TEST_F(MetaHandlersTest, ResourceArnMustMatchThePattern) {
    expect_error(call(h::list_tags_for_resource, {{"ResourceARN", "not-an-arn"}}),
                 "ValidationException",
                 "1 validation error detected: Value 'not-an-arn' at 'resourceARN' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: "
                 "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+");
}

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

// ------------------------------------------------------------------------------------------
// Enhanced monitoring and encryption

TEST_F(MetaHandlersTest, EnableMonitoringReportsMetricsBeforeAndAfter) {
    create("s");
    auto out =
        ok(h::enable_enhanced_monitoring,
           {{"StreamName", "s"}, {"ShardLevelMetrics", {"OutgoingRecords", "IncomingBytes"}}});
    EXPECT_EQ(out, json({{"StreamName", "s"},
                         {"StreamARN", arn("s")},
                         {"CurrentShardLevelMetrics", json::array()},
                         {"DesiredShardLevelMetrics", {"IncomingBytes", "OutgoingRecords"}}}));
    out = ok(h::enable_enhanced_monitoring,
             {{"StreamARN", arn("s")}, {"ShardLevelMetrics", {"IncomingRecords"}}});
    EXPECT_EQ(out["CurrentShardLevelMetrics"], json({"IncomingBytes", "OutgoingRecords"}));
    EXPECT_EQ(out["DesiredShardLevelMetrics"],
              json({"IncomingBytes", "IncomingRecords", "OutgoingRecords"}));
    EXPECT_EQ(store_->find("s")->shard_level_metrics.size(), 3u);
}

TEST_F(MetaHandlersTest, AllStandsForTheSevenMetrics) {
    create("s");
    auto out =
        ok(h::enable_enhanced_monitoring, {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
    EXPECT_EQ(out["DesiredShardLevelMetrics"],
              json({"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                    "IteratorAgeMilliseconds"}));
    out = ok(h::disable_enhanced_monitoring, {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
    EXPECT_EQ(out["CurrentShardLevelMetrics"].size(), 7u);
    EXPECT_EQ(out["DesiredShardLevelMetrics"], json::array());
}

TEST_F(MetaHandlersTest, DisableMonitoringRemovesOnlyTheNamedMetrics) {
    create("s");
    ok(h::enable_enhanced_monitoring,
       {{"StreamName", "s"}, {"ShardLevelMetrics", {"IncomingBytes", "OutgoingBytes"}}});
    auto out = ok(h::disable_enhanced_monitoring,
                  {{"StreamName", "s"}, {"ShardLevelMetrics", {"OutgoingBytes"}}});
    EXPECT_EQ(out["DesiredShardLevelMetrics"], json({"IncomingBytes"}));
}

TEST_F(MetaHandlersTest, UnknownMetricFailsEnumValidation) {
    create("s");
    expect_error(call(h::enable_enhanced_monitoring,
                      {{"StreamName", "s"}, {"ShardLevelMetrics", {"Bogus"}}}),
                 "ValidationException",
                 "1 validation error detected: Value '[Bogus]' at 'shardLevelMetrics' failed to "
                 "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum "
                 "value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
                 "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
                 "IteratorAgeMilliseconds, ALL]]");
}

TEST_F(MetaHandlersTest, MetricListMustHaveOneToSevenEntries) {
    create("s");
    expect_error(call(h::enable_enhanced_monitoring,
                      {{"StreamName", "s"}, {"ShardLevelMetrics", json::array()}}),
                 "ValidationException",
                 "1 validation error detected: Value '[]' at 'shardLevelMetrics' failed to "
                 "satisfy constraint: Member must have length greater than or equal to 1");
    expect_error(call(h::enable_enhanced_monitoring, {{"StreamName", "s"}}), "ValidationException",
                 "1 validation error detected: Value null at 'shardLevelMetrics' failed to "
                 "satisfy constraint: Member must not be null");
}

TEST_F(MetaHandlersTest, StartAndStopEncryptionChangeTheStreamsEncryption) {
    create("s");
    ok(h::start_stream_encryption,
       {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "alias/aws/kinesis"}});
    EXPECT_EQ(store_->find("s")->encryption_type, "KMS");
    EXPECT_EQ(store_->find("s")->key_id, "alias/aws/kinesis");
    ok(h::stop_stream_encryption,
       {{"StreamARN", arn("s")}, {"EncryptionType", "KMS"}, {"KeyId", "alias/aws/kinesis"}});
    EXPECT_EQ(store_->find("s")->encryption_type, "NONE");
    EXPECT_EQ(store_->find("s")->key_id, "");
}

TEST_F(MetaHandlersTest, EncryptionTypeNoneIsInvalidArgument) {
    create("s");
    expect_error(call(h::start_stream_encryption,
                      {{"StreamName", "s"}, {"EncryptionType", "NONE"}, {"KeyId", "k"}}),
                 "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, EncryptionNeedsTypeAndKeyId) {
    create("s");
    expect_error(call(h::start_stream_encryption, {{"StreamName", "s"}, {"EncryptionType", "AES"}}),
                 "ValidationException",
                 "2 validation errors detected: Value 'AES' at 'encryptionType' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [NONE, KMS]; Value "
                 "null at 'keyId' failed to satisfy constraint: Member must not be null");
}

TEST_F(MetaHandlersTest, EncryptionOfAMissingStreamIsNotFound) {
    expect_error(call(h::start_stream_encryption,
                      {{"StreamName", "nope"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}}),
                 "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
}

TEST_F(MetaHandlersTest, WithAStatusDelayAChangeLeavesTheStreamUpdatingForAWhile) {
    status_delay_ms_ = 500;
    open();
    create("s");
    ok(h::enable_enhanced_monitoring, {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
    EXPECT_EQ(store_->find("s")->status, store::StreamStatus::updating);
    expect_error(call(h::start_stream_encryption,
                      {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}}),
                 "ResourceInUseException",
                 "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING");
    settle();
    EXPECT_EQ(store_->find("s")->status, store::StreamStatus::active);
    ok(h::start_stream_encryption,
       {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}});
}

// ------------------------------------------------------------------------------------------
// Limits and account settings

TEST_F(MetaHandlersTest, DescribeLimitsCountsOpenShardsAndOnDemandStreams) {
    create("a", 2);
    create("b", 3, true);
    EXPECT_EQ(ok(h::describe_limits, json::object()), json({{"ShardLimit", 20000},
                                                            {"OpenShardCount", 5},
                                                            {"OnDemandStreamCount", 1},
                                                            {"OnDemandStreamCountLimit", 50}}));
}

TEST_F(MetaHandlersTest, TheBillingCommitmentStartsDisabled) {
    EXPECT_EQ(ok(h::describe_account_settings, json::object()),
              json({{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}}));
}

TEST_F(MetaHandlersTest, EnablingTheCommitmentStartsItsTwentyFourHourWindow) {
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    json want = {{"MinimumThroughputBillingCommitment",
                  {{"Status", "ENABLED"},
                   {"StartedAt", kStart},
                   {"EarliestAllowedEndAt", kStart + 24 * 1000}}}};
    EXPECT_EQ(out, want);
    EXPECT_EQ(ok(h::describe_account_settings, json::object()), want);
}

TEST_F(MetaHandlersTest, DisablingWithinTheWindowSchedulesTheEnd) {
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    now_ += 1000;
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}});
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["Status"],
              "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
    now_ = kStart + 24 * 1000;
    out = ok(h::describe_account_settings, json::object());
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"],
              json({{"Status", "DISABLED"},
                    {"StartedAt", kStart},
                    {"EndedAt", kStart + 24 * 1000},
                    {"EarliestAllowedEndAt", kStart + 24 * 1000}}));
}

TEST_F(MetaHandlersTest, DisablingAfterTheWindowEndsTheCommitmentAtOnce) {
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    now_ += 30 * 1000;
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}});
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["Status"], "DISABLED");
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["EndedAt"], now_);
}

TEST_F(MetaHandlersTest, EnablingAgainCancelsAScheduledEnd) {
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}});
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["Status"], "ENABLED");
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["StartedAt"], kStart);
    now_ += 100 * 1000;
    EXPECT_EQ(ok(h::describe_account_settings,
                 json::object())["MinimumThroughputBillingCommitment"]["Status"],
              "ENABLED");
}

TEST_F(MetaHandlersTest, UpdateAccountSettingsValidatesTheStatus) {
    expect_error(call(h::update_account_settings, json::object()), "ValidationException",
                 "1 validation error detected: Value null at 'minimumThroughputBillingCommitment' "
                 "failed to satisfy constraint: Member must not be null");
    expect_error(
        call(h::update_account_settings, {{"MinimumThroughputBillingCommitment",
                                           {{"Status", "ENABLED_UNTIL_EARLIEST_ALLOWED_END"}}}}),
        "ValidationException",
        "1 validation error detected: Value 'ENABLED_UNTIL_EARLIEST_ALLOWED_END' at "
        "'minimumThroughputBillingCommitment.status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ENABLED, DISABLED]");
}

// ------------------------------------------------------------------------------------------
// Record size, warm throughput, capacity mode

TEST_F(MetaHandlersTest, UpdateMaxRecordSizeStoresTheNewSize) {
    create("s");
    ok(h::update_max_record_size, {{"StreamARN", arn("s")}, {"MaxRecordSizeInKiB", 2048}});
    EXPECT_EQ(store_->find("s")->max_record_kib, 2048);
}

TEST_F(MetaHandlersTest, MaxRecordSizeOutsideItsRangeIsValidationException) {
    create("s");
    expect_error(
        call(h::update_max_record_size, {{"StreamARN", arn("s")}, {"MaxRecordSizeInKiB", 512}}),
        "ValidationException",
        "1 validation error detected: Value '512' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1024");
    expect_error(
        call(h::update_max_record_size, {{"StreamARN", arn("s")}, {"MaxRecordSizeInKiB", 10241}}),
        "ValidationException");
}

TEST_F(MetaHandlersTest, WarmThroughputOnAProvisionedStreamIsInvalidArgument) {
    create("s");
    expect_error(
        call(h::update_stream_warm_throughput, {{"StreamName", "s"}, {"WarmThroughputMiBps", 10}}),
        "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, WarmThroughputOnAnOnDemandStreamReturnsTheTarget) {
    create("s", 4, true);
    auto out =
        ok(h::update_stream_warm_throughput, {{"StreamName", "s"}, {"WarmThroughputMiBps", 10}});
    EXPECT_EQ(out, json({{"StreamARN", arn("s")},
                         {"StreamName", "s"},
                         {"WarmThroughput", {{"TargetMiBps", 10}, {"CurrentMiBps", 10}}}}));
    EXPECT_EQ(store_->find("s")->warm_throughput_mibps, 10);
}

TEST_F(MetaHandlersTest, NegativeWarmThroughputFailsValidation) {
    create("s", 4, true);
    expect_error(
        call(h::update_stream_warm_throughput, {{"StreamName", "s"}, {"WarmThroughputMiBps", -1}}),
        "ValidationException",
        "1 validation error detected: Value '-1' at 'warmThroughputMiBps' failed to "
        "satisfy constraint: Member must have value greater than or equal to 0");
}

TEST_F(MetaHandlersTest, UpdateStreamModeSwitchesBetweenModes) {
    create("s", 2);
    ok(h::update_stream_mode, {{"StreamARN", arn("s")},
                               {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}},
                               {"WarmThroughputMiBps", 20}});
    EXPECT_TRUE(store_->find("s")->on_demand);
    EXPECT_EQ(store_->find("s")->warm_throughput_mibps, 20);
    ok(h::update_stream_mode,
       {{"StreamARN", arn("s")}, {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}}});
    EXPECT_FALSE(store_->find("s")->on_demand);
    EXPECT_EQ(store_->find("s")->warm_throughput_mibps, 0);
    EXPECT_EQ(store_->find("s")->open_shard_count(), 2u);
}

TEST_F(MetaHandlersTest, SwitchingPastTheOnDemandStreamQuotaIsLimitExceeded) {
    on_demand_limit_ = 1;
    open();
    create("a", 1, true);
    create("b");
    expect_error(
        call(h::update_stream_mode,
             {{"StreamARN", arn("b")}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}}),
        "LimitExceededException",
        "This request would exceed the on-demand stream limit of 1 for account "
        "000000000000.");
}

TEST_F(MetaHandlersTest, UpdateStreamModeRequiresStreamArnAndMode) {
    expect_error(call(h::update_stream_mode, {{"StreamModeDetails", json::object()}}),
                 "ValidationException",
                 "2 validation errors detected: Value null at 'streamARN' failed to satisfy "
                 "constraint: Member must not be null; Value null at "
                 "'streamModeDetails.streamMode' failed to satisfy constraint: Member must not "
                 "be null");
}

TEST_F(MetaHandlersTest, WarmThroughputWhenSwitchingToProvisionedIsInvalidArgument) {
    create("s", 1, true);
    expect_error(
        call(h::update_stream_mode, {{"StreamARN", arn("s")},
                                     {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}},
                                     {"WarmThroughputMiBps", 5}}),
        "InvalidArgumentException");
}

// ------------------------------------------------------------------------------------------
// Resource policies

const std::string kPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kinesis:GetRecords","Resource":"*"}]})";

TEST_F(MetaHandlersTest, PutThenGetThenDeleteAStreamPolicy) {
    create("s");
    ok(h::put_resource_policy, {{"ResourceARN", arn("s")}, {"Policy", kPolicy}});
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", arn("s")}}), json({{"Policy", kPolicy}}));
    ok(h::delete_resource_policy, {{"ResourceARN", arn("s")}});
    EXPECT_FALSE(store_->find("s")->policy);
}

TEST_F(MetaHandlersTest, GetPolicyOfAResourceWithoutOneIsAnEmptyDocument) {
    create("s");
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", arn("s")}}), json({{"Policy", "{}"}}));
}

TEST_F(MetaHandlersTest, DeletingAMissingPolicyIsNotFound) {
    create("s");
    expect_error(call(h::delete_resource_policy, {{"ResourceARN", arn("s")}}),
                 "ResourceNotFoundException",
                 "No resource policy found for resource ARN " + arn("s") + ".");
}

TEST_F(MetaHandlersTest, APolicyThatIsNotAJsonObjectIsInvalidArgument) {
    create("s");
    for (const char* bad : {"not json", "[1,2]", "{\"Version\":"})
        expect_error(call(h::put_resource_policy, {{"ResourceARN", arn("s")}, {"Policy", bad}}),
                     "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, AConsumerHasItsOwnPolicy) {
    create("s");
    std::string carn = register_consumer("s", "c");
    ok(h::put_resource_policy, {{"ResourceARN", carn}, {"Policy", kPolicy}});
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", carn}})["Policy"], kPolicy);
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", arn("s")}})["Policy"], "{}");
}

TEST_F(MetaHandlersTest, PolicyOfAMissingResourceIsNotFound) {
    create("s");
    expect_error(call(h::put_resource_policy, {{"ResourceARN", arn("nope")}, {"Policy", kPolicy}}),
                 "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
    expect_error(call(h::get_resource_policy, {{"ResourceARN", consumer_arn("s", "ghost")}}),
                 "ResourceNotFoundException");
}

TEST_F(MetaHandlersTest, PutPolicyRequiresResourceArnAndPolicy) {
    expect_error(call(h::put_resource_policy, json::object()), "ValidationException",
                 "2 validation errors detected: Value null at 'resourceARN' failed to satisfy "
                 "constraint: Member must not be null; Value null at 'policy' failed to satisfy "
                 "constraint: Member must not be null");
}

}  // namespace
}  // namespace tributary::collector::api
