#include "shared/lmdb/lmdb.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tributary::lmdb {
namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/trib-lmdb-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(Lmdb, NestedTxnAbortUndoesOnlyItsOwnWrites) {
    TempDir dir;
    auto env = Env::open(dir.path.string(), {.map_size = 16 << 20});
    ASSERT_TRUE(env) << env.error().message;
    auto txn = Txn::begin_write(*env);
    ASSERT_TRUE(txn);
    auto dbi = open_db(*txn, "t");
    ASSERT_TRUE(dbi);
    ASSERT_TRUE(put(*txn, *dbi, "a", "1"));
    {
        auto child = Txn::begin_nested(*txn);
        ASSERT_TRUE(child);
        ASSERT_TRUE(put(*child, *dbi, "b", "2"));
        child->abort();
    }
    ASSERT_TRUE(txn->commit());

    auto r = Txn::begin_read(*env);
    ASSERT_TRUE(r);
    std::string_view v;
    EXPECT_TRUE(*get(*r, *dbi, "a", v));
    EXPECT_EQ(v, "1");
    EXPECT_FALSE(*get(*r, *dbi, "b", v));
}

TEST(Lmdb, CursorSeeksInBigEndianOrder) {
    TempDir dir;
    auto env = Env::open(dir.path.string(), {.map_size = 16 << 20});
    ASSERT_TRUE(env);
    auto txn = Txn::begin_write(*env);
    auto dbi = open_db(*txn, "t");
    for (uint64_t i : {1ull, 256ull, 2ull, 70000ull}) {
        char k[8];
        put_be64(k, i);
        ASSERT_TRUE(put(*txn, *dbi, std::string_view(k, 8), "x"));
    }
    auto cur = Cursor::open(*txn, *dbi);
    ASSERT_TRUE(cur);
    char k[8];
    put_be64(k, 3);
    ASSERT_TRUE(*cur->seek(std::string_view(k, 8)));
    EXPECT_EQ(get_be64(cur->key().data()), 256u);
    ASSERT_TRUE(*cur->next());
    EXPECT_EQ(get_be64(cur->key().data()), 70000u);
    EXPECT_FALSE(*cur->next());
}

TEST(Lmdb, OpenMissingDirectoryReportsLmdbError) {
    auto env = Env::open("/nonexistent/trib", {});
    ASSERT_FALSE(env);
    EXPECT_EQ(&env.error().code.category(), &category());
}

}  // namespace
}  // namespace tributary::lmdb
