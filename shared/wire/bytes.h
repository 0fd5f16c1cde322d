#pragma once
// Internal to trib_wire: the primitives both payloads are made of (docs/mqtt.md, "Encoding").
// Unsigned LEB128 varints in their minimal form, length-prefixed byte strings, the CRC-32
// trailer, UTF-8 checks. A Reader never reads past its buffer and reports a short field as
// errc::truncated naming the field.

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/result.h"
#include "shared/wire/errc.h"

namespace tributary::wire::detail {

// Bytes an unsigned LEB128 varint of `v` takes (1..10).
constexpr size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

void put_varint(std::string& out, uint64_t v);
// A varint length, then the bytes.
void put_bytes(std::string& out, std::string_view s);
void put_u32_be(std::string& out, uint32_t v);

// zlib's CRC-32 (ISO-HDLC polynomial 0x04C11DB7, reflected, as Ethernet, gzip and PNG).
uint32_t crc32(std::string_view data);
// Appends the CRC-32 of everything already in `out`, big-endian.
void put_crc_trailer(std::string& out);
// Reads the big-endian CRC-32 trailer of `payload` (at least 4 bytes) and checks it against
// the bytes before it. Errors: bad_checksum.
Result<void> check_crc_trailer(std::string_view payload);
std::string hex32(uint32_t v);  // "0x1a2b3c4d"

bool valid_utf8(std::string_view s);
// Unicode characters as Kinesis counts a PartitionKey's length: bytes that do not continue one.
size_t utf8_chars(std::string_view s);

// A field name for messages, e.g. "records[3].partition_key" (index < 0: the name alone).
std::string field_name(std::string_view field, long index = -1);

// Reads one section of a payload. Fields are named as `records[i].<field>` when an index is
// given, so a message points at the byte that is wrong.
class Reader {
public:
    Reader(std::string_view in, std::string_view section) : in_(in), section_(section) {}

    size_t remaining() const { return in_.size() - pos_; }
    bool at_end() const { return pos_ == in_.size(); }
    std::string_view rest() const { return in_.substr(pos_); }

    Result<uint8_t> byte(std::string_view field, long index = -1);
    // errc::bad_field for a varint over 64 bits or not in its minimal form.
    Result<uint64_t> varint(std::string_view field, long index = -1);
    Result<std::string_view> bytes(size_t n, std::string_view field, long index = -1);
    // A varint length in [min, max] (errc::over_limit above max when `over_is_limit`, else
    // errc::bad_field), then that many bytes.
    Result<std::string_view> sized(std::string_view field, size_t min, size_t max, long index = -1,
                                   bool over_is_limit = false);

private:
    Error short_of(size_t need, std::string_view field, long index) const;

    std::string_view in_;
    std::string_view section_;
    size_t pos_ = 0;
};

}  // namespace tributary::wire::detail
