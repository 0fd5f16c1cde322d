#pragma once
// Spool internals shared by spool.cpp (open, reads, the public calls) and spool_writer.cpp (the
// writer thread and its jobs). Not part of the module's interface.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/buffer/layout.h"
#include "agent/buffer/spool.h"
#include "shared/lmdb/lmdb.h"

namespace tributary::agent::buffer {

// A flow as the writer knows it: the persisted row plus what is cheap to keep beside it.
struct FlowState {
    layout::FlowRow row;
    MDB_dbi dbi = 0;
    uint64_t oldest_ms = 0;  // enqueued_ms of the first entry; 0 when empty
};

// The lock file that keeps a second process (or a second open in this one: flock is per open
// file description) away from the directory; LMDB must not be opened twice in one process.
struct DirLock {
    int fd = -1;
    DirLock() = default;
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;
    ~DirLock();
};

// Turns an LMDB error into a spool error: MDB_MAP_FULL becomes errc::full, any other LMDB or
// system code errc::storage; spool errors pass unchanged.
Error normalize(Error e, uint64_t map_bytes);
inline tl::unexpected<Error> normalized(Error e, uint64_t map_bytes) {
    return tl::unexpected<Error>(normalize(std::move(e), map_bytes));
}

struct Spool::Impl {
    // Runs in the job's nested transaction on a copy of the flow's state; the copy replaces the
    // flow's state only once the whole batch has committed.
    using Apply = std::function<Result<void>(lmdb::Txn&, FlowState&)>;
    struct Job {
        std::string flow;
        Apply apply;
        std::optional<Result<void>> result;
        std::promise<Result<void>> done;
    };

    Options opts;
    DirLock lock;  // declared before env: released after the environment is closed
    lmdb::Env env;
    MDB_dbi meta_db = 0, flows_db = 0, ckpt_db = 0;
    std::string producer_hex;

    // Writer-thread state (also touched by open() before the writer starts).
    std::map<std::string, FlowState, std::less<>> flows;
    uint32_t next_flow = 1;

    // Published after each commit for readers: the queue handle and counters per flow.
    struct Published {
        MDB_dbi dbi = 0;
        FlowStats stats;
    };
    mutable std::mutex pub_mu;
    std::map<std::string, Published, std::less<>> published;
    std::atomic<uint64_t> commits{0};

    mutable std::mutex limits_mu;
    std::map<std::string, FlowLimits, std::less<>> limits;

    std::mutex q_mu;
    std::condition_variable q_cv;
    std::deque<Job*> queue;
    bool stopping = false;
    std::thread writer;

    ~Impl();
    Result<void> init();
    Result<void> load();
    Result<void> load_flows(lmdb::Txn& txn);
    void publish(const std::string& name, const FlowState& st);
    std::optional<FlowLimits> limits_of(std::string_view flow) const;

    // Queues a job for `flow` (created first when absent) and waits for its batch's commit.
    Result<void> submit(std::string_view flow, Apply apply);
    void writer_loop();
    void run_batch(std::vector<Job*>& batch, bool may_split);
    Result<void> create_flow(const std::string& name);
};

}  // namespace tributary::agent::buffer
