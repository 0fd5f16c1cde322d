// Tag handlers: AddTagsToStream, RemoveTagsFromStream, ListTagsForStream, Tag/Untag/ListTagsForResource.
#include "collector/api/handlers_test_fixture.h"

namespace tributary::collector::api {
namespace {

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


}  // namespace
}  // namespace tributary::collector::api
