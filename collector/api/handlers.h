#pragma once
// One handler per Kinesis action. Each validates its input (SerializationException for wrong
// types, ValidationException clauses for constraint failures, in Coral's order), performs the
// action through the store, and returns the response members (an empty object for actions
// without output).

#include "collector/api/context.h"

namespace tributary::collector::api::handlers {

#define TRIB_HANDLER(name) Result<json> name(Context& ctx, const Input& in)

// handlers_stream.cpp
TRIB_HANDLER(create_stream);
TRIB_HANDLER(delete_stream);
TRIB_HANDLER(describe_stream);
TRIB_HANDLER(describe_stream_summary);
TRIB_HANDLER(list_streams);
TRIB_HANDLER(list_shards);
TRIB_HANDLER(increase_stream_retention_period);
TRIB_HANDLER(decrease_stream_retention_period);

// handlers_data.cpp
TRIB_HANDLER(put_record);
TRIB_HANDLER(put_records);
TRIB_HANDLER(get_shard_iterator);
TRIB_HANDLER(get_records);
// GetRecords for JSON clients, written as text straight from the store's pages (the hot path).
Result<std::string> get_records_json_text(Context& ctx, const Input& in);

// handlers_reshard.cpp
TRIB_HANDLER(split_shard);
TRIB_HANDLER(merge_shards);
TRIB_HANDLER(update_shard_count);

// handlers_tags.cpp
TRIB_HANDLER(add_tags_to_stream);
TRIB_HANDLER(remove_tags_from_stream);
TRIB_HANDLER(list_tags_for_stream);
TRIB_HANDLER(tag_resource);
TRIB_HANDLER(untag_resource);
TRIB_HANDLER(list_tags_for_resource);

// handlers_consumers.cpp
TRIB_HANDLER(register_stream_consumer);
TRIB_HANDLER(describe_stream_consumer);
TRIB_HANDLER(list_stream_consumers);
TRIB_HANDLER(deregister_stream_consumer);

// handlers_settings.cpp
TRIB_HANDLER(enable_enhanced_monitoring);
TRIB_HANDLER(disable_enhanced_monitoring);
TRIB_HANDLER(start_stream_encryption);
TRIB_HANDLER(stop_stream_encryption);
TRIB_HANDLER(describe_limits);
TRIB_HANDLER(describe_account_settings);
TRIB_HANDLER(update_account_settings);
TRIB_HANDLER(update_max_record_size);
TRIB_HANDLER(update_stream_warm_throughput);
TRIB_HANDLER(update_stream_mode);
TRIB_HANDLER(put_resource_policy);
TRIB_HANDLER(get_resource_policy);
TRIB_HANDLER(delete_resource_policy);

#undef TRIB_HANDLER

}  // namespace tributary::collector::api::handlers
