// collector/api/codec.h with the JSON protocol (application/x-amz-json-1.1): decode() of any
// body, then the Input accessors and encode() on what decoded.

#include "tests/fuzz/codec_exercise.h"

TRIB_FUZZ_TARGET(codec_json) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto v = api::decode(body, api::Format::json);
    if (!v) return 0;
    TRIB_FUZZ_CHECK(v->is_object(), "decode returns an object");
    exercise_input(*v, api::Format::json);
    check_encode(*v, api::Format::json);
    return 0;
}
