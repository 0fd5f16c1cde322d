#include "shared/encoding/base64.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace tributary::encoding {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr auto kTable = make_table();

// Every 12-bit value as its two base64 characters: three input bytes become two lookups.
constexpr std::array<char, 8192> make_pairs() {
    std::array<char, 8192> t{};
    for (int i = 0; i < 4096; ++i) {
        t[2 * i] = kAlphabet[i >> 6];
        t[2 * i + 1] = kAlphabet[i & 63];
    }
    return t;
}
constexpr auto kPairs = make_pairs();

inline uint64_t be64(uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
    return v;
}
}  // namespace

void base64_encode_append(std::string_view in, std::string& out) {
    size_t start = out.size();
    out.resize(start + (in.size() + 2) / 3 * 4);
    char* o = out.data() + start;
    const auto* p = reinterpret_cast<const uint8_t*>(in.data());
    size_t n = in.size(), i = 0;
    // Six input bytes per step from one 8-byte big-endian load: two 24-bit groups, four
    // 12-bit lookups.
    for (; i + 8 <= n; i += 6) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        w = be64(w);
        uint32_t a = static_cast<uint32_t>(w >> 40) & 0xffffff;
        uint32_t b = static_cast<uint32_t>(w >> 16) & 0xffffff;
        std::memcpy(o, &kPairs[2 * (a >> 12)], 2);
        std::memcpy(o + 2, &kPairs[2 * (a & 0xfff)], 2);
        std::memcpy(o + 4, &kPairs[2 * (b >> 12)], 2);
        std::memcpy(o + 6, &kPairs[2 * (b & 0xfff)], 2);
        o += 8;
    }
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
        std::memcpy(o, &kPairs[2 * (v >> 12)], 2);
        std::memcpy(o + 2, &kPairs[2 * (v & 0xfff)], 2);
        o += 4;
    }
    if (i < n) {
        uint32_t v = uint32_t(p[i]) << 16;
        if (i + 1 < n) v |= uint32_t(p[i + 1]) << 8;
        *o++ = kAlphabet[v >> 18];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
}

std::string base64_encode(std::string_view in) {
    std::string out;
    base64_encode_append(in, out);
    return out;
}

bool base64_decode_append(std::string_view in, std::string& out) {
    if (in.size() % 4 != 0) return false;
    if (in.empty()) return true;
    size_t pad = 0;
    if (in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
    size_t start = out.size();
    out.resize(start + in.size() / 4 * 3 - pad);
    char* o = out.data() + start;
    const auto* p = reinterpret_cast<const uint8_t*>(in.data());
    size_t full = in.size() - (pad ? 4 : 0);
    for (size_t i = 0; i < full; i += 4) {
        int a = kTable[p[i]], b = kTable[p[i + 1]], c = kTable[p[i + 2]], d = kTable[p[i + 3]];
        if ((a | b | c | d) < 0) {
            out.resize(start);
            return false;
        }
        uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>((v >> 8) & 0xff);
        *o++ = static_cast<char>(v & 0xff);
    }
    if (pad) {
        size_t i = full;
        int a = kTable[p[i]], b = kTable[p[i + 1]];
        int c = pad == 1 ? kTable[p[i + 2]] : 0;
        if (a < 0 || b < 0 || c < 0) {
            out.resize(start);
            return false;
        }
        uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6);
        *o++ = static_cast<char>(v >> 16);
        if (pad == 1) *o++ = static_cast<char>((v >> 8) & 0xff);
    }
    return true;
}

std::optional<std::string> base64_decode(std::string_view in) {
    std::string out;
    if (!base64_decode_append(in, out)) return std::nullopt;
    return out;
}

std::string hex_encode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

}  // namespace tributary::encoding
