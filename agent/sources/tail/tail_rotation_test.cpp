// Tail across rotation: rename+create, copytruncate, refills, deletion, restarts after rotation.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "agent/sources/tail/tail.h"
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
using testing::write_fd;
using Records = std::vector<std::string>;

TEST(TailRotation, RenameCreateDrainsOldFileIncludingLateWritesThenReadsNew) {
    TempDir d;
    std::string log = d / "app.log";
    int writer = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ASSERT_GE(writer, 0);
    write_fd(writer, "a1\n");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 1);
    ASSERT_EQ(::rename(log.c_str(), (d / "app.log.1").c_str()), 0);
    append(log, "b1\n");           // the new file
    write_fd(writer, "a2\na3\n");  // the application still writes to the old one
    ::close(writer);
    drive(*tail, c, 4);
    drive(*tail, c, 0, 100ms);
    EXPECT_EQ(c.records, (Records{"a1", "a2", "a3", "b1"}));
    EXPECT_EQ(c.finished, 1u);  // the old file was let go after being drained
    EXPECT_EQ(tail->counters().rotations, 1u);
}

TEST(TailRotation, RenameIntoMatchingNameKeepsIdentityAndReadsNoDuplicates) {
    TempDir d;
    append(d / "app.log", "1\n2\n");
    auto tail = open_tail(options(d / "app.log*"));
    Collected c;
    drive(*tail, c, 2);
    ASSERT_EQ(::rename((d / "app.log").c_str(), (d / "app.log.1").c_str()), 0);
    append(d / "app.log.1", "3\n");
    append(d / "app.log", "4\n");
    drive(*tail, c, 4);
    drive(*tail, c, 0, 100ms);
    EXPECT_EQ(c.records, (Records{"1", "2", "3", "4"}));
    EXPECT_EQ(c.finished, 0u);
    EXPECT_EQ(tail->stats().size(), 2u);
}

TEST(TailRotation, FileRotatedIntoAnotherDirectoryIsReadToItsEnd) {
    TempDir d;
    std::filesystem::create_directories(d / "archive");
    std::string log = d / "app.log";
    int writer = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    write_fd(writer, "x1\n");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 1);
    ASSERT_EQ(::rename(log.c_str(), (d / "archive/app.log").c_str()), 0);
    write_fd(writer, "x2\n");
    ::close(writer);
    drive(*tail, c, 2);
    drive(*tail, c, 0, 100ms);
    EXPECT_EQ(c.records, (Records{"x1", "x2"}));
    EXPECT_EQ(c.finished, 1u);
}

TEST(TailRotation, CopytruncateRestartsFromZeroAndIsCounted) {
    TempDir d;
    std::string log = d / "app.log";
    append(log, "before1\nbefore2\n");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 2);
    ASSERT_EQ(::truncate(log.c_str(), 0), 0);
    append(log, "after\n");
    drive(*tail, c, 3);
    EXPECT_EQ(c.records, (Records{"before1", "before2", "after"}));
    EXPECT_EQ(tail->counters().truncations, 1u);
    EXPECT_EQ(c.positions.begin()->second.offset, 6u);
}

TEST(TailRotation, TruncateAndRefillPastOffsetBetweenChecksIsDetected) {
    TempDir d;
    std::string log = d / "app.log";
    append(log, "aaaa\n");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 1);
    ASSERT_EQ(::truncate(log.c_str(), 0), 0);
    append(log, "bbbbbbbb\ncccc\n");  // larger than before: only the fingerprint tells
    drive(*tail, c, 3);
    EXPECT_EQ(c.records, (Records{"aaaa", "bbbbbbbb", "cccc"}));
    EXPECT_EQ(tail->counters().truncations, 1u);
}

TEST(TailRotation, RefillWithSameHeadIsDetectedByMarkerBeforeOffset) {
    TempDir d;
    std::string log = d / "app.log";
    std::string head(2000, 'h');  // identical first KiB in both generations
    append(log, head + "\nold\n");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 2);
    ASSERT_EQ(::truncate(log.c_str(), 0), 0);
    append(log, head + "\nNEW\nmore lines here\n");
    drive(*tail, c, 5);
    ASSERT_EQ(c.records.size(), 5u);
    EXPECT_EQ(c.records[3], "NEW");
    EXPECT_EQ(c.records[4], "more lines here");
}

TEST(TailRotation, DeletedFileStillOpenIsReadToEndThenFinished) {
    TempDir d;
    std::string log = d / "app.log";
    int writer = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    write_fd(writer, "d1\n");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 1);
    ASSERT_EQ(::unlink(log.c_str()), 0);
    write_fd(writer, "d2\n");
    ::close(writer);
    drive(*tail, c, 2);
    drive(*tail, c, 0, 100ms);
    EXPECT_EQ(c.records, (Records{"d1", "d2"}));
    EXPECT_EQ(c.finished, 1u);
    EXPECT_TRUE(c.positions.empty());
}

TEST(TailRotation, FinishedFileEmitsItsPartialLastLine) {
    TempDir d;
    std::string log = d / "app.log";
    append(log, "full\nno-newline");
    auto tail = open_tail(options(log));
    Collected c;
    drive(*tail, c, 1);
    ASSERT_EQ(::rename(log.c_str(), (d / "gone.txt").c_str()), 0);
    drive(*tail, c, 2);
    EXPECT_EQ(c.records, (Records{"full", "no-newline"}));
}

TEST(TailRotation, RestartAfterRotationFindsRotatedFileInItsOldDirectory) {
    TempDir d;
    std::string log = d / "app.log";
    append(log, "r1\n");
    Collected c;
    {
        auto tail = open_tail(options(log));
        drive(*tail, c, 1);
    }
    append(log, "r2\n");  // written, then rotated while the agent was down
    ASSERT_EQ(::rename(log.c_str(), (d / "app.log.1").c_str()), 0);
    append(log, "n1\n");
    auto tail = open_tail(options(log), c.restored());
    drive(*tail, c, 3);
    drive(*tail, c, 0, 100ms);
    EXPECT_EQ(c.records, (Records{"r1", "r2", "n1"}));
}

TEST(TailRotation, OlderGenerationIsReadBeforeItsSuccessor) {
    TempDir d;
    append(d / "app.log.1", "old1\nold2\n");
    struct timespec past[2] = {{1000, 0}, {1000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (d / "app.log.1").c_str(), past, 0), 0);
    append(d / "app.log", "new1\n");
    auto tail = open_tail(options(d / "app.log*"));
    Collected c;
    drive(*tail, c, 3);
    EXPECT_EQ(c.records, (Records{"old1", "old2", "new1"}));
}

}  // namespace
}  // namespace tributary::agent::sources::tail

namespace tributary::agent::sources::tail {
namespace {

using testing::append;
using testing::Collected;
using testing::drive;
using testing::open_tail;
using testing::options;
using testing::TempDir;

TEST(TailRotation, CopytruncateCopyMatchedByGlobContinuesWhereOriginalStood) {
    TempDir d;
    std::string log = d / "app.log";
    std::string lines;
    for (int i = 0; i < 100; ++i) lines += "line number " + std::to_string(i) + "\n";
    append(log, lines);
    auto tail = open_tail(options(d / "app.log*"));
    Collected c;
    drive(*tail, c, 100);
    append(log, "late\n");  // written after our last read, before logrotate's copy
    std::filesystem::copy_file(log, d / "app.log.1");
    ASSERT_EQ(::truncate(log.c_str(), 0), 0);
    append(log, "fresh\n");
    drive(*tail, c, 102);
    drive(*tail, c, 0, 100ms);
    ASSERT_EQ(c.records.size(), 102u);  // no line of the copy read twice
    std::vector<std::string> tail_end(c.records.end() - 2, c.records.end());
    std::sort(tail_end.begin(), tail_end.end());
    EXPECT_EQ(tail_end, (std::vector<std::string>{"fresh", "late"}));
}

}  // namespace
}  // namespace tributary::agent::sources::tail
