#pragma once
// MQTT topic names of protocol v1 (docs/mqtt.md, "Topics"):
//   tributary/v1/<device>/put/<stream>   requests, published by the device
//   tributary/v1/<device>/ack            answers, published by the collector
// Device ids are [A-Za-z0-9._-]{1,128}, stream names Kinesis' [a-zA-Z0-9_.-]{1,128}: neither
// can hold '/', '+', '#' or '$', so one topic level is exactly one id and a broker ACL pattern
// (%u, %c) confines a device to its own topics. Pure functions; safe from any thread.

#include <string>
#include <string_view>

#include "shared/result.h"
#include "shared/wire/errc.h"

namespace tributary::wire {

inline constexpr std::string_view kTopicRoot = "tributary/v1/";

bool is_device_id(std::string_view s);
bool is_stream_name(std::string_view s);

struct PutTopic {
    std::string_view device;  // views into the topic parsed
    std::string_view stream;
};

// Errors: bad_topic (not tributary/v1/<device>/put/<stream>, or an id breaking its grammar).
Result<PutTopic> parse_put_topic(std::string_view topic);
// Errors: bad_topic (device id or stream name breaking its grammar).
Result<std::string> put_topic(std::string_view device, std::string_view stream);
Result<std::string> ack_topic(std::string_view device);
// The collector's subscription: $share/<group>/tributary/v1/+/put/+. Errors: bad_topic (group
// empty or holding '/', '+' or '#').
Result<std::string> shared_put_subscription(std::string_view group);

}  // namespace tributary::wire
