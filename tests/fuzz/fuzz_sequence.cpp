// collector/store/types.h: SequenceNumber, HashKey and ShardId parse any text; what parses
// prints back as text that parses to the same value (and, for the canonical decimal forms, as
// the very same text). Fields taken from the input print as a sequence number that parses back
// to them.
//
// Input: the whole input is the text for the three parsers; its first 28 bytes are also the
// fields shard_create_secs(8) shard_index(4) seq_index(8) seq_time_secs(8).

#include <cstring>
#include <string>

#include "collector/store/types.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

namespace store = collector::store;

// 2^128 - 1: the largest hash key, to judge HashKey::parse's overflow check independently.
constexpr std::string_view kMaxHashKey = "340282366920938463463374607431768211455";

bool decimal_at_most(std::string_view s, std::string_view max) {
    return s.size() < max.size() || (s.size() == max.size() && s <= max);
}

template <class T>
T field(std::string_view in, size_t at) {
    T v{};
    if (at < in.size()) std::memcpy(&v, in.data() + at, std::min(sizeof v, in.size() - at));
    return v;
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(sequence) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto n = store::SequenceNumber::parse(text)) {
        TRIB_FUZZ_CHECK(store::is_sequence_number_text(text), "parsed text passes the pattern");
        TRIB_FUZZ_CHECK(n->seq_index <= store::SequenceNumber::kMaxSeqIndex, "seq_index range");
        TRIB_FUZZ_CHECK(n->to_string() == text, "sequence number prints as it was written");
    }

    if (auto k = store::HashKey::parse(text)) {
        TRIB_FUZZ_CHECK(store::is_hash_key_text(text), "parsed text passes the pattern");
        TRIB_FUZZ_CHECK(decimal_at_most(text, kMaxHashKey), "hash key fits 128 bits");
        TRIB_FUZZ_CHECK(k->to_string() == text, "hash key prints as it was written");
        TRIB_FUZZ_CHECK(store::HashKey::parse(k->to_string()) == k, "hash key round-trips");
    } else if (store::is_hash_key_text(text)) {
        TRIB_FUZZ_CHECK(!decimal_at_most(text, kMaxHashKey), "only overflow rejects a number");
    }

    if (auto id = store::ShardId::parse(text)) {
        auto again = store::ShardId::parse(id->to_string());
        TRIB_FUZZ_CHECK(again && *again == *id, "shard id round-trips");
    }

    store::SequenceNumber n;
    n.shard_create_secs = field<uint64_t>(text, 0) & ((uint64_t(1) << 36) - 1);
    n.shard_index = field<uint32_t>(text, 8);
    n.seq_index = field<uint64_t>(text, 12) & store::SequenceNumber::kMaxSeqIndex;
    n.seq_time_secs = field<uint64_t>(text, 20) & ((uint64_t(1) << 36) - 1);
    std::string printed = n.to_string();
    auto back = store::SequenceNumber::parse(printed);
    TRIB_FUZZ_CHECK(back && *back == n, "fields → text → fields");
    // Order within a shard follows seq_index, as the store relies on.
    store::SequenceNumber next = n;
    if (n.seq_index < store::SequenceNumber::kMaxSeqIndex) {
        ++next.seq_index;
        std::string later = next.to_string();
        TRIB_FUZZ_CHECK(later.size() > printed.size() ||
                            (later.size() == printed.size() && later > printed),
                        "a later record's number is greater as a decimal");
    }
    return 0;
}
