#pragma once
// What both codec targets do with a body that decoded: read members through Input the way the
// handlers do, then encode the tree again and check that the wire form decodes back.

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "collector/api/codec.h"
#include "shared/encoding/base64.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {

namespace api = collector::api;

// Members the handlers read, with every accessor, whatever their type: each accessor must
// return a value or a SerializationException, never throw or misbehave.
inline void read_member(const api::Input& in, std::string_view key) {
    (void)in.has(key);
    if (auto s = in.string(key); s && *s) TRIB_FUZZ_CHECK(in.raw()[key].is_string(), "string");
    (void)in.integer(key);
    if (auto b = in.boolean(key); b && *b) TRIB_FUZZ_CHECK(in.raw()[key].is_boolean(), "boolean");
    (void)in.timestamp_ms(key);
    if (auto o = in.object(key); o && *o) TRIB_FUZZ_CHECK((*o)->is_object(), "object");
    if (auto l = in.list(key); l && *l) TRIB_FUZZ_CHECK((*l)->is_array(), "list");
}

inline void read_value(const api::Input& in, const api::json& v) {
    (void)api::Input::string_of(v);
    (void)in.timestamp_of(v);
    auto blob = in.blob_of(v);
    if (blob && *blob && in.format() == api::Format::json) {
        // A blob that decoded re-encodes to base64 that decodes to the same bytes.
        auto again = encoding::base64_decode(encoding::base64_encode(**blob));
        TRIB_FUZZ_CHECK(again && *again == **blob, "base64 round trip");
    }
}

inline void exercise_input(const api::json& body, api::Format format) {
    api::Input in(body, format);
    for (std::string_view key :
         {"StreamName", "StreamARN", "Data", "PartitionKey", "ExplicitHashKey", "Timestamp",
          "Records", "Limit", "ShardCount", "ShardIterator", "NextToken", "MaxResults",
          "EnforceConsumerDeletion", "RetentionPeriodHours", "ShardFilter", "Tags"})
        read_member(in, key);
    size_t n = 0;
    for (auto it = body.begin(); it != body.end() && n < 64; ++it, ++n) {
        read_member(in, it.key());
        read_value(in, it.value());
    }
    if (auto records = in.list("Records"); records && *records) {
        n = 0;
        for (const auto& rec : **records) {
            if (++n > 64) break;
            read_value(in, rec);
            if (!rec.is_object()) continue;
            api::Input r(rec, format);
            for (std::string_view key : {"Data", "PartitionKey", "ExplicitHashKey"}) {
                read_member(r, key);
                if (auto it = rec.find(key); it != rec.end()) read_value(r, *it);
            }
        }
    }
}

// encode() of a decoded tree: CBOR gives the same tree back (the same encoding again); JSON
// gives an object (timestamps and numbers may change form, so only the shape is compared, and
// only when the tree came from JSON: CBOR text may be invalid UTF-8, which encode() replaces,
// so two keys may become one).
inline size_t depth(const api::json& root) {
    size_t deepest = 0;
    std::vector<std::pair<const api::json*, size_t>> todo{{&root, 1}};
    while (!todo.empty()) {
        auto [v, d] = todo.back();
        todo.pop_back();
        deepest = std::max(deepest, d);
        if (v->is_structured())
            for (const auto& e : *v) todo.emplace_back(&e, d + 1);
    }
    return deepest;
}

inline void check_encode(const api::json& body, api::Format from) {
    // encode() recurses; it is meant for response trees, which the handlers build and keep
    // shallow. A request nested deeper than any response is not its input.
    if (depth(body) > 64) return;
    std::string wire = api::encode(body, api::Format::cbor);
    auto cbor = api::decode(wire, api::Format::cbor);
    TRIB_FUZZ_CHECK(cbor.has_value(), "encode(cbor) decodes");
    // Compared as encodings: a NaN is not equal to itself as a json value.
    TRIB_FUZZ_CHECK(api::encode(*cbor, api::Format::cbor) == wire, "encode(cbor) round-trips");
    auto json = api::decode(api::encode(body, api::Format::json), api::Format::json);
    TRIB_FUZZ_CHECK(json.has_value(), "encode(json) decodes");
    if (from == api::Format::json)
        TRIB_FUZZ_CHECK(json->size() == body.size(), "encode(json) keeps every member");
}

}  // namespace tributary::fuzz
