#pragma once
// Token buckets for the per-shard throughput limits. Capacity is one second's allowance, the
// way Kinesis meters (1 MiB/s or 1,000 records/s in; 2 MiB/s and 5 calls/s out).
// Not thread-safe: write buckets belong to the writer thread, read buckets sit behind a mutex.

#include <algorithm>
#include <cstdint>

namespace tributary::collector::store {

class TokenBucket {
public:
    TokenBucket() = default;
    explicit TokenBucket(double per_second) : rate_(per_second), tokens_(per_second) {}

    // Takes `n` tokens if the bucket holds them now; a request larger than the capacity is
    // allowed once the bucket is full, so a single large record is never starved.
    bool try_take(double n, uint64_t now_ms) {
        refill(now_ms);
        if (tokens_ >= n || (tokens_ >= rate_ && n > rate_)) {
            tokens_ -= n;
            return true;
        }
        return false;
    }
    // Takes `n` tokens unconditionally (the balance may go negative: debt paid by waiting).
    void take(double n, uint64_t now_ms) {
        refill(now_ms);
        tokens_ -= n;
    }
    bool has_tokens(uint64_t now_ms) {
        refill(now_ms);
        return tokens_ > 0;
    }

private:
    void refill(uint64_t now_ms) {
        if (now_ms > last_ms_) {
            tokens_ = std::min(rate_, tokens_ + rate_ * double(now_ms - last_ms_) / 1000.0);
            last_ms_ = now_ms;
        }
    }
    double rate_ = 0;
    double tokens_ = 0;
    uint64_t last_ms_ = 0;
};

}  // namespace tributary::collector::store
