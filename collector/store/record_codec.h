#pragma once
// On-disk encoding of records and of the arrival-time index (docs/storage.md). Every shard's
// records live in a database of their own, a "slot" named rec/NNNNNN:
//   slot key 0    = owner: stream_id u32 BE | shard_index u32 BE (which shard holds the slot)
//   slot key      = seq_index u64 BE (>= 1)
//   slot value    = arrival_ms u64 BE | pk_len u16 BE | partition key | data
//   times key     = slot u32 BE | arrival_secs u64 BE
//   times value   = seq_index u64 BE of the first record that arrived in that second
// Big-endian keys make LMDB's byte order numeric order, so a shard's records are one database
// in append order: writes use MDB_APPEND (full pages, no splits in the middle of the tree) and
// a read is a range scan.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "shared/lmdb/lmdb.h"

namespace tributary::collector::store {

constexpr size_t kRecordHeaderSize = 10;
constexpr uint32_t kNoSlot = UINT32_MAX;

// A big-endian u64 key: a record's seq_index (0 is the slot's owner entry).
struct IndexKey {
    char bytes[8];
    explicit IndexKey(uint64_t index) { lmdb::put_be64(bytes, index); }
    std::string_view view() const { return {bytes, 8}; }
};
inline uint64_t key_index(std::string_view k) { return k.size() == 8 ? lmdb::get_be64(k.data()) : 0; }

// The owner entry of a slot.
struct SlotOwner {
    uint32_t stream_id = 0, shard = 0;
    bool operator==(const SlotOwner&) const = default;
};
inline std::string encode_owner(SlotOwner o) {
    std::string v(8, '\0');
    lmdb::put_be32(v.data(), o.stream_id);
    lmdb::put_be32(v.data() + 4, o.shard);
    return v;
}
inline bool decode_owner(std::string_view v, SlotOwner& o) {
    if (v.size() != 8) return false;
    o = {lmdb::get_be32(v.data()), lmdb::get_be32(v.data() + 4)};
    return true;
}

// Key of the `times` database.
struct TimeKey {
    char bytes[12];
    TimeKey(uint32_t slot, uint64_t secs) {
        lmdb::put_be32(bytes, slot);
        lmdb::put_be64(bytes + 4, secs);
    }
    std::string_view view() const { return {bytes, 12}; }
};
inline bool time_key_in_slot(std::string_view k, uint32_t slot) {
    return k.size() == 12 && lmdb::get_be32(k.data()) == slot;
}
inline uint64_t time_key_secs(std::string_view k) { return lmdb::get_be64(k.data() + 4); }

inline void encode_record(uint64_t arrival_ms, std::string_view pk, std::string_view data,
                          char* out) {
    lmdb::put_be64(out, arrival_ms);
    out[8] = static_cast<char>(pk.size() >> 8);
    out[9] = static_cast<char>(pk.size() & 0xff);
    std::memcpy(out + kRecordHeaderSize, pk.data(), pk.size());
    if (!data.empty()) std::memcpy(out + kRecordHeaderSize + pk.size(), data.data(), data.size());
}

struct RecordView {
    uint64_t arrival_ms;
    std::string_view partition_key;
    std::string_view data;
};

// Returns false for a value too short to be a record (a corrupt entry).
inline bool decode_record(std::string_view v, RecordView& out) {
    if (v.size() < kRecordHeaderSize) return false;
    out.arrival_ms = lmdb::get_be64(v.data());
    size_t pk_len = (static_cast<unsigned char>(v[8]) << 8) | static_cast<unsigned char>(v[9]);
    if (v.size() < kRecordHeaderSize + pk_len) return false;
    out.partition_key = v.substr(kRecordHeaderSize, pk_len);
    out.data = v.substr(kRecordHeaderSize + pk_len);
    return true;
}

}  // namespace tributary::collector::store
