#pragma once
// Test helpers: payloads built by hand, independently of the codec, from docs/mqtt.md's byte
// tables. They let tests make payloads the encoder refuses to make (too many records, records
// over the limit, non-minimal varints, bombs) and cross-check the encoder against the spec.

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::wire::test {

inline std::string varint(uint64_t v) {
    std::string s;
    while (v >= 0x80) {
        s.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    s.push_back(static_cast<char>(v));
    return s;
}

inline std::string sized(std::string_view s) { return varint(s.size()) + std::string(s); }

inline std::string record(std::string_view pk, std::string_view ehk, std::string_view data,
                          uint64_t ts) {
    return sized(pk) + sized(ehk) + sized(data) + varint(ts);
}

// Appends the big-endian zlib CRC-32 of `body`.
inline std::string with_crc(std::string body) {
    uLong crc =
        crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    for (int shift = 24; shift >= 0; shift -= 8) body.push_back(static_cast<char>(crc >> shift));
    return body;
}

inline std::string producer() {
    std::string p;
    for (int i = 0; i < 16; ++i) p.push_back(static_cast<char>(i * 0x11));
    return p;
}

// magic 'R', version 1, flags, producer id, flow "f", sequence 7, count, section size, and the
// section bytes as given (raw or a zstd frame), then the CRC trailer.
inline std::string request(uint8_t flags, uint64_t count, uint64_t section_size,
                           std::string_view section) {
    std::string b = "R";
    b.push_back(1);
    b.push_back(static_cast<char>(flags));
    b += producer() + sized("f") + varint(7) + varint(count) + varint(section_size);
    b += section;
    return with_crc(std::move(b));
}

inline std::string request(uint64_t count, std::string_view section) {
    return request(0, count, section.size(), section);
}

}  // namespace tributary::wire::test
