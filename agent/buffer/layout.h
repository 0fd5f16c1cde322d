#pragma once
// The spool's on-disk encoding (docs/agent-spool.md specifies it for a second implementation).
// Integers are big-endian so LMDB's byte order is numeric order.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "shared/lmdb/lmdb.h"

namespace tributary::agent::buffer::layout {

constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormatVersion = "1";
constexpr std::string_view kProducerKey = "producer_id";
constexpr std::string_view kNextFlowKey = "next_flow";

constexpr size_t kIdKeySize = 8;
constexpr size_t kEntryHeaderSize = 12;  // enqueued_ms u64 · partition key length u32
constexpr size_t kEntryOverhead = kIdKeySize + kEntryHeaderSize;
constexpr size_t kMaxFlowName = 400;  // LMDB keys stop at 511 bytes
constexpr size_t kMaxCheckpointKey = 500;
constexpr uint32_t kMaxFlows = 1000;  // one database each
constexpr unsigned kFixedDbs = 3;     // meta, flows, checkpoints

inline std::string queue_db_name(uint32_t number) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "q/%08x", number);
    return buf;
}

struct IdKey {
    char bytes[kIdKeySize];
    explicit IdKey(uint64_t id) { lmdb::put_be64(bytes, id); }
    std::string_view view() const { return {bytes, sizeof bytes}; }
};

inline uint64_t entry_size(std::string_view partition_key, std::string_view data) {
    return kEntryOverhead + uint64_t(partition_key.size()) + uint64_t(data.size());
}

// Writes the entry into `out`, which has entry_size(partition_key, data) bytes.
inline void encode_entry_into(char* out, uint64_t enqueued_ms, std::string_view partition_key,
                              std::string_view data) {
    lmdb::put_be64(out, enqueued_ms);
    lmdb::put_be32(out + 8, static_cast<uint32_t>(partition_key.size()));
    std::memcpy(out + kEntryHeaderSize, partition_key.data(), partition_key.size());
    std::memcpy(out + kEntryHeaderSize + partition_key.size(), data.data(), data.size());
}

struct EntryView {
    uint64_t enqueued_ms = 0;
    std::string_view partition_key, data;
};

inline bool decode_entry(std::string_view v, EntryView& out) {
    if (v.size() < kEntryHeaderSize) return false;
    out.enqueued_ms = lmdb::get_be64(v.data());
    uint32_t pk_len = lmdb::get_be32(v.data() + 8);
    if (v.size() - kEntryHeaderSize < pk_len) return false;
    out.partition_key = v.substr(kEntryHeaderSize, pk_len);
    out.data = v.substr(kEntryHeaderSize + pk_len);
    return true;
}

// One row of the `flows` database: everything about a flow that must survive a restart.
struct FlowRow {
    uint32_t number = 0;  // names the flow's queue database
    uint64_t next_id = 1, next_batch = 1;
    uint64_t records = 0, bytes = 0;
    uint64_t appended_total = 0, removed_total = 0, dropped_total = 0;
};
constexpr size_t kFlowRowSize = 4 + 7 * 8;

inline std::string encode_flow(const FlowRow& r) {
    std::string out(kFlowRowSize, '\0');
    char* p = out.data();
    lmdb::put_be32(p, r.number);
    p += 4;
    for (uint64_t v : {r.next_id, r.next_batch, r.records, r.bytes, r.appended_total,
                       r.removed_total, r.dropped_total}) {
        lmdb::put_be64(p, v);
        p += 8;
    }
    return out;
}

inline bool decode_flow(std::string_view v, FlowRow& r) {
    if (v.size() != kFlowRowSize) return false;
    const char* p = v.data();
    r.number = lmdb::get_be32(p);
    p += 4;
    for (uint64_t* f : {&r.next_id, &r.next_batch, &r.records, &r.bytes, &r.appended_total,
                        &r.removed_total, &r.dropped_total}) {
        *f = lmdb::get_be64(p);
        p += 8;
    }
    return r.next_id >= 1 && r.next_batch >= 1;
}

}  // namespace tributary::agent::buffer::layout
