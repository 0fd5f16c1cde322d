// kill -9 at random moments: a forked child appends (records and checkpoint in one call) on two
// flows and removes delivered prefixes from a third thread, reporting every call that returned
// success through a pipe; the parent SIGKILLs it, reopens the spool and checks that every
// acknowledged append is present exactly once, in order, with its checkpoint, and that no
// acknowledged removal came back.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "agent/buffer/spool.h"

namespace tributary::agent::buffer {
namespace {

const char* const kFlows[] = {"f0", "f1"};

Options options(const std::string& dir);

// One line per acknowledged call: "A <flow> <n>" (records up to n are in) or
// "R <flow> <n>" (records up to n were removed).
void write_line(int fd, char kind, int flow, uint64_t n) {
    char buf[64];
    int len = std::snprintf(buf, sizeof buf, "%c %d %llu\n", kind, flow,
                            static_cast<unsigned long long>(n));
    // One write(2) per line: the kernel keeps lines from the threads whole.
    if (::write(fd, buf, static_cast<size_t>(len)) != len) _exit(3);
}

[[noreturn]] void child(const std::string& dir, int fd) {
    auto s = Spool::open(options(dir));
    if (!s) _exit(2);
    Spool& spool = **s;
    std::vector<std::thread> threads;
    for (int f = 0; f < 2; ++f)
        threads.emplace_back([&, f] {
            // Continue from the checkpoint: the source re-reads nothing and skips nothing.
            auto c = spool.checkpoint(std::string("cp/") + kFlows[f]);
            uint64_t n = c && *c ? std::stoull(**c) : 0;
            for (;;) {
                std::string a = std::to_string(n + 1), b = std::to_string(n + 2);
                std::vector<NewRecord> recs{{"pk", a}, {"pk", b}};
                std::vector<CheckpointUpdate> cps{{std::string("cp/") + kFlows[f], b}};
                if (!spool.append(kFlows[f], recs, cps)) _exit(4);
                n += 2;
                write_line(fd, 'A', f, n);
            }
        });
    threads.emplace_back([&] {
        for (int f = 0;; f ^= 1) {
            auto e = spool.peek(kFlows[f], 0, 7, SIZE_MAX);
            if (!e) _exit(5);
            if (e->empty()) {
                std::this_thread::yield();
                continue;
            }
            std::vector<uint64_t> ids;
            for (auto& x : *e) ids.push_back(x.id);
            if (!spool.remove(kFlows[f], ids)) _exit(6);
            write_line(fd, 'R', f, std::stoull(e->back().data));
        }
    });
    for (auto& t : threads) t.join();
    _exit(0);
}

Options options(const std::string& dir) {
    Options o;
    o.dir = dir;
    o.map_bytes = uint64_t(64) << 20;
    return o;
}

struct Acked {
    uint64_t appended = 0, removed = 0;
};

TEST(SpoolCrash, EveryAcknowledgedAppendSurvivesKillNineExactlyOnceInOrder) {
    char tmpl[] = "/tmp/trib-spool-crash-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::mt19937 rng(std::random_device{}());
    Acked acked[2];
    uint64_t last_id[2] = {0, 0};
    constexpr int kCycles = 8;
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(fds[0]);
            child(dir, fds[1]);
        }
        ::close(fds[1]);
        // Let it run a random while (reading acks meanwhile so the pipe never fills), then kill.
        auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 250)(rng));
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
        std::string pending;
        auto drain = [&] {
            char buf[4096];
            ssize_t n;
            while ((n = ::read(fds[0], buf, sizeof buf)) > 0) pending.append(buf, size_t(n));
            size_t nl;
            while ((nl = pending.find('\n')) != std::string::npos) {
                char kind;
                int f;
                unsigned long long v;
                ASSERT_EQ(std::sscanf(pending.c_str(), "%c %d %llu", &kind, &f, &v), 3);
                auto& slot = kind == 'A' ? acked[f].appended : acked[f].removed;
                slot = std::max<uint64_t>(slot, v);
                pending.erase(0, nl + 1);
            }
        };
        while (std::chrono::steady_clock::now() < until) {
            drain();
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
        ::fcntl(fds[0], F_SETFL, 0);
        drain();
        ::close(fds[0]);

        auto s = Spool::open(options(dir));
        ASSERT_TRUE(s) << s.error().message;
        for (int f = 0; f < 2; ++f) {
            auto e = (*s)->peek(kFlows[f], 0, SIZE_MAX, SIZE_MAX);
            ASSERT_TRUE(e) << e.error().message;
            auto c = (*s)->checkpoint(std::string("cp/") + kFlows[f]);
            ASSERT_TRUE(c);
            uint64_t checkpoint = *c ? std::stoull(**c) : 0;
            // The checkpoint covers every acknowledged append (a call the kill cut short may
            // have committed too: then its records are there as well).
            EXPECT_GE(checkpoint, acked[f].appended) << "cycle " << cycle << " flow " << f;
            if (e->empty()) {
                EXPECT_EQ((*s)->stats(kFlows[f]).records, 0u);
                continue;
            }
            // A contiguous run of numbers ending at the checkpoint: nothing lost, nothing twice.
            uint64_t first = std::stoull(e->front().data);
            for (size_t i = 0; i < e->size(); ++i) {
                ASSERT_EQ((*e)[i].data, std::to_string(first + i)) << "cycle " << cycle;
                if (i) {
                    ASSERT_GT((*e)[i].id, (*e)[i - 1].id) << "ids out of order";
                }
            }
            EXPECT_EQ(first + e->size() - 1, checkpoint) << "cycle " << cycle << " flow " << f;
            EXPECT_GT(first, acked[f].removed) << "an acknowledged removal came back";
            EXPECT_EQ((*s)->stats(kFlows[f]).records, e->size());
            EXPECT_GE(e->back().id, last_id[f]) << "ids must keep growing across restarts";
            last_id[f] = e->back().id;
        }
    }
    // The kills must have landed on a busy writer for the checks above to mean anything.
    EXPECT_GT(acked[0].appended, 10u);
    EXPECT_GT(acked[1].removed, 0u);
    std::printf("acknowledged: appends f0=%llu f1=%llu, removals up to f0=%llu f1=%llu\n",
                static_cast<unsigned long long>(acked[0].appended),
                static_cast<unsigned long long>(acked[1].appended),
                static_cast<unsigned long long>(acked[0].removed),
                static_cast<unsigned long long>(acked[1].removed));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tributary::agent::buffer
