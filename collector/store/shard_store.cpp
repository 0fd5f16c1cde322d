#include "collector/store/shard_store.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>

#include <pthread.h>

#include <nlohmann/json.hpp>

#include "collector/store/record_codec.h"
#include "shared/log/log.h"

namespace tributary::collector::store {

struct ShardStore::Job {
    Apply apply;
    std::promise<Result<void>> done;
};

namespace {
uint64_t system_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}
constexpr std::string_view kNextStreamIdKey = "next_stream_id";
constexpr std::string_view kFormatKey = "format_version";
constexpr std::string_view kFormatVersion = "2";
constexpr std::string_view kSlotPrefix = "rec/";

std::string slot_name(uint32_t slot) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "rec/%06u", slot);
    return buf;
}

std::optional<uint32_t> parse_slot_name(std::string_view name) {
    if (name.size() != 10 || !name.starts_with(kSlotPrefix)) return std::nullopt;
    uint32_t n = 0;
    for (char c : name.substr(4)) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    return n;
}
}  // namespace

ShardStore::ShardStore(StoreOptions options) : opts_(std::move(options)) {
    if (!opts_.clock) opts_.clock = system_ms;
}

Result<std::unique_ptr<ShardStore>> ShardStore::open(StoreOptions options) {
    std::unique_ptr<ShardStore> store(new ShardStore(std::move(options)));
    if (auto r = store->init(); !r) return tl::unexpected(r.error());
    store->writer_ = std::thread([s = store.get()] { s->writer_loop(); });
    return store;
}

ShardStore::~ShardStore() {
    {
        std::lock_guard lk(q_mu_);
        stopping_ = true;
    }
    q_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
}

std::string ShardStore::stream_arn(std::string_view name) const {
    return "arn:aws:kinesis:" + opts_.region + ":" + opts_.account_id + ":stream/" +
           std::string(name);
}

std::string ShardStore::not_found(std::string_view name) const {
    return "Stream " + std::string(name) + " under account " + opts_.account_id + " not found.";
}

Result<void> ShardStore::init() {
    if (opts_.max_shards == 0) return fail(errc::internal_failure, "max_shards must be at least 1");
    std::error_code ec;
    std::filesystem::create_directories(opts_.data_dir, ec);
    if (ec)
        return fail(errc::internal_failure,
                    "cannot create the data directory " + opts_.data_dir + ": " + ec.message());
    auto env = lmdb::Env::open(opts_.data_dir,
                               {.map_size = opts_.map_size,
                                .max_dbs = opts_.max_shards + 8,
                                .sync = opts_.sync});
    if (!env) return fail(errc::internal_failure, env.error().message);
    env_ = std::move(*env);
    slot_dbi_ = std::make_unique<std::atomic<MDB_dbi>[]>(opts_.max_shards);
    auto txn = lmdb::Txn::begin_write(env_);
    if (!txn) return fail(errc::internal_failure, txn.error().message);
    // Format 1 kept every record in one `records` database; there is no migration.
    if (lmdb::open_db(*txn, "records", 0))
        return fail(errc::internal_failure,
                    "the data directory " + opts_.data_dir +
                        " holds storage format 1 (one `records` database); this collector "
                        "reads format " + std::string(kFormatVersion) +
                        " (docs/storage.md). Move it aside to start afresh.");
    // `producers` and `producer_times` came after format 2 was fixed; they are created when
    // missing, and an older collector ignores them, so the format number stays.
    for (auto [name, dbi] : {std::pair{"streams", &streams_db_}, std::pair{"times", &times_db_},
                             std::pair{"meta", &meta_db_}, std::pair{"producers", &producers_db_},
                             std::pair{"producer_times", &producer_times_db_}}) {
        auto d = lmdb::open_db(*txn, name);
        if (!d) return fail(errc::internal_failure, d.error().message);
        *dbi = *d;
    }
    std::string_view format;
    auto g = lmdb::get(*txn, meta_db_, kFormatKey, format);
    if (!g) return fail(errc::internal_failure, g.error().message);
    if (!*g) {
        if (auto r = lmdb::put(*txn, meta_db_, kFormatKey, kFormatVersion); !r)
            return fail(errc::internal_failure, r.error().message);
    } else if (format != kFormatVersion) {
        return fail(errc::internal_failure, "the data directory " + opts_.data_dir +
                                                " holds storage format " + std::string(format) +
                                                "; this collector reads format " +
                                                std::string(kFormatVersion));
    }
    if (auto c = txn->commit(); !c) return fail(errc::internal_failure, c.error().message);
    return load();
}

// Rebuilds all writer state from disk: the slot databases and their owners, stream metadata,
// and each shard's next sequence index and last arrival time from its newest record (or from
// the metadata when the shard is empty). Runs on the opening thread or the writer, so it may use
// a write transaction: opening a database handle needs one that commits.
Result<void> ShardStore::load() {
    auto txn = lmdb::Txn::begin_write(env_);
    if (!txn) return fail(errc::internal_failure, txn.error().message);
    state_.clear();
    slots_.clear();
    orphans_.clear();
    for (uint32_t i = 0; i < opts_.max_shards; ++i) slot_dbi_[i].store(0);
    std::string_view v;
    if (auto g = lmdb::get(*txn, meta_db_, kNextStreamIdKey, v); g && *g)
        next_stream_id_ = static_cast<uint32_t>(std::stoul(std::string(v)));

    // Slots: every database named rec/NNNNNN, and who owns it.
    TRIB_TRY(MDB_dbi main_db, lmdb::open_db(*txn, nullptr, 0));
    std::vector<uint32_t> numbers;
    {
        auto names = lmdb::Cursor::open(*txn, main_db);
        if (!names) return fail(errc::internal_failure, names.error().message);
        for (auto ok = names->seek(kSlotPrefix); ok && *ok && names->key().starts_with(kSlotPrefix);
             ok = names->next()) {
            auto slot = parse_slot_name(names->key());
            if (!slot) continue;
            if (*slot >= opts_.max_shards)
                return fail(errc::internal_failure,
                            "the data directory has shard slot " + std::to_string(*slot) +
                                " but max_shards is " + std::to_string(opts_.max_shards) +
                                "; raise max_shards");
            numbers.push_back(*slot);
        }
    }
    std::map<uint32_t, std::optional<SlotOwner>> owners;  // nullopt: no owner entry
    std::map<uint32_t, bool> has_entries;
    for (uint32_t slot : numbers) {
        TRIB_TRY(MDB_dbi dbi, lmdb::open_db(*txn, slot_name(slot).c_str(), 0));
        slot_dbi_[slot].store(dbi);
        if (slot >= slots_.size()) slots_.resize(slot + 1, SlotUse::free);
        auto cur = lmdb::Cursor::open(*txn, dbi);
        if (!cur) return fail(errc::internal_failure, cur.error().message);
        auto first = cur->first();
        if (!first) return fail(errc::internal_failure, first.error().message);
        has_entries[slot] = *first;
        SlotOwner o;
        if (*first && key_index(cur->key()) == 0 && cur->key().size() == 8 &&
            decode_owner(cur->value(), o))
            owners[slot] = o;
        else
            owners[slot] = std::nullopt;
    }

    // LMDB frees a write transaction's cursors when it commits: every cursor here is closed
    // before the commit below.
    {
        auto cur = lmdb::Cursor::open(*txn, streams_db_);
        if (!cur) return fail(errc::internal_failure, cur.error().message);
        for (auto ok = cur->first(); ok && *ok; ok = cur->next()) {
            auto meta = std::make_shared<StreamMeta>();
            try {
                nlohmann::json::parse(cur->value()).get_to(*meta);
            } catch (const std::exception& e) {
                return fail(errc::internal_failure,
                            "corrupt stream metadata for " + std::string(cur->key()) + ": " + e.what());
            }
            Entry e;
            for (const auto& s : meta->shards) {
                auto own = owners.find(s.slot);
                if (own == owners.end() || own->second != SlotOwner{meta->id, s.index})
                    return fail(errc::internal_failure, "stream " + meta->name + " shard " +
                                                            s.id().to_string() + " names slot " +
                                                            std::to_string(s.slot) +
                                                            ", which it does not own");
                slots_[s.slot] = SlotUse::used;
                ShardRuntime rt = make_runtime();
                rt.next_index = std::max(s.next_index, s.trim_index);
                auto rec = lmdb::Cursor::open(*txn, slot_dbi_[s.slot].load());
                if (!rec) return fail(errc::internal_failure, rec.error().message);
                auto last = rec->last();
                if (!last) return fail(errc::internal_failure, last.error().message);
                if (*last && key_index(rec->key()) > 0) {
                    rt.next_index = std::max(rt.next_index, key_index(rec->key()) + 1);
                    RecordView rv;
                    if (decode_record(rec->value(), rv)) rt.last_arrival_ms = rv.arrival_ms;
                }
                e.runtime[s.index] = rt;
            }
            e.meta = std::move(meta);
            state_.emplace(e.meta->name, std::move(e));
        }
    }
    // A slot no live shard holds is purged before it is reused.
    for (uint32_t slot : numbers)
        if (slots_[slot] != SlotUse::used && has_entries[slot]) {
            slots_[slot] = SlotUse::orphan;
            orphans_.push_back(slot);
        }
    TRIB_TRY(uint64_t producers, producer_count(*txn));
    producer_stats_.entries = producers;
    producer_scan_from_.clear();
    // Nothing was written: the commit only keeps the database handles open for everyone.
    if (auto c = txn->commit(); !c) return fail(errc::internal_failure, c.error().message);
    std::unique_lock lk(pub_mu_);
    published_.clear();
    for (const auto& [name, e] : state_) published_[name] = e.meta;
    return {};
}

ShardStore::ShardRuntime ShardStore::make_runtime() const {
    ShardRuntime rt;
    rt.bytes = TokenBucket(opts_.write_bytes_per_sec);
    rt.records = TokenBucket(opts_.write_records_per_sec);
    return rt;
}

std::shared_ptr<const StreamMeta> ShardStore::find(std::string_view name) const {
    std::shared_lock lk(pub_mu_);
    auto it = published_.find(name);
    return it == published_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const StreamMeta>> ShardStore::list() const {
    std::shared_lock lk(pub_mu_);
    std::vector<std::shared_ptr<const StreamMeta>> out;
    out.reserve(published_.size());
    for (const auto& [_, m] : published_) out.push_back(m);
    return out;
}

// ---------------------------------------------------------------------------------------------
// The writer thread and group commit.

Result<void> ShardStore::submit(Apply apply) {
    Job job{std::move(apply), {}};
    auto fut = job.done.get_future();
    {
        std::lock_guard lk(q_mu_);
        if (stopping_) return fail(errc::internal_failure, "Internal Service Failure");
        queue_.push_back(&job);
    }
    q_cv_.notify_one();
    return fut.get();
}

void ShardStore::writer_loop() {
    pthread_setname_np(pthread_self(), "trib-writer");
    std::vector<Job*> batch;
    for (;;) {
        {
            std::unique_lock lk(q_mu_);
            q_cv_.wait_for(lk, std::chrono::milliseconds(100),
                           [&] { return stopping_ || !queue_.empty(); });
            if (stopping_ && queue_.empty()) break;
            batch.assign(queue_.begin(), queue_.end());
            queue_.clear();
        }
        if (!batch.empty()) run_batch(batch);
        maintenance();
    }
}

void ShardStore::run_batch(std::vector<Job*>& batch) {
    std::vector<Result<void>> results;
    std::vector<Effect> effects;
    results.reserve(batch.size());
    dirty_.clear();
    auto txn = lmdb::Txn::begin_write(env_);
    if (!txn) {
        for (Job* j : batch) j->done.set_value(fail(errc::internal_failure, txn.error().message));
        batch.clear();
        return;
    }
    for (Job* j : batch) {
        auto nested = lmdb::Txn::begin_nested(*txn);
        if (!nested) {
            results.push_back(fail(errc::internal_failure, nested.error().message));
            continue;
        }
        auto effect = j->apply(*nested);
        if (!effect) {
            nested->abort();
            results.push_back(tl::unexpected(effect.error()));
            continue;
        }
        if (auto c = nested->commit(); !c) {
            results.push_back(fail(errc::internal_failure, c.error().message));
            continue;
        }
        if (*effect) (*effect)();  // later jobs in the batch see this job's changes
        results.emplace_back();
    }
    if (auto c = txn->commit(); !c) {
        TRIB_LOG(error, "store_commit_failed").kv("error", c.error().message);
        // The batch is lost as a whole: rebuild writer state from what is on disk.
        if (auto l = load(); !l) TRIB_LOG(error, "store_reload_failed").kv("error", l.error().message);
        for (Job* j : batch) j->done.set_value(fail(errc::internal_failure, "Internal Service Failure"));
        batch.clear();
        return;
    }
    publish(dirty_);
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(std::move(results[i]));
    batch.clear();
}

void ShardStore::publish(const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::unique_lock lk(pub_mu_);
    for (const auto& n : names) {
        auto it = state_.find(n);
        if (it == state_.end())
            published_.erase(n);
        else
            published_[n] = it->second.meta;
    }
}

ShardStore::Entry* ShardStore::entry(std::string_view name) {
    auto it = state_.find(name);
    return it == state_.end() ? nullptr : &it->second;
}

Result<ShardStore::Entry*> ShardStore::live_entry(std::string_view name) {
    Entry* e = entry(name);
    if (!e || e->meta->status == StreamStatus::creating)
        return fail(errc::resource_not_found, not_found(name));
    return e;
}

void ShardStore::mark_updating(StreamMeta& m, uint64_t now) const {
    if (opts_.status_delay_ms <= 0) return;
    m.status = StreamStatus::updating;
    m.status_until_ms = now + static_cast<uint64_t>(opts_.status_delay_ms);
}

Result<ShardStore::Effect> ShardStore::write_meta(lmdb::Txn& txn, std::shared_ptr<StreamMeta> m) {
    TRIB_TRY(Effect claims, claim_slots(txn, *m));
    std::string text = nlohmann::json(*m).dump();
    if (auto r = lmdb::put(txn, streams_db_, m->name, text); !r)
        return fail(errc::internal_failure, r.error().message);
    // Shards the new metadata no longer lists (expired) leave their slots to the purge.
    std::vector<uint32_t> released;
    if (const Entry* old = entry(m->name))
        for (const auto& s : old->meta->shards)
            if (!m->shard(s.index)) released.push_back(s.slot);
    return Effect([this, m = std::move(m), claims = std::move(claims),
                   released = std::move(released)]() mutable {
        claims();
        for (uint32_t slot : released) release_slot(slot);
        auto& e = state_[m->name];
        for (const auto& s : m->shards)
            if (!e.runtime.count(s.index)) e.runtime[s.index] = make_runtime();
        std::erase_if(e.runtime, [&](const auto& kv) { return !m->shard(kv.first); });
        dirty_.push_back(m->name);
        e.meta = std::move(m);
    });
}

Result<ShardStore::Effect> ShardStore::claim_slots(lmdb::Txn& txn, StreamMeta& m) {
    std::vector<std::pair<uint32_t, MDB_dbi>> claimed;
    auto taken = [&](uint32_t slot) {
        return std::any_of(claimed.begin(), claimed.end(),
                           [&](const auto& c) { return c.first == slot; });
    };
    uint32_t fresh = static_cast<uint32_t>(slots_.size());
    for (auto& s : m.shards) {
        if (s.slot != kNoSlot) continue;
        uint32_t slot = kNoSlot;
        for (uint32_t i = 0; i < slots_.size() && slot == kNoSlot; ++i)
            if (slots_[i] == SlotUse::free && !taken(i)) slot = i;
        if (slot == kNoSlot) {
            if (fresh >= opts_.max_shards)
                return fail(errc::limit_exceeded,
                            "This request would exceed the " + std::to_string(opts_.max_shards) +
                                " shards this collector keeps (open, and closed within their "
                                "retention period; the max_shards setting).");
            slot = fresh++;
        }
        MDB_dbi dbi = slot_dbi_[slot].load();
        if (!dbi) {
            auto d = lmdb::open_db(txn, slot_name(slot).c_str(), MDB_CREATE);
            if (!d) return fail(errc::internal_failure, d.error().message);
            dbi = *d;
        }
        if (auto r = lmdb::put(txn, dbi, IndexKey(0).view(), encode_owner({m.id, s.index})); !r)
            return fail(errc::internal_failure, r.error().message);
        s.slot = slot;
        claimed.emplace_back(slot, dbi);
    }
    if (claimed.empty()) return Effect([] {});
    return Effect([this, claimed = std::move(claimed)] {
        for (auto [slot, dbi] : claimed) {
            if (slot >= slots_.size()) slots_.resize(slot + 1, SlotUse::free);
            slots_[slot] = SlotUse::used;
            slot_dbi_[slot].store(dbi, std::memory_order_release);
        }
    });
}

void ShardStore::release_slot(uint32_t slot) {
    if (slot >= slots_.size() || slots_[slot] != SlotUse::used) return;
    slots_[slot] = SlotUse::orphan;
    orphans_.push_back(slot);
}

Result<void> ShardStore::check_active(const StreamMeta& m) const {
    if (m.status == StreamStatus::active) return {};
    return fail(errc::resource_in_use, "Stream " + m.name + " under account " + opts_.account_id +
                                           " not ACTIVE, instead in state " +
                                           std::string(to_string(m.status)));
}

// ---------------------------------------------------------------------------------------------
// Stream lifecycle.

Result<void> ShardStore::create_stream(const CreateStreamArgs& args) {
    return submit([this, &args](lmdb::Txn& txn) -> Result<Effect> {
        if (entry(args.name))
            return fail(errc::resource_in_use, "Stream " + args.name + " under account " +
                                                   opts_.account_id + " already exists.");
        size_t open = 0, on_demand = 0;
        for (const auto& [_, e] : state_) {
            open += e.meta->open_shard_count();
            on_demand += e.meta->on_demand;
        }
        if (args.on_demand && on_demand >= opts_.on_demand_stream_limit)
            return fail(errc::limit_exceeded,
                        "This request would exceed the on-demand stream limit of " +
                            std::to_string(opts_.on_demand_stream_limit) + " for account " +
                            opts_.account_id + ".");
        if (open + args.shard_count > opts_.shard_limit)
            return fail(errc::limit_exceeded,
                        "This request would exceed the shard limit for the account " +
                            opts_.account_id + " in " + opts_.region +
                            ". Current shard count for the account: " + std::to_string(open) +
                            ". Limit: " + std::to_string(opts_.shard_limit) +
                            ". Number of additional shards that would have resulted from this "
                            "request: " +
                            std::to_string(args.shard_count) +
                            ". Refer to the AWS Service Limits page "
                            "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html)"
                            " for current limits and how to request higher limits.");
        uint64_t now = now_ms();
        auto m = std::make_shared<StreamMeta>();
        m->id = next_stream_id_;
        m->name = args.name;
        m->arn = stream_arn(args.name);
        m->on_demand = args.on_demand;
        m->created_ms = now;
        m->tags = args.tags;
        m->max_record_kib = args.max_record_kib;
        m->warm_throughput_mibps = args.warm_throughput_mibps;
        if (opts_.status_delay_ms > 0) {
            m->status = StreamStatus::creating;
            m->status_until_ms = now + static_cast<uint64_t>(opts_.status_delay_ms);
        }
        // Even split of the hash-key space: shard i covers [i*w, (i+1)*w - 1], the last one
        // ends at 2^128 - 1 (the boundaries AWS itself produces).
        u128 w = ~u128(0) / args.shard_count + (~u128(0) % args.shard_count + 1 == args.shard_count);
        for (uint32_t i = 0; i < args.shard_count; ++i) {
            ShardMeta s;
            s.index = i;
            s.start = HashKey(w * i);
            s.end = i + 1 == args.shard_count ? HashKey::max() : HashKey(w * (i + 1) - 1);
            s.created_ms = now;
            s.create_secs = now / 1000;
            m->shards.push_back(s);
        }
        m->next_shard_index = args.shard_count;
        std::string next = std::to_string(next_stream_id_ + 1);
        if (auto r = lmdb::put(txn, meta_db_, kNextStreamIdKey, next); !r)
            return fail(errc::internal_failure, r.error().message);
        TRIB_TRY(Effect install, write_meta(txn, m));
        return Effect([this, install = std::move(install)] {
            ++next_stream_id_;
            install();
        });
    });
}

Result<void> ShardStore::delete_stream(std::string_view name, bool enforce) {
    return submit([this, name, enforce](lmdb::Txn& txn) -> Result<Effect> {
        Entry* e = entry(name);
        if (!e) return fail(errc::resource_not_found, not_found(name));
        if (!e->meta->consumers.empty() && !enforce)
            return fail(errc::resource_in_use,
                        "Stream " + std::string(name) + " under account " + opts_.account_id +
                            " has registered consumers. Use EnforceConsumerDeletion to delete "
                            "the stream and its consumers.");
        if (opts_.status_delay_ms > 0 && e->meta->status != StreamStatus::deleting) {
            auto m = std::make_shared<StreamMeta>(*e->meta);
            m->status = StreamStatus::deleting;
            m->status_until_ms = now_ms() + static_cast<uint64_t>(opts_.status_delay_ms);
            return write_meta(txn, std::move(m));
        }
        if (e->meta->status == StreamStatus::deleting) return Effect{};
        // Gone now; its records are purged in the background (the id is never reused).
        return remove_stream(txn, *e->meta);
    });
}

Result<std::shared_ptr<const StreamMeta>> ShardStore::update_stream(std::string_view name,
                                                                    Change change) {
    std::shared_ptr<const StreamMeta> out;
    auto r = submit([&](lmdb::Txn& txn) -> Result<Effect> {
        TRIB_TRY(Entry * e, live_entry(name));
        auto m = std::make_shared<StreamMeta>(*e->meta);
        TRIB_TRY_VOID(change(*m));
        out = m;
        return write_meta(txn, std::move(m));
    });
    if (!r) return tl::unexpected(r.error());
    return out;
}

Result<std::optional<std::string>> ShardStore::get_setting(std::string_view key) {
    auto txn = lmdb::Txn::begin_read(env_);
    if (!txn) return fail(errc::internal_failure, txn.error().message);
    std::string k = "setting/" + std::string(key);
    std::string_view v;
    auto g = lmdb::get(*txn, meta_db_, k, v);
    if (!g) return fail(errc::internal_failure, g.error().message);
    if (!*g) return std::optional<std::string>{};
    return std::optional<std::string>(std::string(v));
}

Result<void> ShardStore::put_setting(std::string_view key, std::string value) {
    return submit([this, k = "setting/" + std::string(key), &value](lmdb::Txn& txn) -> Result<Effect> {
        if (auto r = lmdb::put(txn, meta_db_, k, value); !r)
            return fail(errc::internal_failure, r.error().message);
        return Effect{};
    });
}

// ---------------------------------------------------------------------------------------------
// Maintenance: status transitions, retention, purging deleted streams. Runs on the writer
// thread between batches, in its own small transactions, so it never holds up a put for long.

void ShardStore::maintenance() {
    uint64_t now = now_ms();
    bool trim_due = force_trim_.exchange(false) ||
                    now >= last_trim_ms_ + static_cast<uint64_t>(opts_.trim_interval_ms);
    std::vector<Apply> work;
    for (const auto& [name, e] : state_) {
        if (e.meta->status_until_ms && e.meta->status_until_ms <= now)
            work.push_back([this, n = name, now](lmdb::Txn& txn) -> Result<Effect> {
                Entry* en = entry(n);
                if (!en) return Effect{};
                return advance_status(txn, *en, now);
            });
        if (trim_due)
            work.push_back([this, n = name, now](lmdb::Txn& txn) -> Result<Effect> {
                Entry* en = entry(n);
                if (!en) return Effect{};
                return trim_stream(txn, *en, now);
            });
    }
    if (trim_due) {
        last_trim_ms_ = now;
        work.push_back([this, now](lmdb::Txn& txn) { return purge_producers(txn, now); });
    }
    if (!orphans_.empty())
        work.push_back([this](lmdb::Txn& txn) { return purge_some(txn); });
    if (work.empty()) return;
    std::vector<Job> jobs(work.size());
    std::vector<Job*> batch;
    for (size_t i = 0; i < work.size(); ++i) {
        jobs[i].apply = std::move(work[i]);
        batch.push_back(&jobs[i]);
    }
    run_batch(batch);
    for (auto& j : jobs) {
        auto r = j.done.get_future().get();
        if (!r) TRIB_LOG(warn, "maintenance_failed").kv("error", r.error().message);
    }
}

// Deletes a stream's metadata; its slots become orphans that the purge empties and frees. On
// restart they are found again as slots whose owner is no live shard.
Result<ShardStore::Effect> ShardStore::remove_stream(lmdb::Txn& txn, const StreamMeta& m) {
    if (auto r = lmdb::del(txn, streams_db_, m.name); !r)
        return fail(errc::internal_failure, r.error().message);
    std::vector<uint32_t> slots;
    for (const auto& s : m.shards) slots.push_back(s.slot);
    return Effect([this, n = m.name, slots = std::move(slots)] {
        for (uint32_t slot : slots) release_slot(slot);
        state_.erase(n);
        dirty_.push_back(n);
    });
}

Result<ShardStore::Effect> ShardStore::advance_status(lmdb::Txn& txn, const Entry& e, uint64_t) {
    auto m = std::make_shared<StreamMeta>(*e.meta);
    m->status_until_ms = 0;
    if (m->status == StreamStatus::deleting) return remove_stream(txn, *m);
    m->status = StreamStatus::active;
    return write_meta(txn, std::move(m));
}

Result<void> ShardStore::run_maintenance() {
    // Force a trim pass on the writer's next loop iteration and wait for it by queueing a
    // no-op job behind it.
    force_trim_ = true;
    TRIB_TRY_VOID(submit([](lmdb::Txn&) -> Result<Effect> { return Effect{}; }));
    return submit([](lmdb::Txn&) -> Result<Effect> { return Effect{}; });
}

std::shared_ptr<ShardCounters> ShardStore::counters(uint32_t stream_id, uint32_t shard) const {
    uint64_t key = (uint64_t(stream_id) << 32) | shard;
    std::lock_guard lk(counters_mu_);
    auto& c = counters_[key];
    if (!c) c = std::make_shared<ShardCounters>();
    return c;
}

}  // namespace tributary::collector::store
