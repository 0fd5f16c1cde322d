#pragma once
// The metadata of one stream: its shards (with lineage and hash ranges), status, retention,
// tags, consumers and flags. Persisted as JSON in the `streams` database (docs/storage.md) and
// held in memory as immutable snapshots: the writer thread builds a new StreamMeta for every
// change and publishes it after the change is durable, so readers never see a torn state.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "collector/store/types.h"

namespace tributary::collector::store {

enum class StreamStatus { creating, active, updating, deleting };
std::string_view to_string(StreamStatus s);

struct ShardMeta {
    uint32_t index = 0;
    HashKey start, end;  // inclusive range
    std::optional<uint32_t> parent, adjacent_parent;
    uint64_t created_ms = 0;
    uint64_t create_secs = 0;  // the shardCreateSecs field of its sequence numbers
    std::optional<uint64_t> closed_ms;
    uint64_t trim_index = 1;  // first seq_index not yet removed by retention
    uint64_t next_index = 1;  // persisted only when the shard closes or is trimmed empty
    uint32_t slot = UINT32_MAX;  // the LMDB database holding its records (rec/NNNNNN)

    bool open() const { return !closed_ms; }
    ShardId id() const { return ShardId(index); }
    SequenceNumber sequence(uint64_t seq_index, uint64_t time_secs) const {
        return {create_secs, index, seq_index, time_secs};
    }
    SequenceNumber starting_sequence() const { return sequence(0, create_secs); }
    SequenceNumber ending_sequence() const {
        return sequence(SequenceNumber::kMaxSeqIndex, closed_ms.value_or(0) / 1000);
    }
};

struct Consumer {
    std::string name, arn;
    StreamStatus status = StreamStatus::active;  // CREATING / ACTIVE / DELETING
    uint64_t created_ms = 0;
    std::map<std::string, std::string> tags;
    std::optional<std::string> policy;
};

struct StreamMeta {
    uint32_t id = 0;  // key prefix of its records; never reused
    std::string name, arn;
    StreamStatus status = StreamStatus::active;
    uint64_t status_until_ms = 0;  // when a pending CREATING/UPDATING/DELETING ends
    bool on_demand = false;
    int retention_hours = 24;
    uint64_t created_ms = 0;
    std::vector<ShardMeta> shards;  // ordered by index, closed and open
    uint32_t next_shard_index = 0;
    std::map<std::string, std::string> tags;
    std::vector<Consumer> consumers;
    std::string encryption_type = "NONE";
    std::string key_id;
    std::set<std::string> shard_level_metrics;
    int max_record_kib = 1024;
    int warm_throughput_mibps = 0;
    std::optional<std::string> policy;
    std::vector<uint64_t> scaling_events_ms;  // UpdateShardCount calls, for the 10-per-24h rule

    const ShardMeta* shard(uint32_t index) const;
    ShardMeta* shard(uint32_t index);
    size_t open_shard_count() const;
    // The open shard whose range contains `key`; every key has exactly one.
    const ShardMeta* route(HashKey key) const;
    const Consumer* consumer(std::string_view name) const;
};

void to_json(nlohmann::json& j, const StreamMeta& m);
void from_json(const nlohmann::json& j, StreamMeta& m);

}  // namespace tributary::collector::store
