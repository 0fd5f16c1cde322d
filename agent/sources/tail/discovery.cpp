// Finding files: the initial scan with checkpoint matching, later rescans, rotation detection.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

#include "agent/sources/tail/tail_impl.h"
#include "shared/log/log.h"

namespace tributary::agent::sources::tail {
namespace {

using Identity = std::pair<uint64_t, uint64_t>;

int64_t mtime_ns(const struct stat& st) {
    return int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Where a file found at open() without a checkpoint starts when reading from the end: after
// its last complete line, so a line being written at that moment is read whole.
uint64_t end_start(int fd, uint64_t size, std::vector<char>& buf) {
    if (size == 0) return 0;
    uint64_t from = size > buf.size() ? size - buf.size() : 0;
    ssize_t n = ::pread(fd, buf.data(), size_t(size - from), off_t(from));
    if (n <= 0) return size;
    for (ssize_t i = n - 1; i >= 0; --i)
        if (buf[size_t(i)] == '\n') return from + uint64_t(i) + 1;
    return from == 0 ? 0 : size;
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

Tracked::~Tracked() {
    if (fd >= 0) ::close(fd);
}

std::string make_key(uint64_t dev, uint64_t ino, uint64_t fp) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%llu:%llu:%016llx", static_cast<unsigned long long>(dev),
                  static_cast<unsigned long long>(ino), static_cast<unsigned long long>(fp));
    return buf;
}

bool position_matches(int fd, const struct stat& st, const Position& p) {
    if (uint64_t(st.st_dev) != p.dev || uint64_t(st.st_ino) != p.ino) return false;
    uint64_t size = uint64_t(st.st_size);
    if (size < p.offset || size < p.fingerprint_bytes) return false;
    uint64_t h = 0;
    if (!hash_range(fd, 0, p.fingerprint_bytes, h) || h != p.fingerprint) return false;
    if (p.marker_bytes > 0 &&
        (!hash_range(fd, p.offset - p.marker_bytes, p.marker_bytes, h) || h != p.marker))
        return false;
    return true;
}

Tracked* Tail::Impl::find(uint64_t dev, uint64_t ino) {
    for (auto& t : files)
        if (t->dev == dev && t->ino == ino) return t.get();
    return nullptr;
}

Tracked& Tail::Impl::add(int fd, const struct stat& st, const std::string& path,
                         uint64_t offset, Clock::time_point now) {
    auto t = std::make_unique<Tracked>(fcfg, offset);
    t->fd = fd;
    t->path = path;
    t->dev = uint64_t(st.st_dev);
    t->ino = uint64_t(st.st_ino);
    t->seq = next_seq++;
    t->size = uint64_t(st.st_size);
    t->mtime_ns = mtime_ns(st);
    t->last_growth = now;
    t->fp = fnv1a64({});
    refresh_fingerprint(*t);
    t->key = make_key(t->dev, t->ino, t->fp);
    ++counters.files_opened;
    TRIB_LOG(info, "tail_file_opened").kv("path", path).kv("offset", offset).kv("size", t->size);
    files.push_back(std::move(t));
    return *files.back();
}

// Continues a file from a restored Position; false (and the descriptor untouched) when the
// file is not the one the Position was taken from.
bool Tail::Impl::adopt(int fd, const struct stat& st, const std::string& path, const Position& p,
                       Clock::time_point now) {
    if (!position_matches(fd, st, p)) {
        ++counters.inode_reuses;
        TRIB_LOG(warn, "tail_checkpoint_mismatch")
            .kv("path", path)
            .kv("checkpoint_path", p.path)
            .kv("offset", p.offset)
            .kv("reason", "inode reused or file rewritten; reading from 0");
        return false;
    }
    auto t = std::make_unique<Tracked>(fcfg, p.offset);
    t->fd = fd;
    t->path = path;
    t->dev = p.dev;
    t->ino = p.ino;
    t->key = p.key;
    t->seq = next_seq++;
    t->fp_bytes = p.fingerprint_bytes;
    t->fp = p.fingerprint;
    t->marker_bytes = p.marker_bytes;
    t->marker = p.marker;
    t->marker_at = p.offset;
    t->size = uint64_t(st.st_size);
    t->mtime_ns = mtime_ns(st);
    t->last_growth = now;
    refresh_fingerprint(*t);
    ++counters.files_opened;
    TRIB_LOG(info, "tail_file_resumed").kv("path", path).kv("offset", p.offset).kv("size", t->size);
    files.push_back(std::move(t));
    return true;
}

void Tail::Impl::initial_scan(std::vector<Position> restored, Clock::time_point now) {
    auto scan = glob.scan();
    if (watcher && !watcher->sync(scan.watch_dirs)) degraded = true;
    std::map<std::string, int> problems_now;
    for (auto& [p, e] : scan.problems) problems_now[p] = e;

    // Oldest first, so rotated generations are read before their successors.
    struct Found {
        std::string path;
        struct stat st;
    };
    std::vector<Found> found;
    std::set<Identity> seen;
    for (auto& path : scan.files) {
        Found f{path, {}};
        if (::stat(path.c_str(), &f.st) != 0 || !S_ISREG(f.st.st_mode)) continue;
        if (!seen.insert({f.st.st_dev, f.st.st_ino}).second) continue;  // hard/sym links
        found.push_back(std::move(f));
    }
    std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
        return mtime_ns(a.st) < mtime_ns(b.st);
    });

    std::vector<bool> used(restored.size(), false);
    auto restored_for = [&](const struct stat& st) -> int {
        for (size_t i = 0; i < restored.size(); ++i)
            if (!used[i] && restored[i].dev == uint64_t(st.st_dev) &&
                restored[i].ino == uint64_t(st.st_ino))
                return int(i);
        return -1;
    };

    for (auto& f : found) {
        int r = restored_for(f.st);
        int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            problems_now[f.path] = errno;
            if (r >= 0) {  // keep its checkpoint until the file can be opened
                held.push_back(restored[size_t(r)]);
                used[size_t(r)] = true;
            }
            continue;
        }
        struct stat st;
        if (::fstat(fd, &st) != 0 || st.st_dev != f.st.st_dev || st.st_ino != f.st.st_ino) {
            ::close(fd);  // replaced while we looked; the next rescan sees the new one
            dirty = true;
            continue;
        }
        if (r >= 0) {
            used[size_t(r)] = true;
            if (adopt(fd, st, f.path, restored[size_t(r)], now)) continue;
            orphans.push_back(restored[size_t(r)]);
            add(fd, st, f.path, 0, now);  // new content since the checkpoint
            continue;
        }
        uint64_t offset = opt.start_at_beginning ? 0 : end_start(fd, uint64_t(st.st_size), buf);
        add(fd, st, f.path, offset, now);
    }

    // Checkpoints of files that left the glob while we were down (rotated to a name the glob
    // does not match): look for them in their old directory, by identity.
    for (size_t i = 0; i < restored.size(); ++i) {
        if (used[i]) continue;
        const Position& p = restored[i];
        bool resumed = false;
        std::string dir = dir_of(p.path);
        if (DIR* d = ::opendir(dir.c_str())) {
            while (dirent* e = ::readdir(d)) {
                if (e->d_ino != p.ino) continue;
                std::string path = dir == "/" ? "/" + std::string(e->d_name)
                                              : dir + "/" + e->d_name;
                int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                struct stat st;
                if (fd < 0) continue;
                if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !find(p.dev, p.ino) &&
                    position_matches(fd, st, p) && adopt(fd, st, path, p, now)) {
                    files.back()->gone = true;
                    resumed = true;
                    break;
                }
                ::close(fd);
            }
            ::closedir(d);
        }
        if (!resumed) {
            TRIB_LOG(info, "tail_checkpoint_orphaned").kv("path", p.path).kv("offset", p.offset);
            orphans.push_back(p);
        }
    }
    // Rotated files found in their old directory are older than what the glob matches now;
    // at equal timestamps (coarse clocks) the one that left the glob goes first.
    std::stable_sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return std::pair(a->mtime_ns, !a->gone) < std::pair(b->mtime_ns, !b->gone);
    });
    for (size_t i = 0; i < files.size(); ++i) files[i]->seq = i;
    had_files = !files.empty() || !held.empty();
    if (!had_files) TRIB_LOG(info, "tail_no_files").kv("pattern", glob.pattern());
    note_problems(std::move(problems_now));
    last_rescan = now;
}

void Tail::Impl::rescan(Clock::time_point now) {
    auto scan = glob.scan();
    if (watcher) {
        bool complete = watcher->sync(scan.watch_dirs);
        if (complete == degraded) {
            degraded = !complete;
            TRIB_LOG(warn, degraded ? "tail_inotify_limit" : "tail_inotify_restored")
                .kv("pattern", glob.pattern())
                .kv("fallback", degraded ? "polling" : "none");
        }
    }
    std::map<std::string, int> problems_now;
    for (auto& [p, e] : scan.problems) problems_now[p] = e;

    std::set<Identity> seen;
    for (auto& path : scan.files) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // vanished
        if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
        if (Tracked* t = find(uint64_t(st.st_dev), uint64_t(st.st_ino))) {
            if (t->path != path)
                TRIB_LOG(info, "tail_file_renamed").kv("from", t->path).kv("to", path);
            t->path = path;
            t->gone = false;
            continue;
        }
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            problems_now[path] = errno;
            continue;
        }
        struct stat fst;
        if (::fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
            ::close(fd);
            dirty = true;
            continue;
        }
        auto h = std::find_if(held.begin(), held.end(), [&](const Position& p) {
            return p.dev == uint64_t(st.st_dev) && p.ino == uint64_t(st.st_ino);
        });
        if (h != held.end()) {
            Position p = *h;
            held.erase(h);
            if (adopt(fd, fst, path, p, now)) continue;
            orphans.push_back(p);
        }
        if (auto off = copy_offset(fd, fst)) {
            TRIB_LOG(info, "tail_copy_detected").kv("path", path).kv("offset", *off);
            add(fd, fst, path, *off, now);
            continue;
        }
        add(fd, fst, path, 0, now);  // appeared after open(): read from its beginning
    }
    // A held checkpoint whose file is gone for good will never be matched: let it go.
    std::erase_if(held, [&](const Position& p) {
        if (seen.count({p.dev, p.ino})) return false;
        orphans.push_back(p);
        return true;
    });
    for (auto& t : files) {
        if (t->gone || seen.count({t->dev, t->ino})) continue;
        t->gone = true;
        ++counters.rotations;
        struct stat st;
        bool deleted = ::fstat(t->fd, &st) == 0 && st.st_nlink == 0;
        TRIB_LOG(info, deleted ? "tail_file_deleted" : "tail_file_rotated")
            .kv("path", t->path)
            .kv("offset", t->framer.committed());
    }
    bool has = !files.empty() || !held.empty();
    if (has != had_files) {
        had_files = has;
        if (!has) TRIB_LOG(info, "tail_no_files").kv("pattern", glob.pattern());
    }
    note_problems(std::move(problems_now));
    last_rescan = now;
    dirty = false;
}

// The copy step of copytruncate creates a new file that starts with the bytes of a file we
// follow (before or after its truncation). When the glob matches the copy too, reading it from
// 0 would duplicate everything already read; it continues where the original stood instead.
// Demands a full-size head fingerprint and the marker before the offset, so unrelated files
// that merely share a short header are not mistaken for copies.
std::optional<uint64_t> Tail::Impl::copy_offset(int fd, const struct stat& st) {
    for (auto& t : files) {
        for (const Position& p : {position_of(*t), t->before_truncation.value_or(Position{})}) {
            if (p.fingerprint_bytes < kFingerprintMax || p.offset == 0) continue;
            Position as_copy = p;
            as_copy.dev = uint64_t(st.st_dev);
            as_copy.ino = uint64_t(st.st_ino);
            if (position_matches(fd, st, as_copy)) return p.offset;
        }
    }
    return std::nullopt;
}

// Logs each unreadable path once when it becomes unreadable (or its error changes) and once
// when it recovers, however often it is retried.
void Tail::Impl::note_problems(std::map<std::string, int> now) {
    for (auto& [path, err] : now) {
        auto it = problems.find(path);
        if (it != problems.end() && it->second == err) continue;
        TRIB_LOG(warn, "tail_file_unreadable")
            .kv("path", path)
            .kv("error", std::strerror(err))
            .kv("retry", "on change or rescan");
    }
    for (auto& [path, err] : problems)
        if (!now.count(path)) TRIB_LOG(info, "tail_file_problem_cleared").kv("path", path);
    problems = std::move(now);
}

}  // namespace tributary::agent::sources::tail
