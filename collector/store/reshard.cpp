// Resharding: SplitShard, MergeShards and UpdateShardCount (uniform scaling), all on the writer
// thread so a reshard is atomic with respect to puts: a parent closes at the same commit in
// which its children open, with every record written before it on the parent.

#include <algorithm>

#include "collector/store/shard_store.h"

namespace tributary::collector::store {
namespace {

// The open shard `text` names, or the AWS error for why it can't be resharded.
Result<ShardMeta*> reshardable(StreamMeta& m, std::string_view text, const std::string& account) {
    auto id = ShardId::parse(text);
    ShardMeta* s = id ? m.shard(id->index()) : nullptr;
    if (!s)
        return fail(errc::resource_not_found, "Could not find shard " + std::string(text) +
                                                  " in stream " + m.name + " under account " +
                                                  account + ".");
    if (!s->open())
        return fail(errc::invalid_argument,
                    "Shard " + s->id().to_string() + " in stream " + m.name + " under account " +
                        account +
                        " has already been merged or split, and thus is not eligible for merging "
                        "or splitting.");
    return s;
}

// Closes `parents` and opens a child over [start, end] that descends from them. The child's
// sequence numbers start above every parent's: its create time is later than theirs.
ShardMeta& open_child(StreamMeta& m, std::initializer_list<uint32_t> parents, HashKey start,
                      HashKey end, uint64_t now, const std::map<uint32_t, uint64_t>& next_index) {
    uint64_t create_secs = now / 1000;
    for (uint32_t p : parents) {
        ShardMeta* s = m.shard(p);
        if (!s->closed_ms) {
            s->closed_ms = now;
            auto it = next_index.find(p);
            if (it != next_index.end()) s->next_index = std::max(s->next_index, it->second);
        }
        create_secs = std::max(create_secs, s->create_secs + 1);
    }
    ShardMeta c;
    c.index = m.next_shard_index++;
    c.start = start;
    c.end = end;
    c.created_ms = now;
    c.create_secs = create_secs;
    auto it = parents.begin();
    c.parent = *it++;
    if (it != parents.end()) c.adjacent_parent = *it;
    m.shards.push_back(c);
    return m.shards.back();
}

Result<void> check_reshard_allowed(const StreamMeta& m, const std::string& account) {
    if (m.on_demand)
        return fail(errc::validation, "API only supported for provisioned streams.");
    if (m.status != StreamStatus::active)
        return fail(errc::resource_in_use, "Stream " + m.name + " under account " + account +
                                               " not ACTIVE, instead in state " +
                                               std::string(to_string(m.status)));
    return {};
}

}  // namespace

Result<void> ShardStore::split_shard(std::string_view name, std::string_view shard,
                                     HashKey new_start) {
    return submit([&, this](lmdb::Txn& txn) -> Result<Effect> {
        TRIB_TRY(Entry * e, live_entry(name));
        auto m = std::make_shared<StreamMeta>(*e->meta);
        TRIB_TRY_VOID(check_reshard_allowed(*m, opts_.account_id));
        TRIB_TRY(ShardMeta * s, reshardable(*m, shard, opts_.account_id));
        if (!(new_start.value() > s->start.value() + 1 && new_start < s->end))
            return fail(errc::invalid_argument,
                        "NewStartingHashKey " + new_start.to_string() +
                            " used in SplitShard() on shard " + s->id().to_string() +
                            " in stream " + m->name + " under account " + opts_.account_id +
                            " is not both greater than one plus the shard's StartingHashKey " +
                            s->start.to_string() + " and less than the shard's EndingHashKey " +
                            s->end.to_string() + ".");
        if (m->open_shard_count() + 1 > opts_.shard_limit)
            return fail(errc::limit_exceeded, "This request would exceed the shard limit for the "
                                              "account " + opts_.account_id + ".");
        uint64_t now = now_ms();
        std::map<uint32_t, uint64_t> next{{s->index, e->runtime.at(s->index).next_index}};
        uint32_t parent = s->index;
        HashKey start = s->start, end = s->end;
        open_child(*m, {parent}, start, HashKey(new_start.value() - 1), now, next);
        open_child(*m, {parent}, new_start, end, now, next);
        mark_updating(*m, now);
        return write_meta(txn, std::move(m));
    });
}

Result<void> ShardStore::merge_shards(std::string_view name, std::string_view shard,
                                      std::string_view adjacent) {
    return submit([&, this](lmdb::Txn& txn) -> Result<Effect> {
        TRIB_TRY(Entry * e, live_entry(name));
        auto m = std::make_shared<StreamMeta>(*e->meta);
        TRIB_TRY_VOID(check_reshard_allowed(*m, opts_.account_id));
        TRIB_TRY(ShardMeta * a, reshardable(*m, shard, opts_.account_id));
        TRIB_TRY(ShardMeta * b, reshardable(*m, adjacent, opts_.account_id));
        bool adjacent_pair = (a->end.value() + 1 == b->start.value() && a->end != HashKey::max()) ||
                             (b->end.value() + 1 == a->start.value() && b->end != HashKey::max());
        if (!adjacent_pair || a == b)
            return fail(errc::invalid_argument,
                        "Shards " + a->id().to_string() + " and " + b->id().to_string() +
                            " in stream " + m->name + " under account " + opts_.account_id +
                            " are not an adjacent pair of shards eligible for merging");
        uint64_t now = now_ms();
        std::map<uint32_t, uint64_t> next{{a->index, e->runtime.at(a->index).next_index},
                                          {b->index, e->runtime.at(b->index).next_index}};
        HashKey start = std::min(a->start, b->start), end = std::max(a->end, b->end);
        uint32_t ai = a->index, bi = b->index;
        open_child(*m, {ai, bi}, start, end, now, next);
        mark_updating(*m, now);
        return write_meta(txn, std::move(m));
    });
}

// Uniform scaling the way AWS describes it: split the open shards at every target boundary
// they straddle, then merge, within each target range, the pieces left to right. Pieces that
// are split and merged again in the same call are the "short-lived shards" of the AWS docs.
Result<void> ShardStore::update_shard_count(std::string_view name, uint32_t target) {
    return submit([&, this](lmdb::Txn& txn) -> Result<Effect> {
        TRIB_TRY(Entry * e, live_entry(name));
        auto m = std::make_shared<StreamMeta>(*e->meta);
        TRIB_TRY_VOID(check_reshard_allowed(*m, opts_.account_id));
        uint32_t current = static_cast<uint32_t>(m->open_shard_count());
        std::string prefix = "UpdateShardCount failed for stream " + m->name + " under account " +
                             opts_.account_id + ". ";
        if (target > current * 2)
            return fail(errc::limit_exceeded,
                        prefix + "Cannot scale up over 2x the current open shard count. Current "
                                 "open shard count: " + std::to_string(current) + ".");
        if (target * 2 < current)
            return fail(errc::limit_exceeded,
                        prefix + "Cannot scale down below half the current open shard count. "
                                 "Current open shard count: " + std::to_string(current) + ".");
        size_t total_open = 0;
        for (const auto& [_, en] : state_) total_open += en.meta->open_shard_count();
        if (total_open - current + target > opts_.shard_limit)
            return fail(errc::limit_exceeded, prefix + "This request would exceed the shard limit "
                                                       "for the account.");
        uint64_t now = now_ms();
        std::erase_if(m->scaling_events_ms, [&](uint64_t t) { return t + 86'400'000 < now; });
        if (m->scaling_events_ms.size() >= 10)
            return fail(errc::limit_exceeded,
                        prefix + "Exceeded the maximum number of scaling operations (10) "
                                 "allowed in a rolling 24 hour period.");
        m->scaling_events_ms.push_back(now);
        if (target != current) {
            std::map<uint32_t, uint64_t> next;
            for (const auto& [ix, rt] : e->runtime) next[ix] = rt.next_index;
            u128 w = ~u128(0) / target + (~u128(0) % target + 1 == target);
            auto open_at = [&](HashKey k) -> ShardMeta* {
                for (auto& s : m->shards)
                    if (s.open() && s.start <= k && k <= s.end) return &s;
                return nullptr;
            };
            for (uint32_t i = 1; i < target; ++i) {
                HashKey b(w * i);
                ShardMeta* s = open_at(b);
                if (s->start == b) continue;
                uint32_t p = s->index;
                HashKey start = s->start, end = s->end;
                open_child(*m, {p}, start, HashKey(b.value() - 1), now, next);
                open_child(*m, {p}, b, end, now, next);
            }
            for (uint32_t i = 0; i < target; ++i) {
                HashKey lo(w * i);
                HashKey hi = i + 1 == target ? HashKey::max() : HashKey(w * (i + 1) - 1);
                for (;;) {
                    ShardMeta* first = open_at(lo);
                    if (first->end == hi) break;
                    ShardMeta* second = open_at(HashKey(first->end.value() + 1));
                    uint32_t fi = first->index, si = second->index;
                    HashKey end = second->end;
                    open_child(*m, {fi, si}, lo, end, now, next);
                }
            }
        }
        mark_updating(*m, now);
        return write_meta(txn, std::move(m));
    });
}

}  // namespace tributary::collector::store
