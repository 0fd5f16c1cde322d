// ListShards for the HTTPS sink: the request and the answer (see wire.h). A rare call (once
// per flow every few seconds), so plain nlohmann::json is fine here.

#include <nlohmann/json.hpp>

#include "agent/sinks/https/wire.h"

namespace tributary::agent::sinks::https {
namespace {

using nlohmann::json;

tl::unexpected<Error> failed(std::string message) {
    return fail(errc::list_shards_failed, std::move(message));
}

bool is_decimal(const std::string& s) {
    return !s.empty() && s.size() <= 39 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Result<Request> build_list_shards_request(const Endpoint& endpoint, const Options& options,
                                          std::string_view stream, std::string_view next_token,
                                          aws::Clock::time_point now) {
    if (options.api != Api::kinesis)
        return fail(errc::invalid_option, "ListShards is a Kinesis call");
    json body = next_token.empty()
                    ? json{{"StreamName", std::string(stream)},
                           {"ShardFilter", {{"Type", "AT_LATEST"}}}}
                    : json{{"NextToken", std::string(next_token)}};
    Request out;
    out.target = endpoint.path;
    out.body = body.dump();
    aws::HttpRequest req{"POST", endpoint.path, {}, out.body};
    req.headers = {
        {"Host", endpoint.host_header()},
        {"Content-Type", std::string(content_type)},
        {"X-Amz-Target", "Kinesis_20131202.ListShards"},
        {"User-Agent", options.user_agent},
    };
    if (!options.credentials.access_key_id.empty())
        aws::sign(req, options.credentials, options.region, "kinesis", now);
    out.headers = std::move(req.headers);
    return out;
}

Result<ShardsPage> parse_list_shards(int http_status, std::string_view error_type_header,
                                     std::string_view body) {
    json doc = json::parse(body, nullptr, false);
    if (http_status != 200) {
        std::string type = normalize_error_type(error_type_header);
        std::string message;
        if (doc.is_object()) {
            if (type.empty() && doc.contains("__type") && doc["__type"].is_string())
                type = normalize_error_type(doc["__type"].get<std::string>());
            for (const char* key : {"message", "Message"})
                if (doc.contains(key) && doc[key].is_string()) message = doc[key].get<std::string>();
        }
        return failed((type.empty() ? "HTTP " + std::to_string(http_status) : type) +
                      (message.empty() ? "" : ": " + message));
    }
    if (!doc.is_object() || !doc.contains("Shards") || !doc["Shards"].is_array())
        return failed("malformed ListShards answer: no Shards array");
    ShardsPage page;
    for (const json& s : doc["Shards"]) {
        if (!s.is_object() || !s.contains("ShardId") || !s["ShardId"].is_string() ||
            !s.contains("HashKeyRange") || !s["HashKeyRange"].is_object())
            return failed("malformed ListShards answer: a shard without ShardId or HashKeyRange");
        const json& range = s["HashKeyRange"];
        ShardInfo info;
        info.shard_id = s["ShardId"].get<std::string>();
        if (range.contains("StartingHashKey") && range["StartingHashKey"].is_string())
            info.starting_hash_key = range["StartingHashKey"].get<std::string>();
        if (range.contains("EndingHashKey") && range["EndingHashKey"].is_string())
            info.ending_hash_key = range["EndingHashKey"].get<std::string>();
        if (!is_decimal(info.starting_hash_key) || !is_decimal(info.ending_hash_key))
            return failed("malformed ListShards answer: shard " + info.shard_id +
                          " has no decimal hash key range");
        // AT_LATEST lists open shards only; a server that ignores the filter still marks
        // closed ones with an ending sequence number.
        if (s.contains("SequenceNumberRange") && s["SequenceNumberRange"].is_object() &&
            s["SequenceNumberRange"].contains("EndingSequenceNumber"))
            continue;
        page.shards.push_back(std::move(info));
    }
    if (doc.contains("NextToken") && doc["NextToken"].is_string())
        page.next_token = doc["NextToken"].get<std::string>();
    return page;
}

}  // namespace tributary::agent::sinks::https
