#include "agent/engine/lanes.h"

#include <algorithm>

#include "shared/crypto/digest.h"

namespace tributary::agent::engine {

HashKey hash_of(std::string_view partition_key) {
    auto md5 = crypto::md5_bytes(partition_key);
    HashKey v;
    for (size_t i = 0; i < 8; ++i) v.hi = (v.hi << 8) | md5[i];
    for (size_t i = 8; i < 16; ++i) v.lo = (v.lo << 8) | md5[i];
    return v;
}

LaneMap::LaneMap(std::vector<HashRange> shards, size_t max_lanes) : shards_(std::move(shards)) {
    std::sort(shards_.begin(), shards_.end(),
              [](const HashRange& a, const HashRange& b) { return a.start < b.start; });
    lanes_ = std::max<size_t>(1, std::min(max_lanes, shards_.size()));
}

size_t LaneMap::lane_of(std::string_view partition_key) const {
    if (lanes_ == 1) return 0;
    HashKey h = hash_of(partition_key);
    // The last shard starting at or before h. Open shards tile the key space; a gap (a map
    // read mid-reshard) falls to the shard before it, which only affects which lane waits.
    auto it = std::upper_bound(shards_.begin(), shards_.end(), h,
                               [](const HashKey& v, const HashRange& r) { return v < r.start; });
    size_t index = it == shards_.begin() ? 0 : size_t(it - shards_.begin()) - 1;
    return index % lanes_;
}

Crew::~Crew() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
}

void Crew::run(size_t n, const std::function<void(size_t)>& job) {
    if (n == 0) return;
    {
        std::lock_guard lk(mu_);
        while (threads_.size() + 1 < n) {
            size_t index = threads_.size() + 1;
            threads_.emplace_back([this, index] { worker(index); });
        }
        job_ = &job;
        jobs_ = n;
        pending_ = n - 1;
        ++round_;
    }
    start_.notify_all();
    job(0);
    std::unique_lock lk(mu_);
    done_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
}

void Crew::worker(size_t index) {
    uint64_t seen = 0;
    std::unique_lock lk(mu_);
    for (;;) {
        start_.wait(lk, [&] { return stop_ || round_ != seen; });
        if (stop_) return;
        seen = round_;
        if (index >= jobs_) continue;  // this round needs fewer lanes
        const auto* job = job_;
        lk.unlock();
        (*job)(index);
        lk.lock();
        if (--pending_ == 0) done_.notify_one();
    }
}

}  // namespace tributary::agent::engine
