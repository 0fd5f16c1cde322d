// agent/sources/tail/position.h: Position::decode() of any bytes (a checkpoint read back from
// the spool) returns a position or errc::bad_position, never crashes. The encoding is exact:
// a position that decodes re-encodes to the very bytes it came from, those decode to an equal
// position, and neither one byte less nor one byte more decodes.
//
// Input: the whole input is the encoded position.

#include <string>

#include "agent/sources/tail/errc.h"
#include "agent/sources/tail/position.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace tail = agent::sources::tail;
}

TRIB_FUZZ_TARGET(tail_position) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto p = tail::Position::decode(bytes);
    if (!p) {
        TRIB_FUZZ_CHECK(p.error().code == tail::errc::bad_position, "errors are bad_position");
        TRIB_FUZZ_CHECK(p.error().message.starts_with("tail position "),
                        "an error says what it is about");
        return 0;
    }
    TRIB_FUZZ_CHECK(p->fingerprint_bytes <= tail::kFingerprintMax, "fingerprint within its max");
    TRIB_FUZZ_CHECK(p->marker_bytes <= tail::kMarkerMax, "marker within its max");
    TRIB_FUZZ_CHECK(p->marker_bytes <= p->offset, "marker does not reach before the file");

    std::string again = p->encode();
    TRIB_FUZZ_CHECK(again == bytes, "a decoded position re-encodes to the same bytes");
    auto back = tail::Position::decode(again);
    TRIB_FUZZ_CHECK(back && *back == *p, "encode() → decode() gives an equal position");

    TRIB_FUZZ_CHECK(!tail::Position::decode(bytes.substr(0, bytes.size() - 1)),
                    "one byte less does not decode");
    TRIB_FUZZ_CHECK(!tail::Position::decode(again + '\0'), "one byte more does not decode");
    return 0;
}
