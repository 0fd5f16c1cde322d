// Resharding: SplitShard, MergeShards, UpdateShardCount.

#include "collector/api/handlers.h"

namespace tributary::collector::api::handlers {

Result<json> split_shard(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto shard, in.string("ShardToSplit"));
    TRIB_TRY(auto key, in.string("NewStartingHashKey"));
    v.string("shardToSplit", shard, {.required = true, .min = 1, .max = 128, .pattern = Pattern::name});
    v.string("newStartingHashKey", key, {.required = true, .pattern = Pattern::hash_key});
    TRIB_TRY_VOID(v.result());
    auto k = store::HashKey::parse(*key);
    if (!k)
        return fail(store::errc::invalid_argument,
                    "NewStartingHashKey " + *key + " used in SplitShard() on shard " + *shard +
                        " in stream " + *name + " under account " + ctx.options.account_id +
                        " is not a valid hash key.");
    TRIB_TRY_VOID(ctx.store.split_shard(*name, *shard, *k));
    return json::object();
}

Result<json> merge_shards(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto a, in.string("ShardToMerge"));
    TRIB_TRY(auto b, in.string("AdjacentShardToMerge"));
    v.string("shardToMerge", a, {.required = true, .min = 1, .max = 128, .pattern = Pattern::name});
    v.string("adjacentShardToMerge", b,
             {.required = true, .min = 1, .max = 128, .pattern = Pattern::name});
    TRIB_TRY_VOID(v.result());
    TRIB_TRY_VOID(ctx.store.merge_shards(*name, *a, *b));
    return json::object();
}

Result<json> update_shard_count(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto target, in.integer("TargetShardCount"));
    TRIB_TRY(auto scaling, in.string("ScalingType"));
    v.integer("targetShardCount", target, true, 1, 100000);
    v.one_of("scalingType", scaling, true, {"UNIFORM_SCALING"});
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto before, ctx.stream(*name));
    auto current = before->open_shard_count();
    TRIB_TRY_VOID(ctx.store.update_shard_count(*name, static_cast<uint32_t>(*target)));
    return json{{"StreamName", *name},
                {"StreamARN", before->arn},
                {"CurrentShardCount", current},
                {"TargetShardCount", *target}};
}

}  // namespace tributary::collector::api::handlers
