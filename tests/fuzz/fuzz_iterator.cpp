// collector/api/iterator.h: IteratorCodec::decode() of any token answers a position or
// "Invalid ShardIterator.", never crashes; a position built from the input survives encode() →
// decode() unchanged; a tampered token (flipped bit, truncated, extended) does not crash (it
// may still decode: AES-CBC carries no MAC, and the handlers check what it names).
//
// Input: byte 0 selects what the rest is: even → a token as a client would send it;
// odd → created_ms(8) stream_id(4) shard_index(4) seq_index(8) then the stream name.

#include <cstring>
#include <string>

#include "collector/api/iterator.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

const collector::api::IteratorCodec& codec() {
    static const collector::api::IteratorCodec c(
        "0123456789abcdef0123456789abcdef"  // AES-256 key
        "fedcba9876543210");                // IV
    return c;
}

template <class T>
T take(const uint8_t*& p, size_t& n) {
    T v{};
    size_t k = std::min(sizeof v, n);
    std::memcpy(&v, p, k);
    p += k, n -= k;
    return v;
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(iterator) {
    if (size == 0) return 0;
    const bool build = data[0] & 1;
    ++data, --size;
    if (!build) {
        auto p = codec().decode(std::string_view(reinterpret_cast<const char*>(data), size));
        if (p) TRIB_FUZZ_CHECK(!p->stream_name.empty(), "decoded position names a stream");
        return 0;
    }
    collector::api::IteratorPosition pos;
    pos.created_ms = take<uint64_t>(data, size);
    pos.stream_id = take<uint32_t>(data, size);
    pos.shard_index = take<uint32_t>(data, size);
    pos.seq_index = take<uint64_t>(data, size);
    pos.stream_name.assign(reinterpret_cast<const char*>(data), size);
    std::string token = codec().encode(pos);
    auto back = codec().decode(token);
    if (pos.stream_name.empty()) {
        TRIB_FUZZ_CHECK(!back, "a position without a stream name does not decode");
        return 0;
    }
    TRIB_FUZZ_CHECK(back.has_value(), "encode → decode succeeds");
    TRIB_FUZZ_CHECK(back->created_ms == pos.created_ms && back->stream_id == pos.stream_id &&
                        back->shard_index == pos.shard_index &&
                        back->seq_index == pos.seq_index && back->stream_name == pos.stream_name,
                    "encode → decode returns the same position");
    // Tampered tokens: a flipped bit anywhere, a truncated token, a token with a suffix.
    size_t at = (pos.created_ms ^ pos.seq_index) % token.size();
    std::string bad = token;
    bad[at] = static_cast<char>(bad[at] ^ (1 << (pos.stream_id % 8)));
    (void)codec().decode(bad);
    (void)codec().decode(std::string_view(token).substr(0, at));
    (void)codec().decode(token + pos.stream_name);
    return 0;
}
