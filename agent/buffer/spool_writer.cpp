// The spool's writer thread (group commit) and the write calls that queue jobs for it.

#include <pthread.h>

#include <algorithm>

#include "agent/buffer/spool_impl.h"
#include "shared/log/log.h"

namespace tributary::agent::buffer {
namespace {

Result<void> check_flow_name(std::string_view flow) {
    if (flow.empty() || flow.size() > layout::kMaxFlowName)
        return fail(errc::invalid_argument, "flow name must be 1 to " +
                                                std::to_string(layout::kMaxFlowName) +
                                                " bytes, got " + std::to_string(flow.size()));
    return {};
}

Result<void> check_checkpoint_key(std::string_view key) {
    if (key.empty() || key.size() > layout::kMaxCheckpointKey)
        return fail(errc::invalid_argument, "checkpoint key must be 1 to " +
                                                std::to_string(layout::kMaxCheckpointKey) +
                                                " bytes, got " + std::to_string(key.size()));
    return {};
}

Result<void> put_flow_row(lmdb::Txn& txn, MDB_dbi flows_db, std::string_view flow,
                          const FlowState& st) {
    return lmdb::put(txn, flows_db, flow, layout::encode_flow(st.row));
}

// Re-reads the enqueued time of the flow's first entry after entries left the head.
Result<void> refresh_oldest(lmdb::Txn& txn, FlowState& st) {
    TRIB_TRY(auto cur, lmdb::Cursor::open(txn, st.dbi));
    TRIB_TRY(bool at, cur.first());
    layout::EntryView e;
    st.oldest_ms = at && layout::decode_entry(cur.value(), e) ? e.enqueued_ms : 0;
    return {};
}

}  // namespace

Result<void> Spool::Impl::submit(std::string_view flow, Apply apply) {
    Job job{std::string(flow), std::move(apply), std::nullopt, {}};
    auto fut = job.done.get_future();
    {
        std::lock_guard lk(q_mu);
        if (stopping) return fail(errc::closed, "the spool is closing");
        queue.push_back(&job);
    }
    q_cv.notify_one();
    return fut.get();
}

void Spool::Impl::writer_loop() {
    pthread_setname_np(pthread_self(), "trib-spool");
    std::vector<Job*> batch;
    for (;;) {
        {
            std::unique_lock lk(q_mu);
            q_cv.wait(lk, [&] { return stopping || !queue.empty(); });
            if (stopping && queue.empty()) return;
            batch.assign(queue.begin(), queue.end());
            queue.clear();
        }
        run_batch(batch, true);
        for (Job* j : batch) j->done.set_value(std::move(*j->result));
        batch.clear();
    }
}

// Creating a flow opens a database handle; LMDB keeps a handle only if the transaction that
// opened it commits, so flows are created in a transaction of their own before the batch.
Result<void> Spool::Impl::create_flow(const std::string& name) {
    if (next_flow > layout::kMaxFlows)
        return fail(errc::too_many_flows, "the spool keeps at most " +
                                              std::to_string(layout::kMaxFlows) +
                                              " flows; cannot add flow " + name);
    TRIB_TRY(auto txn, lmdb::Txn::begin_write(env));
    FlowState st;
    st.row.number = next_flow;
    TRIB_TRY(st.dbi, lmdb::open_db(txn, layout::queue_db_name(st.row.number).c_str(), MDB_CREATE));
    TRIB_TRY_VOID(put_flow_row(txn, flows_db, name, st));
    char be[4];
    lmdb::put_be32(be, next_flow + 1);
    TRIB_TRY_VOID(lmdb::put(txn, meta_db, layout::kNextFlowKey, std::string_view(be, 4)));
    TRIB_TRY_VOID(txn.commit());
    commits.fetch_add(1, std::memory_order_relaxed);
    ++next_flow;
    publish(name, st);
    flows.emplace(name, st);
    TRIB_LOG(info, "spool_flow_created").kv("flow", name).kv("number", st.row.number);
    return {};
}

// Runs every job in its own nested transaction and commits them together. When that commit
// fails (the map filled while writing the free list, say), each job is retried alone so one
// job's trouble does not fail the others.
void Spool::Impl::run_batch(std::vector<Job*>& batch, bool may_split) {
    for (Job* j : batch)
        if (!flows.count(j->flow))
            if (auto c = create_flow(j->flow); !c)
                j->result = normalized(c.error(), opts.map_bytes);

    auto txn = lmdb::Txn::begin_write(env);
    if (!txn) {
        for (Job* j : batch)
            if (!j->result) j->result = normalized(txn.error(), opts.map_bytes);
        return;
    }
    std::map<std::string, FlowState, std::less<>> staged;
    std::vector<Job*> ran;
    for (Job* j : batch) {
        if (j->result) continue;
        auto s = staged.find(j->flow);
        FlowState st = s != staged.end() ? s->second : flows.at(j->flow);
        auto nested = lmdb::Txn::begin_nested(*txn);
        Result<void> r =
            nested ? j->apply(*nested, st) : Result<void>(tl::unexpected(nested.error()));
        if (r && nested) r = nested->commit();
        if (!r) {
            if (nested) nested->abort();
            j->result = normalized(r.error(), opts.map_bytes);
            continue;
        }
        staged[j->flow] = st;
        ran.push_back(j);
    }
    if (ran.empty()) return;  // the transaction aborts: nothing to commit
    if (auto c = txn->commit(); !c) {
        TRIB_LOG(warn, "spool_commit_failed").kv("jobs", ran.size()).kv("error", c.error().message);
        if (!may_split || ran.size() == 1) {
            for (Job* j : ran) j->result = normalized(c.error(), opts.map_bytes);
            return;
        }
        for (Job* j : ran) {
            std::vector<Job*> one{j};
            run_batch(one, false);
        }
        return;
    }
    commits.fetch_add(1, std::memory_order_relaxed);
    for (auto& [name, st] : staged) {
        flows[name] = st;
        publish(name, st);
    }
    for (Job* j : ran) j->result = Result<void>{};
}

Result<AppendResult> Spool::append(std::string_view flow, std::span<const NewRecord> records,
                                   std::span<const CheckpointUpdate> checkpoints) {
    TRIB_TRY_VOID(check_flow_name(flow));
    for (const auto& c : checkpoints) TRIB_TRY_VOID(check_checkpoint_key(c.key));
    uint64_t add = 0;
    for (const auto& r : records) {
        if (r.partition_key.size() > UINT32_MAX)
            return fail(errc::invalid_argument, "partition key over 4 GiB");
        add += layout::entry_size(r.partition_key, r.data);
    }
    const uint64_t now = impl_->opts.clock();
    AppendResult out;
    Impl& m = *impl_;
    auto job = [&](lmdb::Txn& txn, FlowState& st) -> Result<void> {
        out = AppendResult{};
        auto lim = m.limits_of(flow);
        bool head_changed = st.row.records == 0;
        if (lim && st.row.bytes + add > lim->max_bytes) {
            if (add > lim->max_bytes)
                return fail(errc::too_large, "append of " + std::to_string(add) +
                                                 " bytes exceeds flow " + std::string(flow) +
                                                 "'s max_bytes " + std::to_string(lim->max_bytes));
            if (lim->policy == FullPolicy::block)
                return fail(errc::full, "flow " + std::string(flow) +
                                            " is full: " + std::to_string(st.row.bytes) + " of " +
                                            std::to_string(lim->max_bytes) +
                                            " bytes used, the append needs " + std::to_string(add));
            TRIB_TRY(auto cur, lmdb::Cursor::open(txn, st.dbi));
            // Re-seek after each delete: LMDB's cursor position after deleting the last entry of
            // a page is not something to rely on.
            TRIB_TRY(bool at, cur.first());
            while (at && st.row.bytes + add > lim->max_bytes) {
                uint64_t size = cur.key().size() + cur.value().size();
                TRIB_TRY_VOID(cur.del());
                st.row.bytes -= std::min(size, st.row.bytes);
                --st.row.records;
                ++st.row.dropped_total;
                ++out.dropped_oldest;
                TRIB_TRY(at, cur.first());
            }
            head_changed = true;
        }
        if (!records.empty()) {
            TRIB_TRY(auto cur, lmdb::Cursor::open(txn, st.dbi));
            out.first_id = st.row.next_id;
            for (const auto& r : records) {
                // Ids only grow, so every key lands at the end: MDB_APPEND fills pages fully.
                // The entry is encoded straight into its place in the page (MDB_RESERVE).
                size_t size = layout::kEntryHeaderSize + r.partition_key.size() + r.data.size();
                TRIB_TRY(char* at, cur.reserve(layout::IdKey(st.row.next_id).view(), size, MDB_APPEND));
                layout::encode_entry_into(at, now, r.partition_key, r.data);
                out.last_id = st.row.next_id++;
            }
            st.row.records += records.size();
            st.row.bytes += add;
            st.row.appended_total += records.size();
            out.appended = records.size();
        }
        for (const auto& c : checkpoints) {
            if (c.value) {
                TRIB_TRY_VOID(lmdb::put(txn, m.ckpt_db, c.key, *c.value));
            } else if (auto d = lmdb::del(txn, m.ckpt_db, c.key); !d) {
                return tl::unexpected(d.error());
            }
        }
        if (head_changed) TRIB_TRY_VOID(refresh_oldest(txn, st));
        return put_flow_row(txn, m.flows_db, flow, st);
    };
    TRIB_TRY_VOID(m.submit(flow, job));
    return out;
}

Result<size_t> Spool::remove(std::string_view flow, std::span<const uint64_t> ids,
                             std::span<const CheckpointUpdate> checkpoints) {
    for (const auto& c : checkpoints) TRIB_TRY_VOID(check_checkpoint_key(c.key));
    if (ids.empty() && checkpoints.empty()) return size_t{0};
    {
        // An unknown flow has nothing to remove; do not create it.
        std::lock_guard lk(impl_->pub_mu);
        if (!impl_->published.count(flow)) {
            if (checkpoints.empty()) return size_t{0};
            ids = {};
        }
    }
    std::vector<uint64_t> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    size_t removed = 0;
    Impl& m = *impl_;
    auto job = [&](lmdb::Txn& txn, FlowState& st) -> Result<void> {
        removed = 0;
        TRIB_TRY(auto cur, lmdb::Cursor::open(txn, st.dbi));
        for (uint64_t id : sorted) {
            layout::IdKey key(id);
            TRIB_TRY(bool at, cur.seek(key.view()));
            if (!at || cur.key() != key.view()) continue;
            uint64_t size = cur.key().size() + cur.value().size();
            TRIB_TRY_VOID(cur.del());
            st.row.bytes -= std::min(size, st.row.bytes);
            --st.row.records;
            ++st.row.removed_total;
            ++removed;
        }
        for (const auto& c : checkpoints) {
            if (c.value) {
                TRIB_TRY_VOID(lmdb::put(txn, m.ckpt_db, c.key, *c.value));
            } else if (auto d = lmdb::del(txn, m.ckpt_db, c.key); !d) {
                return tl::unexpected(d.error());
            }
        }
        if (removed == 0) return {};
        TRIB_TRY_VOID(refresh_oldest(txn, st));
        return put_flow_row(txn, m.flows_db, flow, st);
    };
    TRIB_TRY_VOID(m.submit(flow, job));
    return removed;
}

Result<uint64_t> Spool::next_batch_sequence(std::string_view flow, uint64_t count) {
    TRIB_TRY_VOID(check_flow_name(flow));
    if (count == 0) return fail(errc::invalid_argument, "reserve at least one batch sequence");
    uint64_t seq = 0;
    Impl& m = *impl_;
    auto job = [&](lmdb::Txn& txn, FlowState& st) -> Result<void> {
        seq = st.row.next_batch;
        st.row.next_batch += count;
        return put_flow_row(txn, m.flows_db, flow, st);
    };
    TRIB_TRY_VOID(m.submit(flow, job));
    return seq;
}

}  // namespace tributary::agent::buffer
