#include "shared/wire/topic.h"

#include <gtest/gtest.h>

#include <vector>

namespace tributary::wire {
namespace {

TEST(WireTopic, ParsesDeviceAndStreamFromAPutTopic) {
    auto t = parse_put_topic("tributary/v1/sensor-17.eu_west/put/app.logs-2");
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->device, "sensor-17.eu_west");
    EXPECT_EQ(t->stream, "app.logs-2");
}

TEST(WireTopic, RejectsTopicsOutsideTheGrammar) {
    std::string long_id(129, 'd');
    for (std::string topic : std::vector<std::string>{
             "", "tributary/v1/", "tributary/v1/dev", "tributary/v1/dev/put/",
             "tributary/v1//put/s", "tributary/v1/dev/put/s/extra", "tributary/v1/dev/ack",
             "tributary/v2/dev/put/s", "Tributary/v1/dev/put/s", "/tributary/v1/dev/put/s",
             "tributary/v1/dev/get/s", "tributary/v1/d+v/put/s", "tributary/v1/dev/put/#",
             "tributary/v1/$dev/put/s", "tributary/v1/d\xc3\xa9v/put/s", "tributary/v1/dev/put/s p",
             "tributary/v1/" + long_id + "/put/s", "tributary/v1/dev/put/" + long_id}) {
        auto t = parse_put_topic(topic);
        ASSERT_FALSE(t) << topic;
        EXPECT_EQ(t.error().code, make_error_code(errc::bad_topic)) << topic;
    }
}

TEST(WireTopic, AcceptsIdsOf128Characters) {
    std::string id(128, 'd');
    EXPECT_TRUE(parse_put_topic("tributary/v1/" + id + "/put/" + id));
}

TEST(WireTopic, BuildsPutAndAckTopicsThatParseBack) {
    auto put = put_topic("dev-1", "stream");
    ASSERT_TRUE(put);
    EXPECT_EQ(*put, "tributary/v1/dev-1/put/stream");
    auto back = parse_put_topic(*put);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->device, "dev-1");
    EXPECT_EQ(*ack_topic("dev-1"), "tributary/v1/dev-1/ack");
}

TEST(WireTopic, RefusesToBuildTopicsFromBadIds) {
    EXPECT_FALSE(put_topic("a/b", "s"));
    EXPECT_FALSE(put_topic("a", "s/t"));
    EXPECT_FALSE(put_topic("a", ""));
    EXPECT_FALSE(ack_topic("+"));
    EXPECT_FALSE(ack_topic(""));
}

TEST(WireTopic, SharedSubscriptionNamesTheGroup) {
    EXPECT_EQ(*shared_put_subscription("collectors"), "$share/collectors/tributary/v1/+/put/+");
    EXPECT_FALSE(shared_put_subscription(""));
    EXPECT_FALSE(shared_put_subscription("a/b"));
    EXPECT_FALSE(shared_put_subscription("a+"));
}

}  // namespace
}  // namespace tributary::wire
