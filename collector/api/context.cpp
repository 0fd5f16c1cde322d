#include "collector/api/context.h"

namespace tributary::collector::api {

Result<std::optional<std::string>> Context::stream_name(const Input& in, Validator& v) const {
    TRIB_TRY(auto name, in.string("StreamName"));
    TRIB_TRY(auto arn, in.string("StreamARN"));
    v.string("streamName", name, {.min = 1, .max = 128, .pattern = Pattern::name});
    v.string("streamARN", arn, {.min = 1, .max = 2048, .pattern = Pattern::stream_arn});
    // Errors about how the two combine wait until every member passed validation.
    if (arn && matches(Pattern::stream_arn, *arn)) {
        std::string from_arn = arn->substr(arn->find(":stream/") + 8);
        if (name && *name != from_arn)
            v.defer(Error{make_error_code(store::errc::invalid_argument),
                          "StreamARN " + *arn + " does not match StreamName " + *name + "."});
        return std::optional<std::string>(from_arn);
    }
    if (!name && !arn)
        v.defer(Error{make_error_code(store::errc::invalid_argument),
                      "Either StreamName or StreamARN should be provided."});
    return name;
}

Result<std::shared_ptr<const store::StreamMeta>> Context::stream(const std::string& name) const {
    auto m = store.find(name);
    if (!m || m->status == store::StreamStatus::creating)
        return fail(store::errc::resource_not_found, not_found(name));
    return m;
}

std::string Context::not_found(std::string_view name) const {
    return "Stream " + std::string(name) + " under account " + options.account_id +
           " not found.";
}

std::string Context::consumer_arn(std::string_view stream, std::string_view consumer,
                                  uint64_t created_ms) const {
    return "arn:aws:kinesis:" + options.region + ":" + options.account_id + ":stream/" +
           std::string(stream) + "/consumer/" + std::string(consumer) + ":" +
           std::to_string(created_ms / 1000);
}

json Context::shard_json(const store::ShardMeta& s) const {
    json j = {{"ShardId", s.id().to_string()},
              {"HashKeyRange",
               {{"StartingHashKey", s.start.to_string()}, {"EndingHashKey", s.end.to_string()}}}};
    if (s.parent) j["ParentShardId"] = store::ShardId(*s.parent).to_string();
    if (s.adjacent_parent) j["AdjacentParentShardId"] = store::ShardId(*s.adjacent_parent).to_string();
    json range = {{"StartingSequenceNumber", s.starting_sequence().to_string()}};
    if (s.closed_ms) range["EndingSequenceNumber"] = s.ending_sequence().to_string();
    j["SequenceNumberRange"] = std::move(range);
    return j;
}

}  // namespace tributary::collector::api
