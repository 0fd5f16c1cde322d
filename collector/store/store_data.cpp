// The data path of ShardStore: puts (on the writer thread), reads (on callers' threads),
// retention trimming and purging of deleted streams.

#include <cstring>

#include <nlohmann/json.hpp>

#include "collector/store/producer_codec.h"
#include "collector/store/record_codec.h"
#include "collector/store/shard_store.h"
#include "shared/log/log.h"

namespace tributary::collector::store {

Result<std::vector<PutOutcome>> ShardStore::put_records(std::string_view name,
                                                        std::span<const PutEntry> entries) {
    TRIB_TRY(auto r, put_records(name, entries, nullptr));
    return std::move(r.outcomes);
}

Result<PutBatchResult> ShardStore::put_records(std::string_view name,
                                               std::span<const PutEntry> entries,
                                               const BatchKey* key) {
    if (key && (key->flow.empty() || key->flow.size() > 1024))
        return fail(errc::validation, "the flow of a batch key must have 1 to 1024 bytes");
    PutBatchResult res;
    res.outcomes.resize(entries.size());
    // Hashing and formatting happen on the caller's thread; the writer, which every put in
    // the process goes through, only routes, copies and indexes.
    std::vector<HashKey> keys(entries.size());
    for (size_t i = 0; i < entries.size(); ++i)
        keys[i] = entries[i].explicit_hash_key ? *entries[i].explicit_hash_key
                                               : HashKey::of_partition_key(entries[i].partition_key);
    std::string pkey = key ? producer_key(*key) : std::string();
    Verdict verdict = Verdict::store;
    std::optional<ProducerEntry> prior;
    auto r = submit([&](lmdb::Txn& txn) -> Result<Effect> {
        TRIB_TRY(Entry * e, live_entry(name));
        res.encrypted = e->meta->encryption_type == "KMS";
        if (!key) return append_records(txn, e, entries, keys, res.outcomes);
        // The entry is read here, on the writer, in this job's transaction: it sees every
        // earlier put of the same key, committed or earlier in this very batch.
        TRIB_TRY(verdict, judge_batch(txn, pkey, *key, name, entries.size(), prior));
        if (verdict == Verdict::replay) {
            res.outcomes = prior->outcomes;
            res.encrypted = prior->encrypted;
            res.replayed = true;
            return Effect{};
        }
        if (verdict != Verdict::store) return Effect{};  // answered below, after the batch
        TRIB_TRY(Effect appended, append_records(txn, e, entries, keys, res.outcomes));
        ProducerEntry fresh;
        fresh.sequence = key->sequence;
        fresh.stream_id = e->meta->id;
        fresh.stored_ms = now_ms();
        fresh.encrypted = res.encrypted;
        fresh.stream = std::string(name);
        fresh.flow = key->flow;
        fresh.outcomes = res.outcomes;
        std::optional<uint64_t> old_ms;
        if (prior) old_ms = prior->stored_ms;
        TRIB_TRY(Effect recorded, write_producer_entry(txn, pkey, fresh, old_ms));
        return Effect([appended = std::move(appended), recorded = std::move(recorded)] {
            if (appended) appended();
            if (recorded) recorded();
        });
    });
    if (!r) return tl::unexpected(r.error());
    if (key) {
        std::string flow = printable_flow(key->flow);
        switch (verdict) {
            case Verdict::store: producer_stats_.stored++; break;
            case Verdict::replay: producer_stats_.replayed++; break;
            case Verdict::reused:
                producer_stats_.reused++;
                return fail(errc::invalid_argument,
                            "batch sequence " + std::to_string(key->sequence) + " of flow " +
                                flow + " was already used for a different batch");
            case Verdict::stale:
                producer_stats_.stale++;
                return fail(errc::invalid_argument,
                            "batch sequence " + std::to_string(key->sequence) + " of flow " +
                                flow + " is below the last accepted " +
                                std::to_string(prior->sequence));
        }
    }
    for (auto& o : res.outcomes)
        if (o.ok) o.sequence_number = o.sequence.to_string();
    return res;
}

// Routes each entry to its open shard and appends it there; per-record throttling becomes an
// outcome. The effect moves the shards' runtimes forward and counts the records.
Result<ShardStore::Effect> ShardStore::append_records(lmdb::Txn& txn, Entry* e,
                                                      std::span<const PutEntry> entries,
                                                      const std::vector<HashKey>& keys,
                                                      std::vector<PutOutcome>& out) {
    const StreamMeta& m = *e->meta;
    // Each shard appends to its own database: MDB_APPEND fills pages completely and never
    // splits one in the middle of the tree.
    struct Touched {
        ShardRuntime rt;
        lmdb::Cursor cur;
    };
    std::map<uint32_t, Touched> touched;
    uint64_t now = now_ms();
    for (size_t i = 0; i < entries.size(); ++i) {
        const PutEntry& pe = entries[i];
        const ShardMeta* shard = m.route(keys[i]);
        TRIB_ASSERT(shard, "open shards must cover the whole hash-key space");
        auto it = touched.find(shard->index);
        if (it == touched.end()) {
            auto cur = lmdb::Cursor::open(txn, slot_dbi_[shard->slot].load());
            if (!cur) return fail(errc::internal_failure, cur.error().message);
            it = touched.try_emplace(shard->index, Touched{e->runtime.at(shard->index),
                                                           std::move(*cur)})
                     .first;
        }
        ShardRuntime& rt = it->second.rt;
        PutOutcome& o = out[i];
        o = PutOutcome{};
        o.shard = shard->index;
        if (opts_.throughput_limits) {
            double bytes = double(pe.data.size() + pe.partition_key.size());
            if (!rt.records.try_take(1, now) || !rt.bytes.try_take(bytes, now)) {
                o.error = errc::provisioned_throughput_exceeded;
                o.error_message = "Rate exceeded for shard " + shard->id().to_string() +
                                  " in stream " + m.name + " under account " +
                                  opts_.account_id + ".";
                counters(m.id, shard->index)->write_throttled++;
                continue;
            }
        }
        uint64_t index = rt.next_index++;
        uint64_t arrival = std::max(now, rt.last_arrival_ms);
        bool new_second = rt.last_arrival_ms == 0 || arrival / 1000 != rt.last_arrival_ms / 1000;
        rt.last_arrival_ms = arrival;
        IndexKey k(index);
        // MDB_RESERVE: LMDB hands back the space and the record is encoded straight into
        // the page, saving a copy of every record.
        MDB_val kv = lmdb::val(k.view());
        MDB_val vv{kRecordHeaderSize + pe.partition_key.size() + pe.data.size(), nullptr};
        if (int rc = mdb_cursor_put(it->second.cur.get(), &kv, &vv, MDB_APPEND | MDB_RESERVE); rc)
            return fail(errc::internal_failure, std::string("mdb_cursor_put: ") + mdb_strerror(rc));
        encode_record(arrival, pe.partition_key, pe.data, static_cast<char*>(vv.mv_data));
        if (new_second) {
            TimeKey tk(shard->slot, arrival / 1000);
            char iv[8];
            lmdb::put_be64(iv, index);
            if (auto p = lmdb::put(txn, times_db_, tk.view(), std::string_view(iv, 8)); !p)
                return fail(errc::internal_failure, p.error().message);
        }
        o.ok = true;
        o.sequence = shard->sequence(index, arrival / 1000);
    }
    // The cursors close here, before the transaction ends; only the runtimes live on.
    std::vector<std::pair<uint32_t, ShardRuntime>> runtimes;
    for (auto& [ix, t] : touched) runtimes.emplace_back(ix, t.rt);
    return Effect([this, e, runtimes = std::move(runtimes), entries, &out, id = m.id] {
        for (const auto& [ix, rt] : runtimes) e->runtime[ix] = rt;
        std::map<uint32_t, std::pair<uint64_t, uint64_t>> per_shard;  // records, bytes
        for (size_t i = 0; i < entries.size(); ++i) {
            if (!out[i].ok) continue;
            auto& [records, bytes] = per_shard[out[i].shard];
            ++records;
            bytes += entries[i].data.size();
        }
        for (const auto& [shard, rb] : per_shard) {
            auto c = counters(id, shard);
            c->incoming_records += rb.first;
            c->incoming_bytes += rb.second;
        }
    });
}

Result<ReadResult> ShardStore::read(const StreamMeta& m, const ShardMeta& s, uint64_t from,
                                    size_t limit, size_t max_bytes) {
    std::vector<StoredRecord> records;
    auto rr = visit(m, s, from, limit, max_bytes, [&](const RecordRef& r) {
        records.push_back({r.sequence.to_string(), r.arrival_ms, std::string(r.partition_key),
                           std::string(r.data)});
    });
    if (rr) rr->records = std::move(records);
    return rr;
}

Result<ReadResult> ShardStore::visit(const StreamMeta& m, const ShardMeta& s, uint64_t from,
                                     size_t limit, size_t max_bytes, const Visitor& visitor) {
    auto ctr = counters(m.id, s.index);
    uint64_t now = now_ms();
    if (opts_.throughput_limits) {
        std::lock_guard lk(read_mu_);
        auto [it, fresh] = read_buckets_.try_emplace((uint64_t(m.id) << 32) | s.index);
        if (fresh)
            it->second = {TokenBucket(opts_.read_calls_per_sec),
                          TokenBucket(opts_.read_bytes_per_sec)};
        if (!it->second.first.try_take(1, now) || !it->second.second.has_tokens(now)) {
            ctr->read_throttled++;
            return fail(errc::provisioned_throughput_exceeded,
                        "Rate exceeded for Shard - " + opts_.account_id + "/" + m.name + "/" +
                            s.id().to_string());
        }
    }
    auto txn = lmdb::Txn::begin_read(env_);
    if (!txn) return fail(errc::internal_failure, txn.error().message);
    TRIB_TRY(auto cur, shard_cursor(*txn, m, s));
    ReadResult rr;
    from = std::max<uint64_t>({from, s.trim_index, 1});
    rr.next_index = from;
    size_t bytes = 0, count = 0;
    if (!cur) {  // the stream is gone: nothing to read
        rr.at_end = true;
        return rr;
    }
    auto ok = cur->seek(IndexKey(from).view());
    uint64_t cutoff = now - std::min<uint64_t>(now, uint64_t(m.retention_hours) * opts_.hour_ms);
    while (ok && *ok) {
        RecordView rv;
        if (!decode_record(cur->value(), rv))
            return fail(errc::internal_failure, "corrupt record in shard " + s.id().to_string());
        uint64_t index = key_index(cur->key());
        if (rv.arrival_ms < cutoff) {  // expired, not trimmed yet: already invisible
            rr.next_index = index + 1;
            ok = cur->next();
            continue;
        }
        if (count >= limit || (bytes + rv.data.size() > max_bytes && count > 0)) {
            rr.millis_behind = now > rv.arrival_ms ? now - rv.arrival_ms : 0;
            break;
        }
        bytes += rv.data.size();
        ++count;
        visitor({s.sequence(index, rv.arrival_ms / 1000), rv.arrival_ms, rv.partition_key,
                 rv.data});
        rr.next_index = index + 1;
        ok = cur->next();
    }
    if (!ok) return fail(errc::internal_failure, ok.error().message);
    rr.at_end = !*ok;
    if (rr.at_end) rr.millis_behind = 0;
    ctr->get_records_calls++;
    ctr->outgoing_records += count;
    ctr->outgoing_bytes += bytes;
    ctr->iterator_age_ms = rr.millis_behind;
    if (opts_.throughput_limits && bytes > 0) {
        std::lock_guard lk(read_mu_);
        read_buckets_[(uint64_t(m.id) << 32) | s.index].second.take(double(bytes), now);
    }
    return rr;
}

Result<std::optional<lmdb::Cursor>> ShardStore::shard_cursor(lmdb::Txn& txn, const StreamMeta& m,
                                                             const ShardMeta& s) const {
    MDB_dbi dbi = s.slot < opts_.max_shards ? slot_dbi_[s.slot].load(std::memory_order_acquire) : 0;
    if (!dbi) return std::optional<lmdb::Cursor>{};
    // The owner entry proves the slot still holds this shard in this snapshot: a reader with
    // metadata of a deleted stream must not see the records of the slot's next owner.
    std::string_view owner;
    auto g = lmdb::get(txn, dbi, IndexKey(0).view(), owner);
    if (!g) return fail(errc::internal_failure, g.error().message);
    SlotOwner o;
    if (!*g || !decode_owner(owner, o) || o != SlotOwner{m.id, s.index})
        return std::optional<lmdb::Cursor>{};
    auto cur = lmdb::Cursor::open(txn, dbi);
    if (!cur) return fail(errc::internal_failure, cur.error().message);
    return std::optional<lmdb::Cursor>(std::move(*cur));
}

Result<uint64_t> ShardStore::latest_index(const StreamMeta& m, const ShardMeta& s) {
    auto txn = lmdb::Txn::begin_read(env_);
    if (!txn) return fail(errc::internal_failure, txn.error().message);
    uint64_t next = std::max(s.next_index, s.trim_index);
    TRIB_TRY(auto cur, shard_cursor(*txn, m, s));
    if (!cur) return next;
    auto last = cur->last();
    if (!last) return fail(errc::internal_failure, last.error().message);
    if (*last && key_index(cur->key()) > 0) next = std::max(next, key_index(cur->key()) + 1);
    return next;
}

Result<uint64_t> ShardStore::index_at(const StreamMeta& m, const ShardMeta& s, uint64_t ts_ms) {
    auto txn = lmdb::Txn::begin_read(env_);
    if (!txn) return fail(errc::internal_failure, txn.error().message);
    TRIB_TRY(auto cur, shard_cursor(*txn, m, s));
    if (!cur) return latest_index(m, s);
    auto times = lmdb::Cursor::open(*txn, times_db_);
    if (!times) return fail(errc::internal_failure, times.error().message);
    auto found = times->seek(TimeKey(s.slot, ts_ms / 1000).view());
    if (!found) return fail(errc::internal_failure, found.error().message);
    if (!*found || !time_key_in_slot(times->key(), s.slot)) return latest_index(m, s);
    uint64_t start = std::max<uint64_t>({lmdb::get_be64(times->value().data()), s.trim_index, 1});
    // Skip the records of that second that arrived before ts_ms.
    for (auto ok = cur->seek(IndexKey(start).view()); ok && *ok; ok = cur->next()) {
        RecordView rv;
        if (decode_record(cur->value(), rv) && rv.arrival_ms >= ts_ms) return key_index(cur->key());
    }
    return latest_index(m, s);
}

// Deletes the records that have outlived the retention period (at most a bounded number per
// pass, so the writer is never held for long), and drops closed shards whose records are all
// gone, as AWS stops listing expired shards.
Result<ShardStore::Effect> ShardStore::trim_stream(lmdb::Txn& txn, const Entry& e, uint64_t now) {
    constexpr size_t kBudget = 50'000;
    const StreamMeta& m = *e.meta;
    uint64_t span = uint64_t(m.retention_hours) * uint64_t(opts_.hour_ms);
    if (now <= span) return Effect{};
    uint64_t cutoff = now - span;
    auto tcur = lmdb::Cursor::open(txn, times_db_);
    if (!tcur) return fail(errc::internal_failure, tcur.error().message);
    auto nm = std::make_shared<StreamMeta>(m);
    bool changed = false;
    size_t deleted = 0;
    for (auto& s : nm->shards) {
        auto cur = lmdb::Cursor::open(txn, slot_dbi_[s.slot].load());
        if (!cur) return fail(errc::internal_failure, cur.error().message);
        auto ok = cur->seek(IndexKey(std::max<uint64_t>(s.trim_index, 1)).view());
        uint64_t trim = s.trim_index;
        while (ok && *ok && deleted < kBudget) {
            RecordView rv;
            if (decode_record(cur->value(), rv) && rv.arrival_ms >= cutoff) break;
            trim = key_index(cur->key()) + 1;
            if (auto d = cur->del(); !d) return fail(errc::internal_failure, d.error().message);
            ++deleted;
            ok = cur->next();  // after del() MDB_NEXT yields the entry that followed
        }
        if (!ok) return fail(errc::internal_failure, ok.error().message);
        // Time-index entries of whole seconds before the cutoff.
        for (auto t = tcur->seek(TimeKey(s.slot, 0).view());
             t && *t && time_key_in_slot(tcur->key(), s.slot); t = tcur->next()) {
            if (time_key_secs(tcur->key()) >= cutoff / 1000) break;
            if (auto d = tcur->del(); !d) return fail(errc::internal_failure, d.error().message);
        }
        if (trim != s.trim_index) {
            s.trim_index = trim;
            s.next_index = std::max(s.next_index, e.runtime.at(s.index).next_index);
            changed = true;
        }
    }
    // Closed shards that are past retention and empty are expired.
    size_t before = nm->shards.size();
    std::erase_if(nm->shards, [&](const ShardMeta& s) {
        return s.closed_ms && *s.closed_ms < cutoff &&
               s.trim_index >= std::max(s.next_index, e.runtime.at(s.index).next_index);
    });
    changed |= nm->shards.size() != before;
    if (deleted) TRIB_LOG(info, "retention_trimmed").kv("stream", m.name).kv("records", deleted);
    if (!changed) return Effect{};
    return write_meta(txn, std::move(nm));
}

// Empties one orphaned slot (a deleted stream's or an expired shard's), a bounded number of
// entries per pass; an empty slot is free for the next new shard.
Result<ShardStore::Effect> ShardStore::purge_some(lmdb::Txn& txn) {
    constexpr size_t kBudget = 50'000;
    uint32_t slot = orphans_.front();
    size_t deleted = 0;
    auto cur = lmdb::Cursor::open(txn, slot_dbi_[slot].load());
    if (!cur) return fail(errc::internal_failure, cur.error().message);
    auto ok = cur->first();
    for (; ok && *ok && deleted < kBudget; ok = cur->next(), ++deleted)
        if (auto d = cur->del(); !d) return fail(errc::internal_failure, d.error().message);
    if (!ok) return fail(errc::internal_failure, ok.error().message);
    bool records_left = *ok;
    auto tcur = lmdb::Cursor::open(txn, times_db_);
    if (!tcur) return fail(errc::internal_failure, tcur.error().message);
    auto t = tcur->seek(TimeKey(slot, 0).view());
    for (; t && *t && time_key_in_slot(tcur->key(), slot) && deleted < kBudget;
         t = tcur->next(), ++deleted)
        if (auto d = tcur->del(); !d) return fail(errc::internal_failure, d.error().message);
    if (!t) return fail(errc::internal_failure, t.error().message);
    if (records_left || (*t && time_key_in_slot(tcur->key(), slot))) return Effect{};
    return Effect([this, slot] {
        std::erase(orphans_, slot);
        slots_[slot] = SlotUse::free;
    });
}

void ShardStore::render_metrics(std::string& out) const {
    render_producer_metrics(out);
    std::map<uint32_t, std::shared_ptr<const StreamMeta>> by_id;
    for (const auto& m : list()) by_id[m->id] = m;
    std::lock_guard lk(counters_mu_);
    struct Metric {
        const char* name;
        const char* aws;
        const char* help;
        std::atomic<uint64_t> ShardCounters::*field;
        bool gauge;
    };
    static const Metric kMetrics[] = {
        {"tributary_store_incoming_bytes_total", "IncomingBytes", "Record data bytes written",
         &ShardCounters::incoming_bytes, false},
        {"tributary_store_incoming_records_total", "IncomingRecords", "Records written",
         &ShardCounters::incoming_records, false},
        {"tributary_store_outgoing_bytes_total", "OutgoingBytes", "Record data bytes read",
         &ShardCounters::outgoing_bytes, false},
        {"tributary_store_outgoing_records_total", "OutgoingRecords", "Records read",
         &ShardCounters::outgoing_records, false},
        {"tributary_store_write_throttled_total", "WriteProvisionedThroughputExceeded",
         "Records rejected by the write limit", &ShardCounters::write_throttled, false},
        {"tributary_store_read_throttled_total", "ReadProvisionedThroughputExceeded",
         "GetRecords calls rejected by the read limit", &ShardCounters::read_throttled, false},
        {"tributary_store_get_records_total", "GetRecords.Success", "GetRecords calls served",
         &ShardCounters::get_records_calls, false},
        {"tributary_store_iterator_age_milliseconds", "GetRecords.IteratorAgeMilliseconds",
         "Age of the last record returned by GetRecords relative to the tip",
         &ShardCounters::iterator_age_ms, true},
    };
    for (const auto& metric : kMetrics) {
        out += "# HELP ";
        out += metric.name;
        out += ' ';
        out += metric.help;
        out += "\n# TYPE ";
        out += metric.name;
        out += metric.gauge ? " gauge\n" : " counter\n";
        for (const auto& [key, c] : counters_) {
            auto it = by_id.find(static_cast<uint32_t>(key >> 32));
            if (it == by_id.end()) continue;
            out += metric.name;
            out += "{stream=\"" + it->second->name + "\",shard=\"" +
                   ShardId(static_cast<uint32_t>(key)).to_string() + "\",aws_metric=\"" +
                   metric.aws + "\"} " + std::to_string((*c.*metric.field).load()) + "\n";
        }
    }
}

}  // namespace tributary::collector::store
