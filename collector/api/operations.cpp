// The list of operations: one line per action. Explicit, greppable, and the linker cannot drop
// an entry.

#include <algorithm>

#include "collector/api/context.h"
#include "collector/api/handlers.h"

namespace tributary::collector::api {

namespace h = handlers;

static constexpr Operation kOperations[] = {
    {"AddTagsToStream", h::add_tags_to_stream},
    {"CreateStream", h::create_stream},
    {"DecreaseStreamRetentionPeriod", h::decrease_stream_retention_period},
    {"DeleteResourcePolicy", h::delete_resource_policy},
    {"DeleteStream", h::delete_stream},
    {"DeregisterStreamConsumer", h::deregister_stream_consumer},
    {"DescribeAccountSettings", h::describe_account_settings},
    {"DescribeLimits", h::describe_limits},
    {"DescribeStream", h::describe_stream},
    {"DescribeStreamConsumer", h::describe_stream_consumer},
    {"DescribeStreamSummary", h::describe_stream_summary},
    {"DisableEnhancedMonitoring", h::disable_enhanced_monitoring},
    {"EnableEnhancedMonitoring", h::enable_enhanced_monitoring},
    {"GetRecords", h::get_records},
    {"GetResourcePolicy", h::get_resource_policy},
    {"GetShardIterator", h::get_shard_iterator},
    {"IncreaseStreamRetentionPeriod", h::increase_stream_retention_period},
    {"ListShards", h::list_shards},
    {"ListStreamConsumers", h::list_stream_consumers},
    {"ListStreams", h::list_streams},
    {"ListTagsForResource", h::list_tags_for_resource},
    {"ListTagsForStream", h::list_tags_for_stream},
    {"MergeShards", h::merge_shards},
    {"PutRecord", h::put_record},
    {"PutRecords", h::put_records},
    {"PutResourcePolicy", h::put_resource_policy},
    {"RegisterStreamConsumer", h::register_stream_consumer},
    {"RemoveTagsFromStream", h::remove_tags_from_stream},
    {"SplitShard", h::split_shard},
    {"StartStreamEncryption", h::start_stream_encryption},
    {"StopStreamEncryption", h::stop_stream_encryption},
    {"TagResource", h::tag_resource},
    {"UntagResource", h::untag_resource},
    {"UpdateAccountSettings", h::update_account_settings},
    {"UpdateMaxRecordSize", h::update_max_record_size},
    {"UpdateShardCount", h::update_shard_count},
    {"UpdateStreamMode", h::update_stream_mode},
    {"UpdateStreamWarmThroughput", h::update_stream_warm_throughput},
};

std::span<const Operation> operations() { return kOperations; }

Handler find_operation(std::string_view name) {
    auto it = std::lower_bound(std::begin(kOperations), std::end(kOperations), name,
                               [](const Operation& op, std::string_view n) { return op.name < n; });
    if (it == std::end(kOperations) || it->name != name) return nullptr;
    return it->handler;
}

}  // namespace tributary::collector::api
