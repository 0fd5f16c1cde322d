#include "collector/store/types.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "shared/crypto/digest.h"

namespace tributary::collector::store {
namespace {

bool is_decimal(std::string_view s, size_t max_digits) {
    if (s.empty() || s.size() > max_digits) return false;
    if (s.size() > 1 && s[0] == '0') return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A 192-bit unsigned integer, just enough arithmetic for decimal <-> bit fields.
struct U192 {
    std::array<uint64_t, 3> w{};  // little-endian words

    // this = this * m + a; returns false on overflow.
    bool mul_add(uint64_t m, uint64_t a) {
        u128 carry = a;
        for (auto& word : w) {
            u128 v = u128(word) * m + carry;
            word = static_cast<uint64_t>(v);
            carry = v >> 64;
        }
        return carry == 0;
    }
    // this /= d; returns the remainder.
    uint64_t div(uint64_t d) {
        u128 rem = 0;
        for (int i = 2; i >= 0; --i) {
            u128 cur = (rem << 64) | w[i];
            w[i] = static_cast<uint64_t>(cur / d);
            rem = cur % d;
        }
        return static_cast<uint64_t>(rem);
    }
    bool is_zero() const { return w[0] == 0 && w[1] == 0 && w[2] == 0; }

    uint64_t bits(unsigned pos, unsigned n) const {
        uint64_t out = 0;
        for (unsigned i = 0; i < n; ++i) {
            unsigned b = pos + i;
            if ((w[b / 64] >> (b % 64)) & 1) out |= uint64_t(1) << i;
        }
        return out;
    }
    void set_bits(unsigned pos, unsigned n, uint64_t v) {
        for (unsigned i = 0; i < n; ++i) {
            unsigned b = pos + i;
            if ((v >> i) & 1) w[b / 64] |= uint64_t(1) << (b % 64);
        }
    }
};

std::string to_decimal(U192 v) {
    if (v.is_zero()) return "0";
    // Nineteen digits per division: a 56-digit number takes three.
    constexpr uint64_t kChunk = 10'000'000'000'000'000'000ULL;
    uint64_t parts[11];
    int n = 0;
    while (!v.is_zero()) parts[n++] = v.div(kChunk);
    char buf[11 * 19 + 1];
    int len = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(parts[n - 1]));
    for (int i = n - 2; i >= 0; --i)
        len += std::snprintf(buf + len, sizeof buf - size_t(len), "%019llu",
                             static_cast<unsigned long long>(parts[i]));
    return std::string(buf, static_cast<size_t>(len));
}

// Bit positions of the version-2 layout, from the least significant end.
constexpr unsigned kVersionPos = 0, kShardIxPos = 4, kSeqTimePos = 36, kPadPos = 72,
                   kSeqIndexPos = 80, kShardNibblePos = 144, kCreatePos = 148, kLeadPos = 184;

}  // namespace

std::optional<HashKey> HashKey::parse(std::string_view s) {
    if (!is_decimal(s, 39)) return std::nullopt;
    u128 v = 0;
    for (char c : s) {
        u128 next = v * 10 + static_cast<unsigned>(c - '0');
        if (next / 10 != v) return std::nullopt;  // overflow
        v = next;
    }
    return HashKey(v);
}

HashKey HashKey::of_partition_key(std::string_view pk) {
    std::string d = crypto::md5(pk);
    u128 v = 0;
    for (unsigned char c : d) v = (v << 8) | c;
    return HashKey(v);
}

std::string HashKey::to_string() const {
    if (v_ == 0) return "0";
    std::string out;
    for (u128 v = v_; v != 0; v /= 10) out += static_cast<char>('0' + static_cast<int>(v % 10));
    std::reverse(out.begin(), out.end());
    return out;
}

std::optional<ShardId> ShardId::parse(std::string_view text) {
    auto dash = text.rfind('-');
    std::string_view digits = dash == std::string_view::npos ? text : text.substr(dash + 1);
    if (digits.empty() || digits.size() > 20) return std::nullopt;
    uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 0xffffffffULL) return std::nullopt;
    return ShardId(static_cast<uint32_t>(v));
}

std::string ShardId::to_string() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "shardId-%012u", index_);
    return buf;
}

std::optional<SequenceNumber> SequenceNumber::parse(std::string_view s) {
    if (!is_decimal(s, 129)) return std::nullopt;
    U192 v;
    for (char c : s)
        if (!v.mul_add(10, static_cast<uint64_t>(c - '0'))) return std::nullopt;
    if (v.bits(kLeadPos, 4) != 2 || v.bits(kVersionPos, 4) != 2) return std::nullopt;
    if (v.bits(188, 4) != 0 || v.bits(kPadPos, 8) != 0) return std::nullopt;
    SequenceNumber n;
    n.shard_create_secs = v.bits(kCreatePos, 36);
    n.shard_index = static_cast<uint32_t>(v.bits(kShardIxPos, 32));
    n.seq_index = v.bits(kSeqIndexPos, 64);
    n.seq_time_secs = v.bits(kSeqTimePos, 36);
    if (v.bits(kShardNibblePos, 4) != (n.shard_index & 0xf)) return std::nullopt;
    if (n.seq_index > kMaxSeqIndex) return std::nullopt;
    return n;
}

std::string SequenceNumber::to_string() const {
    U192 v;
    v.set_bits(kVersionPos, 4, 2);
    v.set_bits(kShardIxPos, 32, shard_index);
    v.set_bits(kSeqTimePos, 36, seq_time_secs & ((uint64_t(1) << 36) - 1));
    v.set_bits(kSeqIndexPos, 64, seq_index);
    v.set_bits(kShardNibblePos, 4, shard_index & 0xf);
    v.set_bits(kCreatePos, 36, shard_create_secs & ((uint64_t(1) << 36) - 1));
    v.set_bits(kLeadPos, 4, 2);
    return to_decimal(v);
}

bool is_hash_key_text(std::string_view s) { return is_decimal(s, 39); }
bool is_sequence_number_text(std::string_view s) { return is_decimal(s, 129); }

}  // namespace tributary::collector::store
