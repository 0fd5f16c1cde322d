// collector/api/codec.h with the CBOR protocol (application/x-amz-cbor-1.1): decode() of any
// body (tags, indefinite lengths, the tag-1 timestamps of the Java SDK), then the Input
// accessors and encode() on what decoded.

#include "tests/fuzz/codec_exercise.h"

TRIB_FUZZ_TARGET(codec_cbor) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto v = api::decode(body, api::Format::cbor);
    if (!v) return 0;
    TRIB_FUZZ_CHECK(v->is_object(), "decode returns an object");
    exercise_input(*v, api::Format::cbor);
    check_encode(*v, api::Format::cbor);
    return 0;
}
