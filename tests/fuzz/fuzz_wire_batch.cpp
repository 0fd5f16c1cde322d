// shared/wire (docs/mqtt.md): decode_batch, decode_answer and parse_put_topic take any bytes and
// return a value or an error, never crash; what decodes is within the protocol's limits and
// re-encodes to a payload that decodes to the same values. The codec writes minimal varints and
// accepts only those, so an uncompressed batch or an answer re-encodes to the very same bytes.
//
// Input: byte 0 chooses; the rest is the payload. Bit 0: seal it first (replace its last 4
// bytes by the CRC-32 of the bytes before them) so the fuzzer gets past the checksum; bit 1:
// decode an answer instead of a batch; bit 2: also parse the payload as a topic.

#include <zlib.h>

#include <string>

#include "shared/wire/batch.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

namespace w = wire;

std::string sealed(std::string p) {
    if (p.size() < 4) return p;
    size_t body = p.size() - 4;
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(p.data()), static_cast<uInt>(body));
    for (int i = 0; i < 4; ++i) p[body + i] = static_cast<char>(crc >> (24 - 8 * i));
    return p;
}

void check_batch(std::string_view payload) {
    auto b = w::decode_batch(payload);
    if (!b) {
        TRIB_FUZZ_CHECK(b.error().code.category() == w::wire_category(), "a wire error");
        TRIB_FUZZ_CHECK(!b.error().message.empty(), "errors explain themselves");
        return;
    }
    TRIB_FUZZ_CHECK(!b->records.empty() && b->records.size() <= w::kMaxRecords, "record count");
    TRIB_FUZZ_CHECK(b->record_bytes <= w::kMaxBatchBytes, "batch size");
    TRIB_FUZZ_CHECK(b->compressed == (b->storage != nullptr), "owns only what it inflated");
    for (const auto& r : b->records)
        TRIB_FUZZ_CHECK(r.partition_key.size() + r.data.size() <= w::kMaxRecordBytes,
                        "record size");

    std::string again;
    TRIB_FUZZ_CHECK(w::encode_batch(b->header, b->records, w::Compression::none, again),
                    "what decodes encodes");
    if (!b->compressed) TRIB_FUZZ_CHECK(again == payload, "canonical: same bytes again");
    auto back = w::decode_batch(again);
    TRIB_FUZZ_CHECK(back && back->records.size() == b->records.size(), "re-encoding decodes");
    for (size_t i = 0; i < b->records.size(); ++i) {
        TRIB_FUZZ_CHECK(back->records[i].data == b->records[i].data, "same data");
        TRIB_FUZZ_CHECK(back->records[i].partition_key == b->records[i].partition_key, "same key");
    }
}

void check_answer(std::string_view payload) {
    auto a = w::decode_answer(payload);
    if (!a) {
        TRIB_FUZZ_CHECK(a.error().code.category() == w::wire_category(), "a wire error");
        return;
    }
    TRIB_FUZZ_CHECK(a->error ? a->records.empty() : !a->records.empty(), "one kind");
    std::string again;
    TRIB_FUZZ_CHECK(w::encode_answer(*a, again), "what decodes encodes");
    TRIB_FUZZ_CHECK(again == payload, "canonical: same bytes again");
}

void check_topic(std::string_view topic) {
    auto t = w::parse_put_topic(topic);
    if (!t) return;
    auto built = w::put_topic(t->device, t->stream);
    TRIB_FUZZ_CHECK(built && *built == topic, "a put topic is rebuilt from its parts");
    TRIB_FUZZ_CHECK(w::ack_topic(t->device), "its device has an ack topic");
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(wire_batch) {
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (mode & 1) payload = sealed(std::move(payload));
    if (mode & 2)
        check_answer(payload);
    else
        check_batch(payload);
    if (mode & 4) check_topic(payload);
    return 0;
}
