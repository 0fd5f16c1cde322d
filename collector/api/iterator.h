#pragma once
// Shard iterators: opaque tokens that carry a read position. Format (kinesalite-compatible in
// shape, which is real AWS's): base64( 00 00 00 00 00 00 00 01 | AES-256-CBC(payload) ), with
// payload "<created_ms>/<stream_id>/<shard_index>/<seq_index>/<stream name>". The key lives in
// the store (meta database), so iterators stay valid across a collector restart; a token that
// was not made with this key fails to decrypt and is "Invalid ShardIterator.".

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/result.h"

namespace tributary::collector::api {

struct IteratorPosition {
    uint64_t created_ms = 0;
    uint32_t stream_id = 0;
    uint32_t shard_index = 0;
    uint64_t seq_index = 0;
    std::string stream_name;
};

class IteratorCodec {
public:
    // `key_material` is 48 bytes: AES key then IV.
    explicit IteratorCodec(std::string_view key_material);
    std::string encode(const IteratorPosition& p) const;
    // Errors: api::errc::invalid_argument "Invalid ShardIterator." for anything not made here.
    Result<IteratorPosition> decode(std::string_view token) const;

private:
    std::array<unsigned char, 32> key_{};
    std::array<unsigned char, 16> iv_{};
};

}  // namespace tributary::collector::api
