#pragma once
// Backoff: the delay before the next attempt after consecutive failures, as the Kinesis Agent
// computes it (retryInitialBackoffMillis doubling up to retryMaxBackoffMillis, +/-30 % jitter so
// a fleet that lost its collector does not come back in lockstep). Throttling starts one step
// higher: the service asked us to slow down. Not thread-safe: one per sender.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace tributary::agent::engine {

class Backoff {
public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
        : initial_(std::max<int64_t>(initial.count(), 1)), max_(std::max(max.count(), initial_)),
          rng_(std::random_device{}()) {}

    // The delay to wait after one more failure.
    std::chrono::milliseconds failure(bool throttled = false) {
        failures_ += throttled ? 2 : 1;
        int shift = std::min<int>(failures_ - 1, 30);
        int64_t base = std::min<int64_t>(max_, initial_ << shift);
        std::uniform_real_distribution<double> jitter(0.7, 1.3);
        return std::chrono::milliseconds(
            std::clamp<int64_t>(static_cast<int64_t>(double(base) * jitter(rng_)), 1, max_));
    }
    void success() { failures_ = 0; }
    int failures() const { return failures_; }

private:
    int64_t initial_, max_;
    int failures_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace tributary::agent::engine
