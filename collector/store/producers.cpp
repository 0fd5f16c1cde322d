// Producer deduplication in the shard store (docs/agent-delivery.md, "Collector rules"): the
// writer-side lookup and replacement of dedup entries, and their expiry and eviction. All of it
// runs on the writer thread, inside the nested transaction of the put or maintenance job.

#include "collector/store/producer_codec.h"
#include "collector/store/shard_store.h"
#include "shared/log/log.h"

namespace tributary::collector::store {
namespace {

// Entries evicted by one put over the cap (it normally evicts one); a cap lowered by
// configuration is reached by the maintenance passes.
constexpr size_t kEvictPerPut = 16;
// Entries one maintenance pass looks at (and at most deletes).
constexpr size_t kPurgeBudget = 10'000;

}  // namespace

Result<uint64_t> ShardStore::producer_count(lmdb::Txn& txn) const {
    MDB_stat st;
    if (int rc = mdb_stat(txn.get(), producers_db_, &st); rc)
        return fail(errc::internal_failure, std::string("mdb_stat: ") + mdb_strerror(rc));
    return uint64_t(st.ms_entries);
}

bool ShardStore::stream_live(uint32_t id, std::string_view name) {
    const Entry* e = entry(name);
    return e && e->meta->id == id;
}

Result<ShardStore::Verdict> ShardStore::judge_batch(lmdb::Txn& txn, std::string_view pkey,
                                                    const BatchKey& key, std::string_view stream,
                                                    size_t count,
                                                    std::optional<ProducerEntry>& prior) {
    std::string_view v;
    auto g = lmdb::get(txn, producers_db_, pkey, v);
    if (!g) return fail(errc::internal_failure, g.error().message);
    if (!*g) return Verdict::store;
    ProducerEntry pe;
    // A flow that differs from the key's is a SHA-256 collision or corruption: either way the
    // entry cannot be trusted to answer for this flow.
    if (!decode_producer_entry(v, pe) || pe.flow != key.flow) {
        TRIB_LOG(error, "producer_entry_corrupt").kv("stream", stream).kv("size", v.size());
        return fail(errc::internal_failure, "corrupt producer dedup entry");
    }
    prior = std::move(pe);
    // An entry of a deleted stream (or of an older stream of the same name) is as good as gone.
    if (!stream_live(prior->stream_id, prior->stream)) return Verdict::store;
    if (key.sequence > prior->sequence) return Verdict::store;
    if (key.sequence < prior->sequence) return Verdict::stale;
    if (prior->stream == stream && prior->outcomes.size() == count) return Verdict::replay;
    return Verdict::reused;
}

Result<ShardStore::Effect> ShardStore::write_producer_entry(lmdb::Txn& txn, std::string_view pkey,
                                                            const ProducerEntry& entry,
                                                            std::optional<uint64_t> old_stored_ms) {
    if (old_stored_ms)
        if (auto d = lmdb::del(txn, producer_times_db_, producer_time_key(*old_stored_ms, pkey)); !d)
            return fail(errc::internal_failure, d.error().message);
    if (auto p = lmdb::put(txn, producers_db_, pkey, encode_producer_entry(entry)); !p)
        return fail(errc::internal_failure, p.error().message);
    if (auto p = lmdb::put(txn, producer_times_db_, producer_time_key(entry.stored_ms, pkey), ""); !p)
        return fail(errc::internal_failure, p.error().message);
    TRIB_TRY(size_t evicted, evict_oldest(txn, opts_.producer_max_entries, kEvictPerPut, pkey));
    TRIB_TRY(uint64_t entries, producer_count(txn));
    return Effect([this, evicted, entries] {
        producer_stats_.evicted += evicted;
        producer_stats_.entries = entries;
    });
}

Result<size_t> ShardStore::evict_oldest(lmdb::Txn& txn, uint64_t cap, size_t budget,
                                        std::string_view keep) {
    TRIB_TRY(uint64_t n, producer_count(txn));
    if (n <= cap) return size_t(0);
    auto cur = lmdb::Cursor::open(txn, producer_times_db_);
    if (!cur) return fail(errc::internal_failure, cur.error().message);
    size_t deleted = 0;
    auto ok = cur->first();
    while (ok && *ok && n > cap && deleted < budget) {
        std::string_view tk = cur->key();
        // The entry just written is never its own victim, even with a clock that went back.
        if (tk.size() == kProducerTimeKeySize && tk.substr(8) == keep) {
            ok = cur->next();
            continue;
        }
        std::string pkey(tk.size() == kProducerTimeKeySize ? tk.substr(8) : std::string_view{});
        if (auto d = cur->del(); !d) return fail(errc::internal_failure, d.error().message);
        if (!pkey.empty()) {
            auto d = lmdb::del(txn, producers_db_, pkey);
            if (!d) return fail(errc::internal_failure, d.error().message);
            if (*d) --n, ++deleted;
        }
        ok = cur->next();  // after del() MDB_NEXT yields the entry that followed
    }
    if (!ok) return fail(errc::internal_failure, ok.error().message);
    return deleted;
}

// One expiry pass: walks the time index from the oldest entry (or where the previous pass ran
// out of budget) while entries are older than producer_ttl_ms. An entry is dropped when its
// stream is gone, or when its stream's retention period has passed too (a resend after that
// would find its records expired anyway); otherwise it is kept and the walk goes on.
Result<ShardStore::Effect> ShardStore::purge_producers(lmdb::Txn& txn, uint64_t now) {
    uint64_t ttl = static_cast<uint64_t>(std::max<int64_t>(opts_.producer_ttl_ms, 0));
    uint64_t cutoff = now > ttl ? now - ttl : 0;
    std::map<uint32_t, uint64_t> retention_ms;  // live stream id → retention
    for (const auto& [_, e] : state_)
        retention_ms[e.meta->id] = uint64_t(e.meta->retention_hours) * uint64_t(opts_.hour_ms);
    size_t expired = 0, gone = 0, visited = 0;
    std::string resume;
    {
        auto cur = lmdb::Cursor::open(txn, producer_times_db_);
        if (!cur) return fail(errc::internal_failure, cur.error().message);
        auto ok = producer_scan_from_.empty() ? cur->first() : cur->seek(producer_scan_from_);
        for (; ok && *ok; ++visited) {
            std::string_view tk = cur->key();
            if (visited == kPurgeBudget) {
                resume = tk;
                break;
            }
            uint64_t stored = tk.size() == kProducerTimeKeySize ? lmdb::get_be64(tk.data()) : 0;
            if (stored >= cutoff) break;  // younger than the TTL, and so is everything after it
            std::string pkey(tk.size() == kProducerTimeKeySize ? tk.substr(8) : std::string_view{});
            ProducerEntryHead head;
            bool indexed = false;
            if (!pkey.empty()) {
                std::string_view v;
                auto g = lmdb::get(txn, producers_db_, pkey, v);
                if (!g) return fail(errc::internal_failure, g.error().message);
                indexed = *g && decode_producer_head(v, head) && head.stored_ms == stored;
            }
            bool drop_entry = false;
            if (indexed) {
                auto live = retention_ms.find(head.stream_id);
                if (live == retention_ms.end()) {
                    drop_entry = true;
                    ++gone;
                } else if (now - stored > live->second) {
                    drop_entry = true;
                    ++expired;
                }
            }
            // A time key that indexes no entry (which no write leaves behind) goes as well.
            if (drop_entry || !indexed) {
                if (auto d = cur->del(); !d) return fail(errc::internal_failure, d.error().message);
                if (drop_entry)
                    if (auto d = lmdb::del(txn, producers_db_, pkey); !d)
                        return fail(errc::internal_failure, d.error().message);
            }
            ok = cur->next();
        }
        if (!ok) return fail(errc::internal_failure, ok.error().message);
    }
    TRIB_TRY(size_t evicted, evict_oldest(txn, opts_.producer_max_entries, kPurgeBudget, {}));
    TRIB_TRY(uint64_t entries, producer_count(txn));
    if (expired || gone || evicted)
        TRIB_LOG(info, "producer_entries_dropped")
            .kv("expired", expired)
            .kv("stream_deleted", gone)
            .kv("over_capacity", evicted)
            .kv("left", entries);
    return Effect([this, resume = std::move(resume), expired, gone, evicted, entries] {
        producer_scan_from_ = resume;
        producer_stats_.expired += expired;
        producer_stats_.stream_deleted += gone;
        producer_stats_.evicted += evicted;
        producer_stats_.entries = entries;
    });
}

void ShardStore::render_producer_metrics(std::string& out) const {
    const auto& s = producer_stats_;
    out += "# HELP tributary_store_producer_batches_total Batches with a producer key "
           "(X-Tributary-* headers, MQTT) by outcome\n"
           "# TYPE tributary_store_producer_batches_total counter\n";
    for (auto [outcome, v] : {std::pair{"stored", &s.stored}, std::pair{"replayed", &s.replayed},
                              std::pair{"rejected_reused", &s.reused},
                              std::pair{"rejected_stale", &s.stale}})
        out += "tributary_store_producer_batches_total{outcome=\"" + std::string(outcome) +
               "\"} " + std::to_string(v->load()) + "\n";
    out += "# HELP tributary_store_producer_entries Producer dedup entries kept\n"
           "# TYPE tributary_store_producer_entries gauge\n"
           "tributary_store_producer_entries " + std::to_string(s.entries.load()) + "\n";
    out += "# HELP tributary_store_producer_entries_dropped_total Producer dedup entries dropped "
           "by reason\n"
           "# TYPE tributary_store_producer_entries_dropped_total counter\n";
    for (auto [reason, v] : {std::pair{"expired", &s.expired}, std::pair{"capacity", &s.evicted},
                             std::pair{"stream_deleted", &s.stream_deleted}})
        out += "tributary_store_producer_entries_dropped_total{reason=\"" + std::string(reason) +
               "\"} " + std::to_string(v->load()) + "\n";
}

}  // namespace tributary::collector::store
