#pragma once
// Spool: the agent's durable queue of records per flow, and the sources' checkpoints, in one
// LMDB environment (layout: docs/agent-spool.md).
//
// Lifecycle: open() takes an exclusive lock on the directory, loads the flow table and starts one
// writer thread; the destructor lets the writer finish every queued call, then joins it.
//
// Writes (append, remove, next_batch_sequence) are jobs for the writer. It takes every queued
// job, runs each in its own nested transaction (a failing job is undone without touching the
// others), and commits them together: one fsync for all threads' calls (group commit). A call
// returns after that commit. Each call is atomic: all of its records and checkpoint updates are
// committed, or none.
//
// Reads (peek, checkpoint, checkpoints) run on the caller's thread in LMDB read transactions and
// never wait for the writer. stats() reads counters published after each commit.
// All public functions are thread-safe.
//
// Durability: with SyncPolicy::batch a successful append is on disk when the call returns. With
// every policy a killed process loses nothing that returned success (the page cache survives).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/buffer/errc.h"
#include "shared/result.h"

namespace tributary::agent::buffer {

enum class FullPolicy {
    block,        // append fails with errc::full, nothing written; the caller stops reading
    drop_oldest,  // the flow's oldest entries are deleted in the same transaction, and counted
};

enum class SyncPolicy {
    batch,  // fsync every commit: a successful append survives a power cut
    lazy,   // MDB_NOMETASYNC: one data sync per commit; a power cut may undo the last commit,
            // never corrupts
    off,    // MDB_NOSYNC: no fsync; a power cut may lose recent commits, and on a file system
            // that reorders writes it may corrupt the spool. Call flush() to sync by hand.
};

struct Options {
    std::string dir;  // created if missing; holds data.mdb, lock.mdb and spool.lock
    // Size of the LMDB map: the spool's hard ceiling, and address space. On 32-bit hosts keep it
    // well under 1 GiB (the config's default there is 256 MiB).
    uint64_t map_bytes = uint64_t(256) << 20;
    SyncPolicy sync = SyncPolicy::batch;
    std::function<uint64_t()> clock;  // epoch ms for enqueued_ms; defaults to the system clock
};

// A flow's quota. Bytes count what the spool stores per entry: 20 + partition key + data
// (8-byte key, 12-byte header), the figure stats() reports.
struct FlowLimits {
    uint64_t max_bytes = 0;
    FullPolicy policy = FullPolicy::block;
};

struct NewRecord {
    std::string_view partition_key, data;
};

// nullopt deletes the key.
struct CheckpointUpdate {
    std::string key;
    std::optional<std::string> value;
};

struct Entry {
    uint64_t id = 0;  // strictly increasing per flow, never reused, starts at 1
    std::string partition_key, data;
    uint64_t enqueued_ms = 0;
};

struct AppendResult {
    size_t appended = 0;
    size_t dropped_oldest = 0;
    uint64_t first_id = 0, last_id = 0;  // ids given to the records (0 when none)
};

class Spool {
public:
    // Errors: invalid_argument (empty dir, map_bytes too small or beyond this host's size_t),
    // map_unavailable (the map cannot be mapped: the message names the size), locked (another
    // process has the directory), format (another format version, a corrupt row),
    // storage (cannot create the directory, other LMDB errors).
    static Result<std::unique_ptr<Spool>> open(Options options);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Sets or replaces a flow's quota (kept in memory; the config sets it after every open).
    // A flow without limits is bounded by the map only. Applies from the next append.
    void set_limits(std::string_view flow, FlowLimits limits);

    // One transaction: the records join the flow's queue in order, with ids strictly increasing,
    // and the checkpoint updates apply. Records may be empty (a checkpoint-only advance, e.g.
    // after a processor dropped every line). The flow is created on first use.
    // Errors (nothing written on any of them): invalid_argument (flow name empty or over 400
    // bytes, checkpoint key empty or over 500 bytes), too_large (the records alone exceed the
    // flow's max_bytes), full (policy block and the flow has no room, or the LMDB map is full
    // under any policy), too_many_flows, closed, storage.
    Result<AppendResult> append(std::string_view flow, std::span<const NewRecord> records,
                                std::span<const CheckpointUpdate> checkpoints = {});

    // Up to max_records entries with id > after_id, in id order, while their partition keys and
    // data add up to at most max_bytes — but always at least one entry when there is one, so an
    // entry larger than max_bytes cannot stall the flow. An unknown flow has no entries.
    // Errors: format (an entry that does not decode), storage.
    Result<std::vector<Entry>> peek(std::string_view flow, uint64_t after_id, size_t max_records,
                                    size_t max_bytes);

    // Deletes delivered entries, in any order, and applies the checkpoint updates, in one
    // transaction. Ids that are absent (already removed, or dropped by drop_oldest while in
    // flight) are skipped. Returns how many entries were deleted.
    // Errors: invalid_argument (bad checkpoint key), closed, storage (nothing changed then).
    Result<size_t> remove(std::string_view flow, std::span<const uint64_t> ids,
                          std::span<const CheckpointUpdate> checkpoints = {});

    // Errors: invalid_argument (bad key), storage.
    Result<std::optional<std::string>> checkpoint(std::string_view key);
    // Every checkpoint whose key starts with key_prefix, in key order. Errors: storage.
    Result<std::vector<std::pair<std::string, std::string>>> checkpoints(
        std::string_view key_prefix);

    struct FlowStats {
        uint64_t records = 0, bytes = 0;
        uint64_t oldest_enqueued_ms = 0;  // 0 when the flow is empty
        uint64_t appended_total = 0, removed_total = 0, dropped_total = 0;  // persisted
    };
    // As of the last commit; zeros for an unknown flow.
    FlowStats stats(std::string_view flow) const;
    // Every flow the spool knows, including flows of earlier configurations that still hold
    // entries.
    std::vector<std::string> flows() const;
    // Write transactions committed since open. With SyncPolicy::batch each is one durable
    // commit (LMDB syncs the data pages, then the meta page); lazy drops the second sync.
    uint64_t commits_total() const;

    // 32 lowercase hex digits of 16 random bytes made on the spool's first open; stable after.
    std::string producer_id() const;
    // A durable per-flow counter for the idempotence hook: 1, 2, 3... never repeating across
    // restarts. Reserves `count` consecutive numbers and returns the first, so a sender can
    // number many batches with one commit (numbers left unused on a restart are skipped).
    // Errors: invalid_argument (flow name, count 0), too_many_flows, closed, storage.
    Result<uint64_t> next_batch_sequence(std::string_view flow, uint64_t count = 1);

    // Forces the OS buffers to disk: for SyncPolicy::off and lazy. Errors: storage.
    Result<void> flush();

private:
    struct Impl;
    explicit Spool(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::agent::buffer
