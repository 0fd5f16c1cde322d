#include "collector/api/next_token.h"

#include "shared/encoding/base64.h"

namespace tributary::collector::api {

std::string encode_next_token(const Context& ctx, std::string_view op, json position) {
    position["op"] = op;
    position["at"] = ctx.now_ms();
    return encoding::base64_encode(position.dump());
}

Result<json> decode_next_token(const Context& ctx, std::string_view token, std::string_view op) {
    auto invalid = [&] {
        return fail(store::errc::invalid_argument, "Invalid NextToken: " + std::string(token));
    };
    auto raw = encoding::base64_decode(token);
    if (!raw) return invalid();
    json pos = json::parse(*raw, nullptr, false);
    if (pos.is_discarded() || !pos.is_object() || pos.value("op", std::string()) != op ||
        !pos.contains("at") || !pos["at"].is_number_unsigned())
        return invalid();
    if (pos["at"].get<uint64_t>() + ctx.options.next_token_ttl_ms < ctx.now_ms())
        return fail(store::errc::expired_next_token,
                    "The timestamp in the NextToken has expired. NextToken: " + std::string(token));
    try {
        // Validate the position members the callers read.
        if (op == "ListShards") {
            (void)pos.at("stream").get<std::string>();
            (void)pos.at("after").get<uint32_t>();
        } else if (pos.contains("after") && !pos["after"].is_string() &&
                   !pos["after"].is_number()) {
            return invalid();
        }
    } catch (const std::exception&) {
        return invalid();
    }
    return pos;
}

}  // namespace tributary::collector::api
