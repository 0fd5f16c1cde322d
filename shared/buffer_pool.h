#pragma once
// BufferPool: a few large strings kept for reuse. A fresh multi-megabyte buffer is paid for in
// page faults (the kernel maps and zeroes every 4 KiB page on first touch: ~3,700 faults for a
// 15 MB GetRecords answer, more time than formatting it), and malloc hands such sizes back to
// the kernel on free. Buffers handed back here keep their pages.
//
// Thread-safe. Retention is bounded: at most `max_kept` buffers, each of at least
// `min_capacity` (smaller ones are cheap to allocate and are simply freed), and none larger
// than `max_capacity` (an outsized buffer is not worth pinning).

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace tributary {

class BufferPool {
public:
    BufferPool(size_t max_kept, size_t min_capacity, size_t max_capacity)
        : max_kept_(max_kept), min_capacity_(min_capacity), max_capacity_(max_capacity) {}

    // An empty string whose capacity is at least `capacity` when the pool holds one (the
    // smallest such), else a new string reserved to `capacity`.
    std::string take(size_t capacity) {
        {
            std::lock_guard lk(mu_);
            auto best = kept_.end();
            for (auto it = kept_.begin(); it != kept_.end(); ++it)
                if (it->capacity() >= capacity &&
                    (best == kept_.end() || it->capacity() < best->capacity()))
                    best = it;
            if (best != kept_.end()) {
                std::string s = std::move(*best);
                kept_.erase(best);
                return s;
            }
        }
        std::string s;
        s.reserve(capacity);
        return s;
    }

    // Keeps `s` for a later take() when it is worth it; frees it otherwise.
    void give(std::string&& s) {
        if (s.capacity() < min_capacity_ || s.capacity() > max_capacity_) return;
        s.clear();
        std::string evicted;  // freed outside the lock
        std::lock_guard lk(mu_);
        if (kept_.size() < max_kept_) {
            kept_.push_back(std::move(s));
            return;
        }
        auto smallest = std::min_element(kept_.begin(), kept_.end(), [](const auto& a, const auto& b) {
            return a.capacity() < b.capacity();
        });
        if (smallest->capacity() < s.capacity()) {
            evicted = std::move(*smallest);
            *smallest = std::move(s);
        }
    }

private:
    const size_t max_kept_, min_capacity_, max_capacity_;
    std::mutex mu_;
    std::vector<std::string> kept_;
};

}  // namespace tributary
