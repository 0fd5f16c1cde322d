#include "shared/buffer_pool.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

std::string with_capacity(size_t n) {
    std::string s;
    s.reserve(n);
    s = "leftover";
    return s;
}

TEST(BufferPool, HandsBackTheSmallestBufferThatFitsCleared) {
    BufferPool pool(4, 1000, 1 << 20);
    pool.give(with_capacity(5000));
    pool.give(with_capacity(2000));
    std::string s = pool.take(1500);
    EXPECT_GE(s.capacity(), 2000u);
    EXPECT_LT(s.capacity(), 5000u);
    EXPECT_TRUE(s.empty());
    EXPECT_GE(pool.take(4000).capacity(), 5000u);
    // Nothing left that fits: a fresh string reserved to the request.
    EXPECT_GE(pool.take(3000).capacity(), 3000u);
}

TEST(BufferPool, KeepsOnlyWorthwhileBuffersAndAtMostMaxKept) {
    BufferPool pool(2, 1000, 10000);
    pool.give(with_capacity(100));    // too small to keep
    pool.give(with_capacity(50000));  // too large to pin
    EXPECT_LT(pool.take(1).capacity(), 1000u);
    pool.give(with_capacity(2000));
    pool.give(with_capacity(3000));
    pool.give(with_capacity(4000));  // replaces the smallest kept (2000)
    EXPECT_GE(pool.take(3500).capacity(), 4000u);
    EXPECT_GE(pool.take(2500).capacity(), 3000u);
    EXPECT_LT(pool.take(1500).capacity(), 2000u);  // the 2000 one was evicted: a fresh string
}

}  // namespace
}  // namespace tributary
