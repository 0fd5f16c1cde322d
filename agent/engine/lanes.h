#pragma once
// Lanes: how a flow keeps several batches in flight without giving up per-shard order.
//
// Kinesis orders records per shard, and a shard is chosen by the MD5 of the partition key. A
// flow therefore splits its records into lanes by shard (lane = shard index mod lane count) and
// sends one batch per lane at a time: records of one file reach each shard in file order, while
// the lanes' requests overlap (the collector's group commit then fsyncs them together).
//
// LaneMap is immutable and thread-safe. Crew runs one round of lane sends in parallel; run() is
// called from one thread (the flow's sender), which also runs lane 0 itself.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/engine/ports.h"

namespace tributary::agent::engine {

// The hash key Kinesis gives a partition key: MD5 as a big-endian 128-bit number.
HashKey hash_of(std::string_view partition_key);

class LaneMap {
public:
    // One lane (everything in order) when `shards` is empty or max_lanes <= 1.
    LaneMap() = default;
    LaneMap(std::vector<HashRange> shards, size_t max_lanes);

    size_t lanes() const { return lanes_; }
    size_t lane_of(std::string_view partition_key) const;
    const std::vector<HashRange>& shards() const { return shards_; }
    bool operator==(const LaneMap& o) const { return lanes_ == o.lanes_ && shards_ == o.shards_; }

private:
    std::vector<HashRange> shards_;  // open shards, sorted by start
    size_t lanes_ = 1;
};

class Crew {
public:
    Crew() = default;
    ~Crew();
    Crew(const Crew&) = delete;
    Crew& operator=(const Crew&) = delete;

    // Runs job(0) .. job(n-1) at once and returns when all have returned. Job 0 runs on the
    // calling thread; the others on threads started the first time they are needed.
    void run(size_t n, const std::function<void(size_t)>& job);

private:
    void worker(size_t index);

    std::mutex mu_;
    std::condition_variable start_, done_;
    const std::function<void(size_t)>* job_ = nullptr;
    size_t jobs_ = 0, pending_ = 0;
    uint64_t round_ = 0;
    bool stop_ = false;
    std::vector<std::thread> threads_;  // threads_[i] runs job i + 1
};

}  // namespace tributary::agent::engine
