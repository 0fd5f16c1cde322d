#include "collector/store/types.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

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
    uint64_t bits(unsigned pos, unsigned n) const {
        uint64_t out = 0;
        for (unsigned i = 0; i < n; ++i) {
            unsigned b = pos + i;
            if ((w[b / 64] >> (b % 64)) & 1) out |= uint64_t(1) << i;
        }
        return out;
    }
};

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
    auto d = crypto::md5_bytes(pk);
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

// Formatting is on every read path (10,000 numbers per GetRecords), so the fields are packed
// with word operations and the 188-bit value is cut into 19-digit chunks by 128/64-bit
// divisions whose quotients always fit in 64 bits.
void SequenceNumber::append_to(std::string& out) const {
    constexpr uint64_t kMask36 = (uint64_t(1) << 36) - 1;
    uint64_t t = seq_time_secs & kMask36, c = shard_create_secs & kMask36;
    uint64_t w[3] = {
        2 | uint64_t(shard_index) << 4 | t << 36,                      // bits 0..63
        t >> 28 | seq_index << 16,                                     // bits 64..127
        seq_index >> 48 | uint64_t(shard_index & 0xf) << 16 | c << 20 | uint64_t(2) << 56,
    };
    static_assert(kSeqTimePos == 36 && kSeqIndexPos == 80 && kShardNibblePos == 144 &&
                  kCreatePos == 148 && kLeadPos == 184);
    constexpr uint64_t kChunk = 10'000'000'000'000'000'000ULL;
    auto div_chunk = [&]() {  // w /= 10^19, returns the remainder
        uint64_t rem = 0;
        for (int i = 2; i >= 0; --i) {
#if defined(__x86_64__)
            uint64_t q;
            asm("divq %4" : "=a"(q), "=d"(rem) : "a"(w[i]), "d"(rem), "r"(kChunk));
            w[i] = q;
#else
            u128 cur = (u128(rem) << 64) | w[i];
            w[i] = static_cast<uint64_t>(cur / kChunk);
            rem = static_cast<uint64_t>(cur % kChunk);
#endif
        }
        return rem;
    };
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char buf[64];
    char* end = buf + sizeof buf;
    char* p = end;
    for (;;) {
        uint64_t chunk = div_chunk();
        bool last = (w[0] | w[1] | w[2]) == 0;
        char* stop = last ? nullptr : p - 19;  // inner chunks are zero-padded to 19 digits
        while (chunk >= 100 || (stop && p - 2 >= stop)) {
            std::memcpy(p -= 2, kPairs + 2 * (chunk % 100), 2);
            chunk /= 100;
        }
        if (stop) {
            while (p > stop) *--p = static_cast<char>('0' + chunk % 10), chunk /= 10;
            continue;
        }
        if (chunk >= 10) std::memcpy(p -= 2, kPairs + 2 * chunk, 2);
        else *--p = static_cast<char>('0' + chunk);
        break;
    }
    out.append(p, static_cast<size_t>(end - p));
}

std::string SequenceNumber::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

bool is_hash_key_text(std::string_view s) { return is_decimal(s, 39); }
bool is_sequence_number_text(std::string_view s) { return is_decimal(s, 129); }

}  // namespace tributary::collector::store
