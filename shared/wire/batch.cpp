#include "shared/wire/batch.h"

#include <zstd.h>
#include <zstd_errors.h>

#include "shared/wire/bytes.h"

namespace tributary::wire {
namespace {

using detail::field_name;
using detail::Reader;
using detail::varint_size;

// 2^128 - 1, the largest explicit hash key Kinesis accepts.
constexpr std::string_view kMaxHashKey = "340282366920938463463374607431768211455";
// A record takes at least 5 bytes: four one-byte lengths/values and a 1-byte partition key.
constexpr size_t kMinRecordSectionBytes = 5;
// Decompression never needs a window larger than the section itself; refusing frames that ask
// for more bounds a hostile frame's memory (2^23 = 8 MiB > kMaxSectionBytes).
constexpr int kMaxWindowLog = 23;
static_assert((size_t(1) << kMaxWindowLog) >= kMaxSectionBytes);

// One compression and one decompression context per thread: contexts are expensive to
// create and not thread-safe, and one-shot calls reuse them.
struct ZstdContexts {
    ZSTD_CCtx* c = nullptr;
    ZSTD_DCtx* d = nullptr;
    ZstdContexts() = default;
    ZstdContexts(const ZstdContexts&) = delete;
    ZstdContexts& operator=(const ZstdContexts&) = delete;
    ~ZstdContexts() {
        ZSTD_freeCCtx(c);
        ZSTD_freeDCtx(d);
    }
};
thread_local ZstdContexts zstd;

ZSTD_CCtx* cctx() {
    if (!zstd.c) zstd.c = ZSTD_createCCtx();
    return zstd.c;
}

ZSTD_DCtx* dctx() {
    if (!zstd.d) {
        zstd.d = ZSTD_createDCtx();
        if (zstd.d) ZSTD_DCtx_setParameter(zstd.d, ZSTD_d_windowLogMax, kMaxWindowLog);
    }
    return zstd.d;
}

std::string limit_text(size_t n) { return std::to_string(n); }

Result<void> check_flow(std::string_view flow) {
    if (flow.empty() || flow.size() > kMaxFlowBytes)
        return fail(errc::bad_field, "flow is " + std::to_string(flow.size()) +
                                         " bytes; it must be 1 to " + limit_text(kMaxFlowBytes));
    if (!detail::valid_utf8(flow)) return fail(errc::bad_field, "flow is not valid UTF-8");
    return {};
}

Result<void> check_partition_key(std::string_view key, long i) {
    if (key.empty() || key.size() > kMaxPartitionKeyBytes)
        return fail(errc::bad_field, field_name("partition_key", i) + " is " +
                                         std::to_string(key.size()) + " bytes; it must be 1 to " +
                                         limit_text(kMaxPartitionKeyBytes));
    if (!detail::valid_utf8(key))
        return fail(errc::bad_field, field_name("partition_key", i) + " is not valid UTF-8");
    if (size_t chars = detail::utf8_chars(key); chars > kMaxPartitionKeyChars)
        return fail(errc::bad_field, field_name("partition_key", i) + " has " +
                                         std::to_string(chars) + " characters; at most " +
                                         limit_text(kMaxPartitionKeyChars) + " are allowed");
    return {};
}

// Kinesis' ExplicitHashKey: 0|[1-9][0-9]{0,38}, at most 2^128-1. Empty means none.
Result<void> check_hash_key(std::string_view key, long i) {
    if (key.empty()) return {};
    bool digits = key.size() <= kMaxExplicitHashKeyDigits &&
                  key.find_first_not_of("0123456789") == std::string_view::npos &&
                  (key.size() == 1 || key[0] != '0');
    if (!digits || (key.size() == kMaxHashKey.size() && key > kMaxHashKey))
        return fail(errc::bad_field, field_name("explicit_hash_key", i) +
                                         " must be a decimal number from 0 to 2^128-1 without "
                                         "leading zeros");
    return {};
}

Result<void> check_record_size(size_t partition_key, uint64_t data, long i) {
    if (data > kMaxRecordBytes - partition_key)
        return fail(errc::over_limit, "record " + std::to_string(i) + " is " +
                                          std::to_string(partition_key + data) +
                                          " bytes (data + partition key); the limit is " +
                                          limit_text(kMaxRecordBytes));
    return {};
}

Result<void> check_batch_size(size_t total) {
    if (total > kMaxBatchBytes)
        return fail(errc::over_limit, "batch holds more than " + limit_text(kMaxBatchBytes) +
                                          " bytes of data + partition keys (" +
                                          std::to_string(total) + " so far)");
    return {};
}

Result<void> check_count(uint64_t n) {
    if (n == 0) return fail(errc::bad_field, "a batch holds 1 to 500 records, not 0");
    if (n > kMaxRecords)
        return fail(errc::over_limit, "a batch holds at most " + limit_text(kMaxRecords) +
                                          " records, not " + std::to_string(n));
    return {};
}

// Validates what the decoder validates and returns the uncompressed section's size.
Result<size_t> check_batch(const BatchHeader& header, std::span<const BatchRecord> records) {
    TRIB_TRY_VOID(check_flow(header.flow));
    TRIB_TRY_VOID(check_count(records.size()));
    size_t total = 0, section = 0;
    for (size_t i = 0; i < records.size(); ++i) {
        const BatchRecord& r = records[i];
        const long at = static_cast<long>(i);
        TRIB_TRY_VOID(check_partition_key(r.partition_key, at));
        TRIB_TRY_VOID(check_hash_key(r.explicit_hash_key, at));
        TRIB_TRY_VOID(check_record_size(r.partition_key.size(), r.data.size(), at));
        total += r.partition_key.size() + r.data.size();
        TRIB_TRY_VOID(check_batch_size(total));
        section += varint_size(r.partition_key.size()) + r.partition_key.size() +
                   varint_size(r.explicit_hash_key.size()) + r.explicit_hash_key.size() +
                   varint_size(r.data.size()) + r.data.size() + varint_size(r.timestamp_ms);
    }
    TRIB_ASSERT(section <= kMaxSectionBytes, "records section within its bound");
    return section;
}

void put_records(std::string& out, std::span<const BatchRecord> records) {
    for (const BatchRecord& r : records) {
        detail::put_bytes(out, r.partition_key);
        detail::put_bytes(out, r.explicit_hash_key);
        detail::put_bytes(out, r.data);
        detail::put_varint(out, r.timestamp_ms);
    }
}

// Writes the header up to and including the section size; returns the flags byte's offset.
size_t put_header(std::string& out, const BatchHeader& h, size_t count, size_t section) {
    out.push_back(static_cast<char>(kRequestMagic));
    out.push_back(static_cast<char>(kVersion));
    size_t flags_at = out.size();
    out.push_back(0);
    out.append(reinterpret_cast<const char*>(h.producer_id.data()), h.producer_id.size());
    detail::put_bytes(out, h.flow);
    detail::put_varint(out, h.sequence);
    detail::put_varint(out, count);
    detail::put_varint(out, section);
    return flags_at;
}

// Compresses `raw` after the header already in `out`; false (and `out` as it was) when
// compression fails or does not make the section smaller.
bool put_compressed(std::string& out, std::string_view raw) {
    ZSTD_CCtx* c = cctx();
    if (!c) return false;
    const size_t header = out.size();
    out.resize(header + ZSTD_compressBound(raw.size()));
    size_t n = ZSTD_compressCCtx(c, out.data() + header, out.size() - header, raw.data(),
                                 raw.size(), kZstdLevel);
    if (ZSTD_isError(n) || n >= raw.size()) {
        out.resize(header);
        return false;
    }
    out.resize(header + n);
    return true;
}

Result<std::unique_ptr<char[]>> decompress(std::string_view frame, size_t size) {
    if (frame.empty())
        return fail(errc::truncated, "records section truncated: the zstd frame is missing");
    unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (declared == ZSTD_CONTENTSIZE_ERROR)
        return fail(errc::decompression_failed, "records section is not a zstd frame");
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != size)
        return fail(errc::decompression_failed,
                    "zstd frame holds " + std::to_string(declared) +
                        " bytes but the header declares a records section of " +
                        std::to_string(size));
    ZSTD_DCtx* d = dctx();
    if (!d) return fail(errc::decompression_failed, "out of memory for a zstd context");
    auto buffer = std::make_unique_for_overwrite<char[]>(size);
    size_t n = ZSTD_decompressDCtx(d, buffer.get(), size, frame.data(), frame.size());
    if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
            return fail(errc::decompression_failed,
                        "zstd records section inflates beyond the declared " +
                            std::to_string(size) + " bytes");
        return fail(errc::decompression_failed,
                    std::string("zstd records section: ") + ZSTD_getErrorName(n));
    }
    if (n != size)
        return fail(errc::decompression_failed,
                    "zstd records section inflates to " + std::to_string(n) +
                        " bytes, not the declared " + std::to_string(size));
    return buffer;
}

Result<void> read_records(Reader& r, size_t count, DecodedBatch& b) {
    b.records.reserve(count);  // count <= kMaxRecords: checked before
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) {
        const long at = static_cast<long>(i);
        BatchRecord rec;
        TRIB_TRY(rec.partition_key, r.sized("partition_key", 1, kMaxPartitionKeyBytes, at));
        TRIB_TRY_VOID(check_partition_key(rec.partition_key, at));
        TRIB_TRY(rec.explicit_hash_key,
                 r.sized("explicit_hash_key", 0, kMaxExplicitHashKeyDigits, at));
        TRIB_TRY_VOID(check_hash_key(rec.explicit_hash_key, at));
        TRIB_TRY(uint64_t data_len, r.varint("data length", at));
        TRIB_TRY_VOID(check_record_size(rec.partition_key.size(), data_len, at));
        TRIB_TRY(rec.data, r.bytes(static_cast<size_t>(data_len), "data", at));
        TRIB_TRY(rec.timestamp_ms, r.varint("timestamp_ms", at));
        total += rec.partition_key.size() + rec.data.size();
        TRIB_TRY_VOID(check_batch_size(total));
        b.records.push_back(rec);
    }
    if (!r.at_end())
        return fail(errc::bad_field,
                    std::to_string(r.remaining()) + " unexpected byte(s) after the last record");
    b.record_bytes = total;
    return {};
}

}  // namespace

Result<void> encode_batch(const BatchHeader& header, std::span<const BatchRecord> records,
                          Compression compression, std::string& out) {
    out.clear();
    TRIB_TRY(size_t section, check_batch(header, records));
    bool compressed = false;
    if (compression == Compression::zstd) {
        std::string raw;
        raw.reserve(section);
        put_records(raw, records);
        out.reserve(section + 64 + header.flow.size());
        size_t flags_at = put_header(out, header, records.size(), section);
        compressed = put_compressed(out, raw);
        if (compressed)
            out[flags_at] = static_cast<char>(kFlagZstd);
        else
            out.append(raw);
    } else {
        out.reserve(section + 64 + header.flow.size());
        put_header(out, header, records.size(), section);
        put_records(out, records);
    }
    detail::put_crc_trailer(out);
    return {};
}

Result<DecodedBatch> decode_batch(std::string_view payload) {
    if (payload.empty()) return fail(errc::truncated, "empty payload");
    if (static_cast<uint8_t>(payload[0]) != kRequestMagic)
        return fail(errc::bad_magic, "not a Tributary batch: it starts with byte " +
                                         std::to_string(static_cast<uint8_t>(payload[0])) +
                                         ", a version 1 batch starts with 0x52 ('R')");
    if (payload.size() < 2) return fail(errc::truncated, "payload truncated after its first byte");
    if (auto v = static_cast<uint8_t>(payload[1]); v != kVersion)
        return fail(errc::unsupported_version, "batch payload version " + std::to_string(v) +
                                                   " is not supported; this collector speaks "
                                                   "version 1");
    if (payload.size() > kMaxRequestBytes)
        return fail(errc::over_limit, "payload of " + std::to_string(payload.size()) +
                                          " bytes exceeds the largest valid batch (" +
                                          limit_text(kMaxRequestBytes) + " bytes)");
    if (payload.size() < 2 + 4)
        return fail(errc::truncated, "payload of " + std::to_string(payload.size()) +
                                         " bytes is too short for a batch");
    TRIB_TRY_VOID(detail::check_crc_trailer(payload));
    std::string_view body = payload.substr(0, payload.size() - 4);

    Reader r(body.substr(2), "batch header");
    DecodedBatch b;
    TRIB_TRY(uint8_t flags, r.byte("flags"));
    if (flags & ~kFlagZstd)
        return fail(errc::bad_field,
                    "flags " + std::to_string(flags) + " has bits other than bit 0 (zstd) set");
    b.compressed = flags & kFlagZstd;
    TRIB_TRY(std::string_view producer, r.bytes(16, "producer_id"));
    std::copy(producer.begin(), producer.end(),
              reinterpret_cast<char*>(b.header.producer_id.data()));
    TRIB_TRY(std::string_view flow, r.sized("flow", 1, kMaxFlowBytes));
    TRIB_TRY_VOID(check_flow(flow));
    b.header.flow = flow;
    TRIB_TRY(b.header.sequence, r.varint("sequence"));
    TRIB_TRY(uint64_t count, r.varint("record count"));
    TRIB_TRY_VOID(check_count(count));
    TRIB_TRY(uint64_t section, r.varint("records section size"));
    if (section > kMaxSectionBytes)
        return fail(errc::over_limit, "records section of " + std::to_string(section) +
                                          " bytes exceeds the largest valid one (" +
                                          limit_text(kMaxSectionBytes) + " bytes)");
    if (section < count * kMinRecordSectionBytes)
        return fail(errc::bad_field, "a records section of " + std::to_string(section) +
                                         " bytes cannot hold " + std::to_string(count) +
                                         " records");

    std::string_view records;
    if (b.compressed) {
        TRIB_TRY(b.storage, decompress(r.rest(), static_cast<size_t>(section)));
        records = std::string_view(b.storage.get(), static_cast<size_t>(section));
    } else {
        TRIB_TRY(records, r.bytes(static_cast<size_t>(section), "records section"));
        if (!r.at_end())
            return fail(errc::bad_field, std::to_string(r.remaining()) +
                                             " unexpected byte(s) after the records section");
    }
    Reader rr(records, "records section");
    TRIB_TRY_VOID(read_records(rr, static_cast<size_t>(count), b));
    return b;
}

}  // namespace tributary::wire
