// Stream lifecycle and listing: CreateStream, DeleteStream, DescribeStream(Summary),
// ListStreams, ListShards, and the retention period.

#include "collector/api/errc.h"
#include "collector/api/handlers.h"
#include "collector/api/handlers_detail.h"
#include "collector/api/next_token.h"

namespace tributary::collector::api::handlers {
namespace {

using store::errc;
using store::ShardMeta;
using store::StreamMeta;

json mode_details(const StreamMeta& m) {
    return {{"StreamMode", m.on_demand ? "ON_DEMAND" : "PROVISIONED"}};
}

json enhanced_monitoring(const StreamMeta& m) {
    return json::array({{{"ShardLevelMetrics", m.shard_level_metrics}}});
}

// Shards listed for a stream: none while it is CREATING, as AWS shows.
std::vector<const ShardMeta*> visible_shards(const StreamMeta& m) {
    std::vector<const ShardMeta*> out;
    if (m.status == store::StreamStatus::creating) return out;
    for (const auto& s : m.shards) out.push_back(&s);
    return out;
}

Result<std::shared_ptr<const StreamMeta>> any_stream(Context& ctx, const std::string& name) {
    auto m = ctx.store.find(name);
    if (!m) return fail(errc::resource_not_found, ctx.not_found(name));
    return m;
}

}  // namespace

Result<json> create_stream(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, in.string("StreamName"));
    TRIB_TRY(auto shards, in.integer("ShardCount"));
    TRIB_TRY(const json* mode, in.object("StreamModeDetails"));
    TRIB_TRY(auto max_kib, in.integer("MaxRecordSizeInKiB"));
    TRIB_TRY(auto warm, in.integer("WarmThroughputMiBps"));
    std::optional<std::string> mode_name;
    if (mode) {
        auto it = mode->find("StreamMode");
        if (it != mode->end()) {
            TRIB_TRY(mode_name, Input::string_of(*it));
        }
        v.one_of("streamModeDetails.streamMode", mode_name, true, {"PROVISIONED", "ON_DEMAND"});
    }
    v.integer("shardCount", shards, false, 1, 100000);
    v.string("streamName", name, {.required = true, .min = 1, .max = 128, .pattern = Pattern::name});
    v.integer("maxRecordSizeInKiB", max_kib, false, 1024, 10240);
    v.integer("warmThroughputMiBps", warm, false, 0, std::nullopt);
    TRIB_TRY(auto tags, detail::read_tags(in, "Tags", "tags", false, v));
    TRIB_TRY_VOID(detail::validation_result(v));
    if (tags) {
        std::string failed_to = "create stream " + *name + " under account " +
                                ctx.options.account_id;
        TRIB_TRY_VOID(detail::check_characters(detail::tag_texts(*tags), failed_to));
        TRIB_TRY_VOID(detail::check_tag_count({}, *tags, failed_to, "stream"));
    }
    bool on_demand = mode_name == "ON_DEMAND";
    if (!on_demand && !shards)
        return fail(errc::invalid_argument,
                    "ShardCount cannot be null when creating stream in PROVISIONED StreamMode");
    store::CreateStreamArgs args{.name = *name,
                                 .shard_count = static_cast<uint32_t>(shards.value_or(4)),
                                 .on_demand = on_demand,
                                 .tags = tags.value_or(detail::TagMap{}),
                                 .max_record_kib = static_cast<int>(max_kib.value_or(1024)),
                                 .warm_throughput_mibps = static_cast<int>(warm.value_or(0))};
    if (on_demand && !shards) args.shard_count = 4;
    TRIB_TRY_VOID(ctx.store.create_stream(args));
    return json::object();
}

Result<json> delete_stream(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto enforce, in.boolean("EnforceConsumerDeletion"));
    TRIB_TRY_VOID(v.result());
    TRIB_TRY_VOID(ctx.store.delete_stream(*name, enforce.value_or(false)));
    return json::object();
}

Result<json> describe_stream(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto limit, in.integer("Limit"));
    TRIB_TRY(auto start, in.string("ExclusiveStartShardId"));
    v.integer("limit", limit, false, 1, 10000);
    v.string("exclusiveStartShardId", start, {.min = 1, .max = 128, .pattern = Pattern::name});
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto m, any_stream(ctx, *name));
    size_t max = static_cast<size_t>(std::min<int64_t>(limit.value_or(100), 100));
    std::optional<uint32_t> after;
    if (start) {
        auto id = store::ShardId::parse(*start);
        if (id) after = id->index();
    }
    json shards = json::array();
    bool more = false;
    for (const ShardMeta* s : visible_shards(*m)) {
        if (after && s->index <= *after) continue;
        if (shards.size() == max) {
            more = true;
            break;
        }
        shards.push_back(ctx.shard_json(*s));
    }
    json d = {{"StreamName", m->name},
              {"StreamARN", m->arn},
              {"StreamStatus", to_string(m->status)},
              {"StreamModeDetails", mode_details(*m)},
              {"Shards", std::move(shards)},
              {"HasMoreShards", more},
              {"RetentionPeriodHours", m->retention_hours},
              {"StreamCreationTimestamp", m->created_ms / 1000 * 1000},
              {"EnhancedMonitoring", enhanced_monitoring(*m)},
              {"EncryptionType", m->encryption_type}};
    if (m->encryption_type == "KMS") d["KeyId"] = m->key_id;
    return json{{"StreamDescription", std::move(d)}};
}

Result<json> describe_stream_summary(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto m, any_stream(ctx, *name));
    size_t open = m->status == store::StreamStatus::creating ? 0 : m->open_shard_count();
    json d = {{"StreamName", m->name},
              {"StreamARN", m->arn},
              {"StreamStatus", to_string(m->status)},
              {"StreamModeDetails", mode_details(*m)},
              {"RetentionPeriodHours", m->retention_hours},
              {"StreamCreationTimestamp", m->created_ms / 1000 * 1000},
              {"EnhancedMonitoring", enhanced_monitoring(*m)},
              {"EncryptionType", m->encryption_type},
              {"OpenShardCount", open},
              {"ConsumerCount", m->consumers.size()},
              {"MaxRecordSizeInKiB", m->max_record_kib}};
    if (m->encryption_type == "KMS") d["KeyId"] = m->key_id;
    if (m->on_demand || m->warm_throughput_mibps > 0)
        d["WarmThroughput"] = {{"TargetMiBps", m->warm_throughput_mibps},
                               {"CurrentMiBps", m->warm_throughput_mibps}};
    return json{{"StreamDescriptionSummary", std::move(d)}};
}

Result<json> list_streams(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto limit, in.integer("Limit"));
    TRIB_TRY(auto start, in.string("ExclusiveStartStreamName"));
    TRIB_TRY(auto token, in.string("NextToken"));
    v.integer("limit", limit, false, 1, 10000);
    v.string("exclusiveStartStreamName", start, {.min = 1, .max = 128, .pattern = Pattern::name});
    v.string("nextToken", token, {.min = 1, .max = 1048576});
    TRIB_TRY_VOID(v.result());
    if (token) {
        TRIB_TRY(auto pos, decode_next_token(ctx, *token, "ListStreams"));
        start = pos.at("after").get<std::string>();
    }
    size_t max = static_cast<size_t>(std::min<int64_t>(limit.value_or(100), 100));
    json names = json::array(), summaries = json::array();
    bool more = false;
    for (const auto& m : ctx.store.list()) {
        if (start && m->name <= *start) continue;
        if (names.size() == max) {
            more = true;
            break;
        }
        names.push_back(m->name);
        summaries.push_back({{"StreamName", m->name},
                             {"StreamARN", m->arn},
                             {"StreamStatus", to_string(m->status)},
                             {"StreamModeDetails", mode_details(*m)},
                             {"StreamCreationTimestamp", m->created_ms / 1000 * 1000}});
    }
    json out = {{"StreamNames", names}, {"HasMoreStreams", more}, {"StreamSummaries", summaries}};
    if (more)
        out["NextToken"] = encode_next_token(ctx, "ListStreams", {{"after", names.back()}});
    return out;
}

Result<json> list_shards(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto token, in.string("NextToken"));
    TRIB_TRY(auto start, in.string("ExclusiveStartShardId"));
    TRIB_TRY(auto max_results, in.integer("MaxResults"));
    TRIB_TRY(auto created, in.timestamp_ms("StreamCreationTimestamp"));
    TRIB_TRY(const json* filter, in.object("ShardFilter"));
    std::optional<std::string> name;
    bool named = in.has("StreamName") || in.has("StreamARN");
    if (named) {
        TRIB_TRY(name, ctx.stream_name(in, v));
    }
    v.string("nextToken", token, {.min = 1, .max = 1048576});
    v.string("exclusiveStartShardId", start, {.min = 1, .max = 128, .pattern = Pattern::name});
    v.integer("maxResults", max_results, false, 1, 10000);
    std::optional<std::string> ftype, fshard;
    std::optional<uint64_t> fts;
    if (filter) {
        if (auto it = filter->find("Type"); it != filter->end()) {
            TRIB_TRY(ftype, Input::string_of(*it));
        }
        if (auto it = filter->find("ShardId"); it != filter->end()) {
            TRIB_TRY(fshard, Input::string_of(*it));
        }
        if (auto it = filter->find("Timestamp"); it != filter->end()) {
            TRIB_TRY(fts, in.timestamp_of(*it));
        }
        v.one_of("shardFilter.type", ftype, true,
                 {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST",
                  "AT_TIMESTAMP", "FROM_TIMESTAMP"});
    }
    TRIB_TRY_VOID(v.result());
    if (token && named)
        return fail(errc::invalid_argument, "NextToken and StreamName cannot be provided together.");
    if (!token && !named)
        return fail(errc::invalid_argument, "Either NextToken or StreamName should be provided.");
    std::optional<uint32_t> after;
    if (token) {
        if (start || filter)
            return fail(errc::invalid_argument,
                        "NextToken and ExclusiveStartShardId or ShardFilter cannot be provided "
                        "together.");
        TRIB_TRY(auto pos, decode_next_token(ctx, *token, "ListShards"));
        name = pos.at("stream").get<std::string>();
        after = pos.at("after").get<uint32_t>();
        if (pos.contains("filter")) {
            ftype = pos["filter"].value("type", std::string());
            if (pos["filter"].contains("ts")) fts = pos["filter"]["ts"].get<uint64_t>();
        }
    }
    TRIB_TRY(auto m, ctx.stream(*name));
    if (created && *created / 1000 != m->created_ms / 1000)
        return fail(errc::resource_not_found, ctx.not_found(*name));
    if (start) {
        if (auto id = store::ShardId::parse(*start)) after = std::max(after.value_or(0), id->index());
    }
    if (ftype == "AFTER_SHARD_ID") {
        if (!fshard)
            return fail(errc::invalid_argument,
                        "Must specify ShardId for ShardFilter of type AFTER_SHARD_ID.");
        if (auto id = store::ShardId::parse(*fshard)) after = id->index();
    }
    if ((ftype == "AT_TIMESTAMP" || ftype == "FROM_TIMESTAMP") && !fts)
        return fail(errc::invalid_argument,
                    "Must specify Timestamp for ShardFilter of type " + *ftype + ".");
    // The trim horizon is retention ago; a shard is "at" a time when it was open then.
    uint64_t now = ctx.now_ms();
    uint64_t horizon = now - std::min<uint64_t>(now, uint64_t(m->retention_hours) *
                                                         uint64_t(ctx.store.options().hour_ms));
    auto keep = [&](const ShardMeta& s) {
        if (!ftype || *ftype == "AFTER_SHARD_ID" || *ftype == "FROM_TRIM_HORIZON") return true;
        if (*ftype == "AT_LATEST") return s.open();
        uint64_t t = (*ftype == "AT_TRIM_HORIZON") ? horizon : *fts;
        if (*ftype == "FROM_TIMESTAMP") return !s.closed_ms || *s.closed_ms >= t;
        return s.created_ms <= std::max(t, m->created_ms) && (!s.closed_ms || *s.closed_ms > t);
    };
    size_t max = static_cast<size_t>(std::min<int64_t>(max_results.value_or(1000), 1000));
    json shards = json::array();
    bool more = false;
    uint32_t last = 0;
    for (const ShardMeta* s : visible_shards(*m)) {
        if (after && s->index <= *after) continue;
        if (!keep(*s)) continue;
        if (shards.size() == max) {
            more = true;
            break;
        }
        shards.push_back(ctx.shard_json(*s));
        last = s->index;
    }
    json out = {{"Shards", std::move(shards)}};
    if (more) {
        json pos = {{"stream", m->name}, {"after", last}};
        if (ftype && *ftype != "AFTER_SHARD_ID") {
            pos["filter"] = {{"type", *ftype}};
            if (fts) pos["filter"]["ts"] = *fts;
        }
        out["NextToken"] = encode_next_token(ctx, "ListShards", pos);
    }
    return out;
}

namespace {
Result<json> change_retention(Context& ctx, const Input& in, bool increase) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto hours, in.integer("RetentionPeriodHours"));
    v.integer("retentionPeriodHours", hours, true, 1, std::nullopt);
    TRIB_TRY_VOID(v.result());
    int h = static_cast<int>(*hours);
    if (h < 24)
        return fail(errc::invalid_argument,
                    "Minimum allowed retention period is 24 hours. Requested retention period (" +
                        std::to_string(h) + " hours) is too short.");
    if (h > 8760)
        return fail(errc::invalid_argument,
                    "Maximum allowed retention period is 8760 hours. Requested retention period (" +
                        std::to_string(h) + " hours) is too long.");
    TRIB_TRY_VOID(ctx.stream(*name));
    auto r = ctx.store.update_stream(*name, [&](StreamMeta& m) -> Result<void> {
        if (m.status != store::StreamStatus::active && m.status != store::StreamStatus::updating)
            return fail(errc::resource_in_use, "Stream " + m.name + " under account " +
                                                   ctx.options.account_id +
                                                   " not ACTIVE, instead in state " +
                                                   std::string(to_string(m.status)));
        if (increase && h < m.retention_hours)
            return fail(errc::invalid_argument,
                        "Requested retention period (" + std::to_string(h) + " hours) for stream " +
                            m.name + " can not be shorter than existing retention period (" +
                            std::to_string(m.retention_hours) +
                            " hours). Use DecreaseRetentionPeriod API.");
        if (!increase && h > m.retention_hours)
            return fail(errc::invalid_argument,
                        "Requested retention period (" + std::to_string(h) + " hours) for stream " +
                            m.name + " can not be longer than existing retention period (" +
                            std::to_string(m.retention_hours) +
                            " hours). Use IncreaseRetentionPeriod API.");
        m.retention_hours = h;
        return {};
    });
    if (!r) return tl::unexpected(r.error());
    return json::object();
}
}  // namespace

Result<json> increase_stream_retention_period(Context& ctx, const Input& in) {
    return change_retention(ctx, in, true);
}

Result<json> decrease_stream_retention_period(Context& ctx, const Input& in) {
    return change_retention(ctx, in, false);
}

}  // namespace tributary::collector::api::handlers
