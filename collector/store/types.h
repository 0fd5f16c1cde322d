#pragma once
// Strong types for the values that must never be mixed up: hash keys (128-bit), shard ids,
// and sequence numbers in the AWS 56-digit decimal layout.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::collector::store {

using u128 = unsigned __int128;

// A point in the 128-bit hash-key space: MD5(partition key) as a big-endian integer, or an
// ExplicitHashKey.
class HashKey {
public:
    constexpr HashKey() = default;
    constexpr explicit HashKey(u128 v) : v_(v) {}
    static constexpr HashKey max() { return HashKey(~u128(0)); }

    // Decimal text, no sign, no leading zeros except "0"; nullopt when not a number in
    // [0, 2^128-1].
    static std::optional<HashKey> parse(std::string_view decimal);
    static HashKey of_partition_key(std::string_view partition_key);

    std::string to_string() const;
    constexpr u128 value() const { return v_; }
    auto operator<=>(const HashKey&) const = default;

private:
    u128 v_ = 0;
};

// Shard ids are `shardId-` + 12 zero-padded digits, allocated sequentially per stream.
class ShardId {
public:
    constexpr ShardId() = default;
    constexpr explicit ShardId(uint32_t index) : index_(index) {}
    // Loose form accepted like AWS: the digits after the last '-' ("shardId-000000000001",
    // "shard-1", "1"). nullopt when there are no digits or the number overflows.
    static std::optional<ShardId> parse(std::string_view text);

    std::string to_string() const;
    constexpr uint32_t index() const { return index_; }
    auto operator<=>(const ShardId&) const = default;

private:
    uint32_t index_ = 0;
};

// A sequence number in the layout AWS and kinesalite share (version 2, 47 hex digits):
//   2 | shardCreateSecs(36b) | shardIx&0xF(4b) | seqIndex(64b) | 00(8b) | seqTimeSecs(36b)
//     | shardIx(32b) | 2
// Within one shard the numbers order by seq_index; a child shard's create time is later than
// its parents', so every child number is greater than every parent number.
struct SequenceNumber {
    uint64_t shard_create_secs = 0;
    uint32_t shard_index = 0;
    uint64_t seq_index = 0;  // < 2^63; the closing number of a shard uses kMaxSeqIndex
    uint64_t seq_time_secs = 0;

    static constexpr uint64_t kMaxSeqIndex = 0x7fffffffffffffffULL;

    // Decimal text → fields; nullopt when not a version-2 number.
    static std::optional<SequenceNumber> parse(std::string_view decimal);
    std::string to_string() const;
    void append_to(std::string& out) const;  // the decimal digits of to_string()
    auto operator<=>(const SequenceNumber&) const = default;
};

// Validation helpers for the AWS regexes `0|([1-9]\d{0,38})` and `0|([1-9]\d{0,128})`.
bool is_hash_key_text(std::string_view s);
bool is_sequence_number_text(std::string_view s);

}  // namespace tributary::collector::store
