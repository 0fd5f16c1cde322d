#include "shared/wire/bytes.h"

#include <zlib.h>

#include <cstdio>

namespace tributary::wire::detail {

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

void put_u32_be(std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

uint32_t crc32(std::string_view data) {
    // zlib takes uInt lengths; payloads are bounded far below 4 GiB, but loop to be exact.
    uLong crc = ::crc32(0L, Z_NULL, 0);
    const auto* p = reinterpret_cast<const Bytef*>(data.data());
    size_t left = data.size();
    while (left > 0) {
        uInt n = left > (1u << 30) ? (1u << 30) : static_cast<uInt>(left);
        crc = ::crc32(crc, p, n);
        p += n;
        left -= n;
    }
    return static_cast<uint32_t>(crc);
}

void put_crc_trailer(std::string& out) { put_u32_be(out, crc32(out)); }

std::string hex32(uint32_t v) {
    char buf[11];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

Result<void> check_crc_trailer(std::string_view payload) {
    std::string_view body = payload.substr(0, payload.size() - 4);
    auto t = reinterpret_cast<const unsigned char*>(payload.data() + body.size());
    uint32_t stored = uint32_t(t[0]) << 24 | uint32_t(t[1]) << 16 | uint32_t(t[2]) << 8 | t[3];
    if (uint32_t actual = crc32(body); actual != stored)
        return fail(errc::bad_checksum, "checksum mismatch (trailer " + hex32(stored) +
                                            ", content " + hex32(actual) +
                                            "): the payload was damaged or cut short");
    return {};
}

bool valid_utf8(std::string_view s) {
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (n - i < len) return false;
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        if (c1 < lo || c1 > hi) return false;
        for (size_t k = 2; k < len; ++k) {
            auto ck = static_cast<unsigned char>(s[i + k]);
            if (ck < 0x80 || ck > 0xBF) return false;
        }
        i += len;
    }
    return true;
}

size_t utf8_chars(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::string field_name(std::string_view field, long index) {
    if (index < 0) return std::string(field);
    return "records[" + std::to_string(index) + "]." + std::string(field);
}

Error Reader::short_of(size_t need, std::string_view field, long index) const {
    return Error{make_error_code(errc::truncated),
                 std::string(section_) + " truncated: " + field_name(field, index) + " needs " +
                     std::to_string(need) + " byte(s) at offset " + std::to_string(pos_) +
                     ", only " + std::to_string(remaining()) + " left"};
}

Result<uint8_t> Reader::byte(std::string_view field, long index) {
    if (remaining() < 1) return tl::unexpected(short_of(1, field, index));
    return static_cast<uint8_t>(in_[pos_++]);
}

Result<uint64_t> Reader::varint(std::string_view field, long index) {
    uint64_t v = 0;
    const size_t start = pos_;
    for (int i = 0; i < 10; ++i) {
        if (pos_ >= in_.size()) {
            pos_ = start;
            return tl::unexpected(short_of(static_cast<size_t>(i) + 1, field, index));
        }
        auto b = static_cast<uint8_t>(in_[pos_++]);
        if (i == 9 && b > 1)
            return fail(errc::bad_field, field_name(field, index) + ": varint exceeds 64 bits");
        v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0)
                return fail(errc::bad_field,
                            field_name(field, index) + ": varint not in its minimal form");
            return v;
        }
    }
    return fail(errc::bad_field, field_name(field, index) + ": varint longer than 10 bytes");
}

Result<std::string_view> Reader::bytes(size_t n, std::string_view field, long index) {
    if (remaining() < n) return tl::unexpected(short_of(n, field, index));
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
}

Result<std::string_view> Reader::sized(std::string_view field, size_t min, size_t max, long index,
                                       bool over_is_limit) {
    TRIB_TRY(uint64_t n, varint(std::string(field) + " length", index));
    if (n < min || n > max) {
        errc code = (n > max && over_is_limit) ? errc::over_limit : errc::bad_field;
        return fail(code, field_name(field, index) + " is " + std::to_string(n) +
                              " bytes; it must be " + std::to_string(min) + " to " +
                              std::to_string(max));
    }
    return bytes(static_cast<size_t>(n), field, index);
}

}  // namespace tributary::wire::detail
