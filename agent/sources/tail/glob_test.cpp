#include "agent/sources/tail/glob.h"

#include <sys/stat.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "agent/sources/tail/errc.h"
#include "agent/sources/tail/test_util.h"

namespace tributary::agent::sources::tail {
namespace {

using testing::append;
using testing::TempDir;

std::vector<std::string> scan(const std::string& pattern) {
    auto g = Glob::compile(pattern);
    EXPECT_TRUE(g) << (g ? "" : g.error().message);
    return g ? g->scan().files : std::vector<std::string>{};
}

TEST(Glob, RejectsRelativeEmptyAndDirectoryPatterns) {
    for (const char* p : {"", "logs/*.log", "/var/log/"}) {
        auto g = Glob::compile(p);
        ASSERT_FALSE(g) << p;
        EXPECT_EQ(g.error().code, errc::invalid_option);
    }
}

TEST(Glob, WildcardsWorkInDirectoryComponents) {
    TempDir d;
    ::mkdir((d / "a").c_str(), 0755);
    ::mkdir((d / "b").c_str(), 0755);
    append(d / "a/app.log", "x\n");
    append(d / "b/app.log", "x\n");
    append(d / "b/other.log", "x\n");
    EXPECT_EQ(scan(d / "*/app.log"),
              (std::vector<std::string>{d / "a/app.log", d / "b/app.log"}));
    EXPECT_EQ(scan(d / "[a]/*.log"), (std::vector<std::string>{d / "a/app.log"}));
}

TEST(Glob, GlobstarMatchesZeroOrMoreDirectories) {
    TempDir d;
    std::filesystem::create_directories(d / "x/y/z");
    append(d / "top.log", "");
    append(d / "x/one.log", "");
    append(d / "x/y/z/deep.log", "");
    append(d / "x/y/z/deep.txt", "");
    EXPECT_EQ(scan(d / "**/*.log"), (std::vector<std::string>{d / "top.log", d / "x/one.log",
                                                              d / "x/y/z/deep.log"}));
    EXPECT_EQ(scan(d / "x/**"), (std::vector<std::string>{d / "x/one.log", d / "x/y/z/deep.log",
                                                          d / "x/y/z/deep.txt"}));
}

TEST(Glob, CompressedFilesNeverMatch) {
    TempDir d;
    for (const char* n : {"app.log", "app.log.1.gz", "a.bz2", "a.zip", "a.xz", "a.zst"})
        append(d / n, "");
    EXPECT_EQ(scan(d / "*"), (std::vector<std::string>{d / "app.log"}));
    auto g = Glob::compile(d / "*");
    EXPECT_FALSE(g->matches(d / "app.log.1.gz"));
}

TEST(Glob, WildcardsSkipHiddenFilesAndDirectories) {
    TempDir d;
    std::filesystem::create_directories(d / ".hidden");
    append(d / ".secret.log", "");
    append(d / ".hidden/in.log", "");
    append(d / "seen.log", "");
    EXPECT_EQ(scan(d / "**/*.log"), (std::vector<std::string>{d / "seen.log"}));
}

TEST(Glob, MissingDirectoryIsWatchedThroughItsParent) {
    TempDir d;
    auto g = Glob::compile(d / "later/sub/*.log");
    ASSERT_TRUE(g);
    auto s = g->scan();
    EXPECT_TRUE(s.files.empty());
    EXPECT_EQ(s.watch_dirs, (std::vector<std::string>{d.path()}));
}

TEST(Glob, MatchesAgreesWithScan) {
    auto g = Glob::compile("/var/**/app-?.log");
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->matches("/var/app-1.log"));
    EXPECT_TRUE(g->matches("/var/log/x/app-2.log"));
    EXPECT_FALSE(g->matches("/var/log/.x/app-2.log"));
    EXPECT_FALSE(g->matches("/var/log/app-10.log"));
    EXPECT_FALSE(g->matches("/etc/app-1.log"));
}

}  // namespace
}  // namespace tributary::agent::sources::tail
