#pragma once
// On-disk encoding of records and of the arrival-time index (docs/storage.md):
//   records key   = stream_id u32 BE | shard_index u32 BE | seq_index u64 BE   (16 bytes)
//   records value = arrival_ms u64 BE | pk_len u16 BE | partition key | data
//   times key     = stream_id u32 BE | shard_index u32 BE | arrival_secs u64 BE
//   times value   = seq_index u64 BE of the first record that arrived in that second
// Big-endian keys make LMDB's byte order numeric order, so a shard's records are one cursor
// range and a read is a range scan.

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/lmdb/lmdb.h"

namespace tributary::collector::store {

constexpr size_t kRecordKeySize = 16;
constexpr size_t kRecordHeaderSize = 10;

struct RecordKey {
    char bytes[kRecordKeySize];
    RecordKey(uint32_t stream_id, uint32_t shard, uint64_t index) {
        lmdb::put_be32(bytes, stream_id);
        lmdb::put_be32(bytes + 4, shard);
        lmdb::put_be64(bytes + 8, index);
    }
    std::string_view view() const { return {bytes, kRecordKeySize}; }
};

inline uint32_t key_stream(std::string_view k) { return lmdb::get_be32(k.data()); }
inline uint32_t key_shard(std::string_view k) { return lmdb::get_be32(k.data() + 4); }
inline uint64_t key_index(std::string_view k) { return lmdb::get_be64(k.data() + 8); }
inline bool same_shard(std::string_view k, uint32_t stream_id, uint32_t shard) {
    return k.size() == kRecordKeySize && key_stream(k) == stream_id && key_shard(k) == shard;
}

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
