#pragma once
// Helpers for the tail source's tests: a temporary directory, file writes that go through a
// real descriptor, and a bounded loop that drives a Tail the way the engine does.

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/sources/tail/tail.h"

namespace tributary::agent::sources::tail::testing {

class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "trib-tail-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) std::abort();
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

inline void append(const std::string& path, const std::string& data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, data.data(), data.size()), ssize_t(data.size()));
    ::close(fd);
}

inline void write_fd(int fd, const std::string& data) {
    ASSERT_EQ(::write(fd, data.data(), data.size()), ssize_t(data.size()));
}

inline Options options(const std::string& pattern) {
    Options o;
    o.pattern = pattern;
    o.start_at_beginning = true;
    o.poll_interval = std::chrono::milliseconds(10);
    o.rescan_interval = std::chrono::milliseconds(50);
    o.multi_line_flush = std::chrono::milliseconds(50);
    o.rotated_quiet = std::chrono::milliseconds(20);
    return o;
}

inline std::unique_ptr<Tail> open_tail(Options o, std::vector<Position> restored = {}) {
    auto t = Tail::open(std::move(o), std::move(restored));
    if (!t) ADD_FAILURE() << t.error().message;
    return t ? std::move(*t) : nullptr;
}

// What the engine would have stored: the records, and the last position per file key.
struct Collected {
    std::vector<std::string> records;
    std::vector<Batch> batches;
    std::map<std::string, Position> positions;
    uint64_t truncated = 0;
    size_t finished = 0;

    std::vector<Position> restored() const {
        std::vector<Position> out;
        for (auto& [k, p] : positions) out.push_back(p);
        return out;
    }
};

// Calls read() as the engine does (poll on wait_fd up to next_wakeup) until `want` records
// arrived (or, with want == 0, for `budget`), within `budget`.
inline void drive(Tail& tail, Collected& c, size_t want,
                  std::chrono::milliseconds budget = std::chrono::milliseconds(3000),
                  size_t max_records = 1000, size_t max_bytes = 16 << 20) {
    auto until = std::chrono::steady_clock::now() + budget;
    for (;;) {
        auto r = tail.read(max_records, max_bytes);
        EXPECT_TRUE(r.has_value());
        if (r) {
            for (auto& b : *r) {
                for (auto& rec : b.records) c.records.push_back(rec);
                c.truncated += b.truncated;
                if (b.finished) {
                    ++c.finished;
                    c.positions.erase(b.file_key);
                } else {
                    c.positions[b.file_key] = b.position;
                }
                c.batches.push_back(std::move(b));
            }
        }
        if (want > 0 && c.records.size() >= want) return;
        auto now = std::chrono::steady_clock::now();
        if (now >= until) return;
        auto wait = std::min(tail.next_wakeup(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(until - now));
        pollfd p{tail.wait_fd(), POLLIN, 0};
        ::poll(&p, tail.wait_fd() >= 0 ? 1 : 0, int(wait.count()));
    }
}

}  // namespace tributary::agent::sources::tail::testing
