#pragma once
// Position: where reading of one file stands, as the engine checkpoints it.
//
// A Position travels out of Tail in every Batch and is stored by the engine in the spool in the
// same LMDB transaction as the batch's records; on restart the engine hands the stored ones
// back to Tail::open(). The engine treats it as opaque bytes (encode()/decode()); the layout is
// specified in README.md and versioned by its first byte.
//
// A file is identified by (st_dev, st_ino) plus a fingerprint: an FNV-1a 64 hash of its first
// `fingerprint_bytes` bytes (up to kFingerprintMax). A checkpoint taken while the file was
// short still matches the same file once it has grown, because the comparison re-hashes only
// the first `fingerprint_bytes` bytes. A second hash, `marker`, covers the up-to-32 bytes just
// before `offset` (as Fluent Bit's offset marker does), so a copytruncate that refilled the
// file past `offset` with the same head is still noticed.

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/result.h"

namespace tributary::agent::sources::tail {

inline constexpr uint32_t kFingerprintMax = 1024;
inline constexpr uint32_t kMarkerMax = 32;

struct Position {
    std::string key;   // the file's stable key (Batch::file_key), kept across restarts
    std::string path;  // where the file was last seen; used to look for it again on restart
    uint64_t dev = 0;
    uint64_t ino = 0;
    uint64_t offset = 0;  // the next read of this file starts here (a record boundary)
    uint32_t fingerprint_bytes = 0;
    uint64_t fingerprint = 0;  // FNV-1a 64 of bytes [0, fingerprint_bytes)
    uint32_t marker_bytes = 0;
    uint64_t marker = 0;  // FNV-1a 64 of bytes [offset - marker_bytes, offset)

    std::string encode() const;
    // Errors: errc::bad_position when `bytes` is truncated, has an unknown version, or holds
    // inconsistent fields (marker longer than the offset, oversized strings).
    static Result<Position> decode(std::string_view bytes);

    friend bool operator==(const Position&, const Position&) = default;
};

// FNV-1a 64: small, fast on 32-bit ARM, and good enough to tell two log heads apart.
uint64_t fnv1a64(std::string_view data);

// Hashes bytes [from, from + len) of `fd` with fnv1a64. Returns false when fewer than `len`
// bytes could be read there (the file is shorter, or reading failed).
bool hash_range(int fd, uint64_t from, uint32_t len, uint64_t& out);

}  // namespace tributary::agent::sources::tail
