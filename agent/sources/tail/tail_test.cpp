// Tail: discovery, initial position, checkpoints, limits and wake-ups on real files.

#include "agent/sources/tail/tail.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <functional>

#include <gtest/gtest.h>

#include "agent/sources/tail/test_util.h"

namespace tributary::agent::sources::tail {
namespace {

using namespace std::chrono_literals;
using testing::append;
using testing::Collected;
using testing::drive;
using testing::open_tail;
using testing::options;
using testing::TempDir;
using Records = std::vector<std::string>;

TEST(Tail, ReadsExistingFileFromStartWhenAsked) {
    TempDir d;
    append(d / "app.log", "a\nb\n");
    auto tail = open_tail(options(d / "*.log"));
    Collected c;
    drive(*tail, c, 2);
    EXPECT_EQ(c.records, (Records{"a", "b"}));
    EXPECT_EQ(c.positions.begin()->second.offset, 4u);
}

TEST(Tail, StartsAfterLastCompleteLineOfExistingFilesByDefault) {
    TempDir d;
    append(d / "app.log", "old1\nold2\npart");
    auto o = options(d / "app.log");
    o.start_at_beginning = false;
    auto tail = open_tail(o);
    append(d / "app.log", "ial\nnew\n");
    Collected c;
    drive(*tail, c, 2);
    EXPECT_EQ(c.records, (Records{"partial", "new"}));
}

TEST(Tail, FilesAppearingLaterAreReadFromTheirBeginning) {
    TempDir d;
    auto o = options(d / "*.log");
    o.start_at_beginning = false;
    auto tail = open_tail(o);
    append(d / "late.log", "first\nsecond\n");
    Collected c;
    drive(*tail, c, 2);
    EXPECT_EQ(c.records, (Records{"first", "second"}));
}

TEST(Tail, GlobstarPicksUpFilesInNewSubdirectories) {
    TempDir d;
    auto tail = open_tail(options(d / "**/*.log"));
    std::filesystem::create_directories(d / "svc/a/b");
    append(d / "svc/a/b/deep.log", "deep\n");
    Collected c;
    drive(*tail, c, 1);
    EXPECT_EQ(c.records, (Records{"deep"}));
}

TEST(Tail, DirectoryCreatedAfterOpenIsFollowed) {
    TempDir d;
    auto tail = open_tail(options(d / "later/*/app.log"));
    Collected c;
    drive(*tail, c, 0, 30ms);
    EXPECT_TRUE(c.records.empty());
    std::filesystem::create_directories(d / "later/x");
    append(d / "later/x/app.log", "hello\n");
    drive(*tail, c, 1);
    EXPECT_EQ(c.records, (Records{"hello"}));
}

TEST(Tail, RestartResumesAtCheckpointWithoutLossOrDuplicates) {
    TempDir d;
    append(d / "app.log", "1\n2\n3\n");
    Collected c;
    {
        auto tail = open_tail(options(d / "app.log"));
        drive(*tail, c, 3);
        append(d / "app.log", "4\n");  // read by nobody before the "crash"
    }
    append(d / "app.log", "5\n");
    auto restored = c.restored();
    ASSERT_EQ(restored.size(), 1u);
    auto decoded = Position::decode(restored[0].encode());  // as the spool would hold it
    ASSERT_TRUE(decoded);
    auto tail = open_tail(options(d / "app.log"), {*decoded});
    drive(*tail, c, 5);
    drive(*tail, c, 0, 30ms);
    EXPECT_EQ(c.records, (Records{"1", "2", "3", "4", "5"}));
}

// A log file past 4 GiB (sparse here: a hole, then lines). On a 32-bit build without a 64-bit
// off_t (_FILE_OFFSET_BITS=64, top CMakeLists.txt) fstat() fails with EOVERFLOW and pread()
// offsets wrap at 2 GiB; the offsets and the checkpoint must carry the full 64 bits.
TEST(Tail, FileLargerThanFourGiBIsTailedAndResumedPastTheEnd) {
    TempDir d;
    const std::string path = d / "big.log";
    const uint64_t hole = (uint64_t{4} << 30) + 123;
    {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::ftruncate(fd, off_t(hole)), 0) << "no sparse files on this file system?";
        ASSERT_EQ(::pwrite(fd, "tail\n", 5, off_t(hole)), 5);
        ::close(fd);
    }
    auto o = options(path);
    o.start_at_beginning = false;  // after the last complete line: the hole is never read
    Collected c;
    {
        auto tail = open_tail(o);
        ASSERT_TRUE(tail);
        append(path, "x\ny\n");
        drive(*tail, c, 2);
        EXPECT_EQ(c.records, (Records{"x", "y"}));
        ASSERT_EQ(c.positions.size(), 1u);
        EXPECT_EQ(c.positions.begin()->second.offset, hole + 5 + 4);
    }
    append(path, "z\n");
    auto decoded = Position::decode(c.restored()[0].encode());
    ASSERT_TRUE(decoded);
    auto tail = open_tail(o, {*decoded});
    ASSERT_TRUE(tail);
    drive(*tail, c, 3);
    drive(*tail, c, 0, 30ms);
    EXPECT_EQ(c.records, (Records{"x", "y", "z"}));
    EXPECT_EQ(c.positions.begin()->second.offset, hole + 5 + 6);
}

TEST(Tail, RestartInsideMultiLineEventRereadsTheWholeEvent) {
    TempDir d;
    auto o = options(d / "app.log");
    o.multi_line_start_pattern = "E";
    o.multi_line_flush = 10s;
    append(d / "app.log", "E1\n x\nE2\n y\n");
    Collected c;
    {
        auto tail = open_tail(o);
        drive(*tail, c, 1);
    }
    EXPECT_EQ(c.records, (Records{"E1\n x"}));
    append(d / "app.log", " z\nE3\n");
    auto tail = open_tail(o, c.restored());
    drive(*tail, c, 2);
    EXPECT_EQ(c.records, (Records{"E1\n x", "E2\n y\n z"}));
}

TEST(Tail, SameInodeWithDifferentContentIsReadFromZero) {
    TempDir d;
    append(d / "app.log", "original content line\n");
    Collected c;
    {
        auto tail = open_tail(options(d / "app.log"));
        drive(*tail, c, 1);
    }
    // Rewrite in place while "stopped": same dev/ino, other bytes, longer than the offset.
    ASSERT_EQ(::truncate((d / "app.log").c_str(), 0), 0);
    append(d / "app.log", "REPLACED content line\nmore\n");
    auto tail = open_tail(options(d / "app.log"), c.restored());
    Collected c2;
    drive(*tail, c2, 2);
    EXPECT_EQ(c2.records, (Records{"REPLACED content line", "more"}));
    EXPECT_EQ(tail->counters().inode_reuses, 1u);
    EXPECT_EQ(c2.finished, 1u);  // the stale checkpoint is dropped
}

TEST(Tail, FakedInodeReuseByFingerprintIsDetected) {
    TempDir d;
    append(d / "app.log", "abc\ndef\n");
    struct stat st;
    ASSERT_EQ(::stat((d / "app.log").c_str(), &st), 0);
    Position p;  // a checkpoint of an earlier file that had this inode
    p.key = "old";
    p.path = d / "app.log";
    p.dev = st.st_dev;
    p.ino = st.st_ino;
    p.offset = 4;
    p.fingerprint_bytes = 4;
    p.fingerprint = fnv1a64("xyz\n");
    auto tail = open_tail(options(d / "app.log"), {p});
    Collected c;
    drive(*tail, c, 2);
    EXPECT_EQ(c.records, (Records{"abc", "def"}));
    ASSERT_FALSE(c.batches.empty());
    EXPECT_EQ(c.batches[0].file_key, "old");
    EXPECT_TRUE(c.batches[0].finished);
}

TEST(Tail, CheckpointAtShortFileStillMatchesAfterGrowth) {
    TempDir d;
    append(d / "app.log", "short\n");
    Collected c;
    {
        auto tail = open_tail(options(d / "app.log"));
        drive(*tail, c, 1);
    }
    EXPECT_EQ(c.positions.begin()->second.fingerprint_bytes, 6u);
    std::string more;
    for (int i = 0; i < 400; ++i) more += "line " + std::to_string(i) + "\n";
    append(d / "app.log", more);
    auto tail = open_tail(options(d / "app.log"), c.restored());
    drive(*tail, c, 401);
    ASSERT_EQ(c.records.size(), 401u);
    EXPECT_EQ(c.records[1], "line 0");
    EXPECT_EQ(tail->counters().inode_reuses, 0u);
}

TEST(Tail, UnmatchedCheckpointIsReportedFinished) {
    TempDir d;
    Position p;
    p.key = "gone";
    p.path = d / "vanished.log";
    p.dev = 1;
    p.ino = 999999;
    auto tail = open_tail(options(d / "*.log"), {p});
    EXPECT_EQ(tail->next_wakeup(), 0ms);
    auto r = tail->read(10, 1000);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].file_key, "gone");
    EXPECT_TRUE((*r)[0].finished);
}

TEST(Tail, ReadHonoursRecordAndByteBudgets) {
    TempDir d;
    append(d / "a.log", "1\n2\n3\n4\n5\n");
    auto tail = open_tail(options(d / "a.log"));
    auto r = tail->read(2, 1000);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].records, (Records{"1", "2"}));
    EXPECT_EQ((*r)[0].position.offset, 4u);
    EXPECT_EQ(tail->next_wakeup(), 0ms);
    r = tail->read(100, 2);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].records, (Records{"3", "4"}));
}

TEST(Tail, InotifyDescriptorBecomesReadableAfterAppend) {
    TempDir d;
    append(d / "a.log", "");
    auto tail = open_tail(options(d / "a.log"));
    ASSERT_GE(tail->wait_fd(), 0);
    ASSERT_TRUE(tail->read(10, 1000));
    append(d / "a.log", "x\n");
    pollfd p{tail->wait_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 2000), 1);
    auto r = tail->read(10, 1000);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].records, (Records{"x"}));
}

TEST(Tail, PollingFallbackReadsAppendsAndNewFiles) {
    TempDir d;
    append(d / "a.log", "1\n");
    auto o = options(d / "*.log");
    o.use_inotify = false;
    auto tail = open_tail(o);
    EXPECT_EQ(tail->wait_fd(), -1);
    EXPECT_LE(tail->next_wakeup(), o.poll_interval);
    Collected c;
    drive(*tail, c, 1);
    append(d / "a.log", "2\n");
    append(d / "b.log", "3\n");
    drive(*tail, c, 3);
    std::sort(c.records.begin(), c.records.end());
    EXPECT_EQ(c.records, (Records{"1", "2", "3"}));
}

TEST(Tail, MultiLineEventIsFlushedAfterQuietPeriod) {
    TempDir d;
    auto o = options(d / "a.log");
    o.multi_line_start_pattern = "E";
    append(d / "a.log", "E1\n detail\n");
    auto tail = open_tail(o);
    Collected c;
    drive(*tail, c, 1);
    EXPECT_EQ(c.records, (Records{"E1\n detail"}));
    EXPECT_EQ(c.positions.begin()->second.offset, 11u);
}

TEST(Tail, FiveMiBLineIsCutAndFollowingLinesRead) {
    TempDir d;
    auto o = options(d / "a.log");
    o.max_record_bytes = 1 << 20;
    append(d / "a.log", std::string(5 << 20, 'y') + "\nnext\n");
    auto tail = open_tail(o);
    Collected c;
    drive(*tail, c, 2);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0].size(), size_t(1) << 20);
    EXPECT_EQ(c.records[0].back(), '\n');
    EXPECT_EQ(c.records[1], "next");
    EXPECT_EQ(c.truncated, 1u);
    EXPECT_EQ(tail->counters().records_truncated, 1u);
}

TEST(Tail, SkipsHeaderLinesAndStopsAtFooter) {
    TempDir d;
    auto o = options(d / "a.csv");
    o.skip_header_lines = 1;
    o.file_footer_pattern = "#EOF";
    append(d / "a.csv", "id,name\n1,x\n#EOF\n2,y\n");
    auto tail = open_tail(o);
    Collected c;
    drive(*tail, c, 0, 50ms);
    EXPECT_EQ(c.records, (Records{"1,x"}));
}

TEST(Tail, BadOptionsAreClearErrors) {
    Options o;
    o.pattern = "/tmp/*.log";
    o.multi_line_start_pattern = "(unclosed";
    auto t = Tail::open(o, {});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, errc::invalid_option);
    EXPECT_NE(t.error().message.find("(unclosed"), std::string::npos);
    o.multi_line_start_pattern.reset();
    o.max_record_bytes = 1;
    EXPECT_FALSE(Tail::open(o, {}));
    o.max_record_bytes = 100;
    o.pattern = "relative/*.log";
    EXPECT_FALSE(Tail::open(o, {}));
}

// Runs `body` as an unprivileged user when the tests run as root (root ignores permission
// bits); returns its exit status.
int as_unprivileged(const std::function<int()>& body) {
    if (::geteuid() != 0) return body();
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(90);
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

TEST(Tail, UnreadableFileIsRetriedAndReadOnceReadable) {
    TempDir d;
    ::chmod(d.path().c_str(), 0777);
    std::string path = d / "secret.log";
    append(path, "hidden\n");
    ::chmod(path.c_str(), 0);
    if (::geteuid() == 0) {
        ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    }
    int rc = as_unprivileged([&] {
        auto o = options(d / "*.log");
        o.start_at_beginning = false;
        auto t = Tail::open(o, {});
        if (!t) return 1;
        auto r = (*t)->read(10, 1000);
        if (!r || !r->empty()) return 2;
        if (::chmod(path.c_str(), 0644) != 0) return 3;
        Collected c;
        drive(**t, c, 1);
        return c.records == Records{"hidden"} ? 0 : 4;
    });
    EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace tributary::agent::sources::tail
