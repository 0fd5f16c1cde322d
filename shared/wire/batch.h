#pragma once
// The MQTT request payload, version 1 (docs/mqtt.md, "Request payload"): one batch of records
// for one stream, with the producer id, flow and batch sequence that make delivery exactly-once.
//
// Stateless functions; safe from any thread (each thread keeps its own zstd contexts). The
// decoder checks every length and count against the limits below and the bytes left before it
// allocates or reads, so hostile payloads cost at most kMaxSectionBytes of memory.
//
// This header is the codec's entry point: it also brings in the answer (answer.h) and the
// topic helpers (topic.h).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.h"
#include "shared/wire/answer.h"
#include "shared/wire/errc.h"
#include "shared/wire/topic.h"

namespace tributary::wire {

inline constexpr uint8_t kRequestMagic = 0x52;  // 'R'
inline constexpr uint8_t kVersion = 1;
inline constexpr uint8_t kFlagZstd = 0x01;  // the records section is one zstd frame

// PutRecords' limits (the 2013-2025 ones: see docs/mqtt.md, "Limits").
inline constexpr size_t kMaxRecords = 500;
inline constexpr size_t kMaxRecordBytes = size_t(1) << 20;  // data + partition key
inline constexpr size_t kMaxBatchBytes = size_t(5) << 20;   // sum of data + partition keys
inline constexpr size_t kMaxPartitionKeyChars = 256;        // Unicode characters, as Kinesis
inline constexpr size_t kMaxPartitionKeyBytes = 4 * kMaxPartitionKeyChars;
inline constexpr size_t kMaxExplicitHashKeyDigits = 39;  // 2^128-1 has 39 digits
inline constexpr size_t kMaxFlowBytes = 1024;
// The uncompressed records section: the records plus their framing, at most 64 bytes each.
inline constexpr size_t kMaxSectionBytes = kMaxBatchBytes + kMaxRecords * 64;
// A whole request payload: the section plus a header of at most 1,060 bytes and the trailer
// (a compressed section is only sent when smaller than the raw one).
inline constexpr size_t kMaxRequestBytes = kMaxSectionBytes + 2048;
inline constexpr int kZstdLevel = 1;

struct BatchRecord {
    std::string_view partition_key;
    std::string_view explicit_hash_key;  // empty = none, else decimal 0..2^128-1
    std::string_view data;
    uint64_t timestamp_ms = 0;  // when the device produced the record; 0 = not given
};

struct BatchHeader {
    std::array<uint8_t, 16> producer_id{};
    std::string flow;       // 1..1024 bytes of UTF-8
    uint64_t sequence = 0;  // the batch's number in its flow (docs/agent-delivery.md)
};

enum class Compression : uint8_t {
    none,
    zstd,  // compress the records section when that makes the payload smaller
};

// Encodes one batch into `out` (replacing its contents; its capacity is reused). With
// Compression::zstd the section is compressed at kZstdLevel and sent compressed only if that
// saves bytes. Checks what the decoder checks, so what encodes is accepted. Errors:
// over_limit (records, record or batch size), bad_field (no records, flow length or UTF-8,
// partition key, explicit hash key), decompression_failed never; `out` is empty after an error.
Result<void> encode_batch(const BatchHeader& header, std::span<const BatchRecord> records,
                          Compression compression, std::string& out);

// A decoded batch. Records point into the payload given to decode_batch() when the section
// arrived uncompressed (the payload must outlive this object), or into `storage`, which this
// object owns, when it arrived compressed. Move-only; moving keeps the views valid.
struct DecodedBatch {
    BatchHeader header;
    bool compressed = false;  // the section arrived zstd-compressed
    std::vector<BatchRecord> records;
    size_t record_bytes = 0;          // sum of data + partition key sizes (the 5 MiB limit)
    std::unique_ptr<char[]> storage;  // the decompressed section; null when uncompressed
};

// Decodes and validates one request payload. Errors, in the order checked:
// bad_magic (first byte not 'R'), unsupported_version, over_limit (payload over
// kMaxRequestBytes), truncated (shorter than a header), bad_checksum, then per field
// truncated / bad_field / over_limit, decompression_failed (not a zstd frame of exactly the
// declared size). The message names the field, e.g. "records[3].partition_key".
Result<DecodedBatch> decode_batch(std::string_view payload);

}  // namespace tributary::wire
