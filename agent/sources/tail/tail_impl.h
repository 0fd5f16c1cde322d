#pragma once
// Private to the tail source: the state behind Tail, shared by tail.cpp (reading) and
// discovery.cpp (finding, matching and opening files).

#include <sys/stat.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/sources/tail/framer.h"
#include "agent/sources/tail/glob.h"
#include "agent/sources/tail/position.h"
#include "agent/sources/tail/regex.h"
#include "agent/sources/tail/tail.h"
#include "agent/sources/tail/watcher.h"

namespace tributary::agent::sources::tail {

using Clock = std::chrono::steady_clock;
inline constexpr size_t kReadBuffer = 64 * 1024;

// One followed file, open by descriptor so that it can be read to its end after a rename or
// unlink.
struct Tracked {
    Tracked(const FramerConfig& cfg, uint64_t offset) : framer(cfg, offset) {}
    ~Tracked();
    Tracked(const Tracked&) = delete;
    Tracked& operator=(const Tracked&) = delete;

    int fd = -1;
    std::string path;
    uint64_t dev = 0, ino = 0;
    std::string key;
    uint64_t seq = 0;  // read order: older files first
    uint32_t fp_bytes = 0;
    uint64_t fp = 0;
    uint32_t marker_bytes = 0;
    uint64_t marker = 0;
    uint64_t marker_at = 0;  // the offset the marker ends at
    Framer framer;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    Clock::time_point last_growth;
    bool gone = false;  // no longer at a path matching the glob
    bool finished = false;
    std::optional<Position> before_truncation;  // to recognise the copy of a copytruncate
};

struct Tail::Impl {
    Options opt;
    Glob glob;
    std::optional<Regex> start_re, footer_re;
    FramerConfig fcfg;
    std::unique_ptr<Watcher> watcher;
    bool degraded = false;  // the inotify watch limit was hit: poll as well
    std::vector<std::unique_ptr<Tracked>> files;  // in seq order
    std::vector<Position> held;     // restored, file seen but not yet openable
    std::vector<Position> orphans;  // restored, no file: reported finished by the next read()
    uint64_t next_seq = 0;
    Clock::time_point last_rescan, last_read;
    bool dirty = false;  // a directory changed since the last rescan
    bool more = false;   // the last read() stopped on its budget
    bool had_files = true;
    std::map<std::string, int> problems;  // path -> errno, each logged once
    std::vector<char> buf;
    Counters counters;

    Impl(Options o, Glob g) : opt(std::move(o)), glob(std::move(g)) {}

    // discovery.cpp
    void initial_scan(std::vector<Position> restored, Clock::time_point now);
    void rescan(Clock::time_point now);
    Tracked* find(uint64_t dev, uint64_t ino);
    Tracked& add(int fd, const struct stat& st, const std::string& path, uint64_t offset,
                 Clock::time_point now);
    bool adopt(int fd, const struct stat& st, const std::string& path, const Position& p,
               Clock::time_point now);
    void note_problems(std::map<std::string, int> now);
    std::optional<uint64_t> copy_offset(int fd, const struct stat& st);

    // tail.cpp
    void read_file(Tracked& t, Sink& sink, Clock::time_point now);
    bool head_ok(Tracked& t, uint64_t size);
    bool truncated(Tracked& t, Sink& sink, Clock::time_point now, uint64_t size);
    void refresh_fingerprint(Tracked& t);
    Position position_of(Tracked& t);
};

// Whether `fd` (with stat `st`) is the file `p` was taken from: same identity, the same head
// bytes, the offset inside the file and the same bytes just before it.
bool position_matches(int fd, const struct stat& st, const Position& p);

std::string make_key(uint64_t dev, uint64_t ino, uint64_t fp);

}  // namespace tributary::agent::sources::tail
