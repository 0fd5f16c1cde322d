#include "shared/wire/topic.h"

namespace tributary::wire {
namespace {

bool id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool is_id(std::string_view s) {
    if (s.empty() || s.size() > 128) return false;
    for (char c : s) {
        if (!id_char(c)) return false;
    }
    return true;
}

std::string quoted(std::string_view s) {
    // Topics are UTF-8 of any content; cap what goes into a log line.
    constexpr size_t kShown = 200;
    std::string q = "'" + std::string(s.substr(0, kShown)) + "'";
    if (s.size() > kShown) q += "...";
    return q;
}

Result<void> check(std::string_view device, std::string_view stream) {
    if (!is_device_id(device))
        return fail(errc::bad_topic, "device id " + quoted(device) +
                                         " must be 1 to 128 characters of [A-Za-z0-9._-]");
    if (!is_stream_name(stream))
        return fail(errc::bad_topic, "stream name " + quoted(stream) +
                                         " must be 1 to 128 characters of [a-zA-Z0-9_.-]");
    return {};
}

}  // namespace

// The two grammars are the same character set today; they are kept apart because a stream
// name is Kinesis' to define and a device id is ours.
bool is_device_id(std::string_view s) { return is_id(s); }
bool is_stream_name(std::string_view s) { return is_id(s); }

Result<PutTopic> parse_put_topic(std::string_view topic) {
    constexpr std::string_view kPut = "/put/";
    if (!topic.starts_with(kTopicRoot))
        return fail(errc::bad_topic,
                    "topic " + quoted(topic) + " does not start with " + std::string(kTopicRoot));
    std::string_view rest = topic.substr(kTopicRoot.size());
    size_t at = rest.find('/');
    if (at == std::string_view::npos || rest.substr(at, kPut.size()) != kPut)
        return fail(errc::bad_topic,
                    "topic " + quoted(topic) + " is not tributary/v1/<device>/put/<stream>");
    PutTopic t{rest.substr(0, at), rest.substr(at + kPut.size())};
    TRIB_TRY_VOID(check(t.device, t.stream));
    return t;
}

Result<std::string> put_topic(std::string_view device, std::string_view stream) {
    TRIB_TRY_VOID(check(device, stream));
    return std::string(kTopicRoot) + std::string(device) + "/put/" + std::string(stream);
}

Result<std::string> ack_topic(std::string_view device) {
    TRIB_TRY_VOID(check(device, "x"));
    return std::string(kTopicRoot) + std::string(device) + "/ack";
}

Result<std::string> shared_put_subscription(std::string_view group) {
    if (group.empty() || group.find_first_of("/+#") != std::string_view::npos)
        return fail(errc::bad_topic, "share group " + quoted(group) +
                                         " must be non-empty and hold no '/', '+' or '#'");
    return "$share/" + std::string(group) + "/" + std::string(kTopicRoot) + "+/put/+";
}

}  // namespace tributary::wire
