#pragma once
// ShardStore: the collector's durable shard store on LMDB.
//
// Lifecycle: open() loads every stream's metadata and each shard's next sequence index from
// disk, then starts one writer thread; the destructor drains the queue and joins it.
//
// Writes (puts, stream and shard changes, retention trimming) are jobs queued to the writer.
// The writer takes every queued job, runs each in its own nested transaction (a failing job is
// undone without touching the others), then commits the batch with one fsync: group commit.
// A call returns only after that commit, so a successful put_records() means the records are
// on disk (with StoreOptions::sync; with sync off they reach the page cache only).
//
// Reads run on the caller's thread in LMDB read transactions and never block or are blocked
// by the writer. Metadata is published as immutable StreamMeta snapshots after each commit.
// All public functions are thread-safe.
//
// Producer deduplication (docs/agent-delivery.md): a put with a BatchKey is checked against the
// key's dedup entry on the writer thread, inside the put's own nested transaction, and the entry
// is replaced in that same transaction, so a crash keeps both the records and the entry or
// neither, and two puts with one key are serialised by the single writer.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "collector/store/errc.h"
#include "collector/store/stream.h"
#include "collector/store/throttle.h"
#include "shared/lmdb/lmdb.h"
#include "shared/result.h"

namespace tributary::collector::store {

struct StoreOptions {
    std::string data_dir;
    size_t map_size = size_t(64) << 30;  // address space only; 64-bit hosts
    bool sync = true;
    std::string region = "us-east-1";
    std::string account_id = "000000000000";
    int64_t status_delay_ms = 0;  // how long CREATING/UPDATING/DELETING last
    bool throughput_limits = true;
    double write_bytes_per_sec = 1 << 20;
    double write_records_per_sec = 1000;
    double read_bytes_per_sec = 2 << 20;
    double read_calls_per_sec = 5;
    int64_t hour_ms = 3'600'000;  // length of a retention "hour" (tests shorten it)
    int64_t trim_interval_ms = 60'000;
    uint32_t shard_limit = 500;  // account-wide open shard quota (AWS's default)
    // Shards kept at once, open and closed (until retention expires them): each has its own
    // LMDB database, and LMDB's per-transaction cost grows with the number of databases.
    uint32_t max_shards = 1024;
    uint32_t on_demand_stream_limit = 50;
    // Producer dedup entries unused for this long are dropped (never before their stream's
    // retention period has passed, see docs/agent-delivery.md "Retention").
    int64_t producer_ttl_ms = 24 * 3'600'000;
    // At most this many dedup entries; beyond it the least recently stored are evicted.
    uint64_t producer_max_entries = 100'000;
    std::function<uint64_t()> clock;  // epoch ms; defaults to the system clock
};

struct PutEntry {
    std::string_view partition_key;
    std::optional<HashKey> explicit_hash_key;
    std::string_view data;
};

struct PutOutcome {
    bool ok = false;
    uint32_t shard = 0;
    SequenceNumber sequence;
    std::string sequence_number;  // sequence.to_string(), formatted off the writer thread
    errc error = errc::internal_failure;  // when !ok
    std::string error_message;
};

// The identity of an idempotent batch (docs/agent-delivery.md): who sent it, in which flow,
// with which number. HTTP carries it in the X-Tributary-* headers, MQTT in its payload.
struct BatchKey {
    std::array<uint8_t, 16> producer{};
    std::string flow;  // decoded, 1..1024 bytes
    uint64_t sequence = 0;
};

struct PutBatchResult {
    std::vector<PutOutcome> outcomes;  // one per entry, in order
    // The outcomes are the stored answer of an earlier batch with the same key; nothing was
    // written.
    bool replayed = false;
    // The stream had KMS encryption when the batch was stored (the answer's EncryptionType).
    bool encrypted = false;
};

struct StoredRecord {
    std::string sequence_number;
    uint64_t arrival_ms = 0;
    std::string partition_key;
    std::string data;
};

struct ReadResult {
    std::vector<StoredRecord> records;
    uint64_t next_index = 0;  // where the next read starts
    bool at_end = false;      // nothing after next_index right now
    uint64_t millis_behind = 0;
};

// A record as visit() presents it: views into LMDB's pages, valid only during the callback.
struct RecordRef {
    SequenceNumber sequence;
    uint64_t arrival_ms = 0;
    std::string_view partition_key;
    std::string_view data;
};

struct ShardCounters {
    std::atomic<uint64_t> incoming_bytes{0}, incoming_records{0}, outgoing_bytes{0},
        outgoing_records{0}, write_throttled{0}, read_throttled{0}, get_records_calls{0},
        iterator_age_ms{0};
};

struct CreateStreamArgs {
    std::string name;
    uint32_t shard_count = 1;
    bool on_demand = false;
    std::map<std::string, std::string> tags;
    int max_record_kib = 1024;
    int warm_throughput_mibps = 0;
};

struct ProducerEntry;  // producer_codec.h

class ShardStore {
public:
    // Errors: internal_failure when the environment cannot be opened or its contents are
    // unreadable (the message names the LMDB error and the directory).
    static Result<std::unique_ptr<ShardStore>> open(StoreOptions options);
    ~ShardStore();
    ShardStore(const ShardStore&) = delete;
    ShardStore& operator=(const ShardStore&) = delete;

    const StoreOptions& options() const { return opts_; }
    uint64_t now_ms() const { return opts_.clock(); }
    std::string stream_arn(std::string_view name) const;

    // --- metadata (snapshots) ---
    std::shared_ptr<const StreamMeta> find(std::string_view name) const;
    std::vector<std::shared_ptr<const StreamMeta>> list() const;  // ordered by name

    // --- stream lifecycle ---
    // Errors: resource_in_use (exists), limit_exceeded (shard or on-demand quota).
    Result<void> create_stream(const CreateStreamArgs& args);
    // Errors: resource_not_found, resource_in_use (consumers and !enforce).
    Result<void> delete_stream(std::string_view name, bool enforce_consumer_deletion);
    // Runs `change` on a copy of the stream's metadata on the writer thread and makes the
    // result durable; `change` returns an error to leave the stream untouched.
    // Errors: resource_not_found, whatever `change` returns, internal_failure.
    using Change = std::function<Result<void>(StreamMeta&)>;
    Result<std::shared_ptr<const StreamMeta>> update_stream(std::string_view name, Change change);

    // --- resharding (all: resource_not_found, resource_in_use unless ACTIVE, invalid_argument,
    //     limit_exceeded, validation for on-demand streams) ---
    Result<void> split_shard(std::string_view name, std::string_view shard, HashKey new_start);
    Result<void> merge_shards(std::string_view name, std::string_view shard,
                              std::string_view adjacent);
    Result<void> update_shard_count(std::string_view name, uint32_t target);

    // --- data ---
    // One outcome per entry, in order. Per-record errors (throttling) are outcomes; the whole
    // call fails only for resource_not_found or internal_failure (nothing written then).
    Result<std::vector<PutOutcome>> put_records(std::string_view name,
                                                std::span<const PutEntry> entries);
    // As put_records(), deduplicated by `key` when it is not null (docs/agent-delivery.md,
    // "Collector rules"): a number above the key's entry (or no entry) stores the records and
    // replaces the entry in the same nested transaction; the entry's own number with the same
    // stream and record count returns the stored outcomes with `replayed` and writes nothing.
    // Errors, besides put_records()'s (which leave the entry unchanged):
    //   invalid_argument "batch sequence N of flow F was already used for a different batch"
    //     (the entry's number, another stream or record count),
    //   invalid_argument "batch sequence N of flow F is below the last accepted M",
    //   validation when key->flow is empty or longer than 1024 bytes.
    // An entry whose stream has been deleted counts as absent.
    Result<PutBatchResult> put_records(std::string_view name, std::span<const PutEntry> entries,
                                       const BatchKey* key);

    // Reads up to `limit` records / `max_bytes` of data from `from_index` on. Errors:
    // provisioned_throughput_exceeded (read limits), internal_failure.
    Result<ReadResult> read(const StreamMeta& stream, const ShardMeta& shard, uint64_t from_index,
                            size_t limit, size_t max_bytes);
    // As read(), but hands each record to `visit` straight from the page, without copying;
    // the returned ReadResult has no records.
    using Visitor = std::function<void(const RecordRef&)>;
    Result<ReadResult> visit(const StreamMeta& stream, const ShardMeta& shard, uint64_t from_index,
                             size_t limit, size_t max_bytes, const Visitor& visit);
    // The index just after the newest record of a shard (LATEST).
    Result<uint64_t> latest_index(const StreamMeta& stream, const ShardMeta& shard);
    // The index of the first record that arrived at or after `ts_ms` (AT_TIMESTAMP).
    Result<uint64_t> index_at(const StreamMeta& stream, const ShardMeta& shard, uint64_t ts_ms);

    // --- small account-level values (account settings, iterator key) ---
    Result<std::optional<std::string>> get_setting(std::string_view key);
    Result<void> put_setting(std::string_view key, std::string value);

    // Runs pending status transitions and one retention pass now (tests; the writer also does
    // both on its own schedule).
    Result<void> run_maintenance();

    // Prometheus text for the per-stream and per-shard counters and the dedup figures.
    void render_metrics(std::string& out) const;
    std::shared_ptr<ShardCounters> counters(uint32_t stream_id, uint32_t shard) const;

private:
    struct ShardRuntime {
        uint64_t next_index = 1;
        uint64_t last_arrival_ms = 0;
        TokenBucket bytes, records;
    };
    struct Entry {
        std::shared_ptr<const StreamMeta> meta;
        std::map<uint32_t, ShardRuntime> runtime;
    };
    // A job returns, on success, the effect to apply to writer state once its nested
    // transaction has committed.
    using Effect = std::function<void()>;
    using Apply = std::function<Result<Effect>(lmdb::Txn&)>;
    struct Job;

    explicit ShardStore(StoreOptions options);
    Result<void> init();
    Result<void> load();
    Result<void> submit(Apply apply);
    void writer_loop();
    void run_batch(std::vector<Job*>& batch);
    void publish(const std::vector<std::string>& names);
    void maintenance();

    // Writer-thread helpers.
    Result<Effect> write_meta(lmdb::Txn& txn, std::shared_ptr<StreamMeta> meta);
    Entry* entry(std::string_view name);
    // The stream's entry, unless it is absent or still CREATING (resource_not_found).
    Result<Entry*> live_entry(std::string_view name);
    // With a status delay, a change leaves the stream UPDATING for that long.
    void mark_updating(StreamMeta& m, uint64_t now) const;
    Result<void> check_active(const StreamMeta& m) const;
    ShardRuntime make_runtime() const;
    Result<Effect> trim_stream(lmdb::Txn& txn, const Entry& e, uint64_t now);
    Result<Effect> purge_some(lmdb::Txn& txn);
    // Gives every shard of `m` without a slot one (a free slot, or a new database), and writes
    // its owner entry. The effect records the claims.
    Result<Effect> claim_slots(lmdb::Txn& txn, StreamMeta& m);
    void release_slot(uint32_t slot);  // used → orphan (effect side)
    Result<Effect> remove_stream(lmdb::Txn& txn, const StreamMeta& m);
    // A cursor over the shard's slot, or nullopt when the slot no longer belongs to it (the
    // stream was deleted, or the shard expired, and the slot was purged and reused).
    Result<std::optional<lmdb::Cursor>> shard_cursor(lmdb::Txn& txn, const StreamMeta& m,
                                                     const ShardMeta& s) const;
    Result<Effect> advance_status(lmdb::Txn& txn, const Entry& e, uint64_t now);
    // Appends `entries` to their shards (the core of a put); fills `out`.
    Result<Effect> append_records(lmdb::Txn& txn, Entry* e, std::span<const PutEntry> entries,
                                  const std::vector<HashKey>& keys, std::vector<PutOutcome>& out);

    // Producer dedup (producers.cpp), writer thread.
    enum class Verdict { store, replay, reused, stale };
    // Judges a batch by `pkey`'s entry; `prior` is set to the entry whenever one exists (its
    // stream may be gone: then the verdict is `store`).
    Result<Verdict> judge_batch(lmdb::Txn& txn, std::string_view pkey, const BatchKey& key,
                                std::string_view stream, size_t count,
                                std::optional<ProducerEntry>& prior);
    // Replaces `pkey`'s entry (and its time index key) and evicts over the cap.
    Result<Effect> write_producer_entry(lmdb::Txn& txn, std::string_view pkey,
                                        const ProducerEntry& entry,
                                        std::optional<uint64_t> old_stored_ms);
    // Drops expired entries and entries over the cap, a bounded number per pass.
    Result<Effect> purge_producers(lmdb::Txn& txn, uint64_t now);
    // Deletes the oldest entries (other than `keep`) while more than `cap` exist, at most
    // `budget`; returns how many it deleted.
    Result<size_t> evict_oldest(lmdb::Txn& txn, uint64_t cap, size_t budget, std::string_view keep);
    Result<uint64_t> producer_count(lmdb::Txn& txn) const;
    bool stream_live(uint32_t id, std::string_view name);
    void render_producer_metrics(std::string& out) const;

    std::string not_found(std::string_view name) const;

    StoreOptions opts_;
    lmdb::Env env_;
    MDB_dbi streams_db_ = 0, times_db_ = 0, meta_db_ = 0, producers_db_ = 0,
            producer_times_db_ = 0;
    // Slot databases by slot number; 0 = not created yet. Written by the writer (never closed
    // once open), read by any thread for slots of published shards.
    std::unique_ptr<std::atomic<MDB_dbi>[]> slot_dbi_;

    // Writer-thread state.
    std::map<std::string, Entry, std::less<>> state_;
    std::vector<std::string> dirty_;
    uint32_t next_stream_id_ = 1;
    enum class SlotUse : uint8_t { free, used, orphan };  // orphan: held by no shard, not empty
    std::vector<SlotUse> slots_;  // by slot number, one per database created
    std::vector<uint32_t> orphans_;
    uint64_t last_trim_ms_ = 0;
    std::string producer_scan_from_;  // where the next expiry pass resumes (producer_times key)
    std::atomic<bool> force_trim_{false};

    // Published snapshots.
    mutable std::shared_mutex pub_mu_;
    std::map<std::string, std::shared_ptr<const StreamMeta>, std::less<>> published_;

    // Counters and read buckets.
    mutable std::mutex counters_mu_;
    mutable std::map<uint64_t, std::shared_ptr<ShardCounters>> counters_;
    std::mutex read_mu_;
    std::map<uint64_t, std::pair<TokenBucket, TokenBucket>> read_buckets_;

    // Dedup figures (render_metrics).
    struct ProducerStats {
        std::atomic<uint64_t> stored{0}, replayed{0}, reused{0}, stale{0}, expired{0},
            evicted{0}, stream_deleted{0}, entries{0};
    };
    ProducerStats producer_stats_;

    std::mutex q_mu_;
    std::condition_variable q_cv_;
    std::deque<Job*> queue_;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace tributary::collector::store
