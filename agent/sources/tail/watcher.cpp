#include "agent/sources/tail/watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "shared/log/log.h"

namespace tributary::agent::sources::tail {
namespace {
constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                           IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
}

std::unique_ptr<Watcher> Watcher::create() {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        TRIB_LOG(warn, "tail_inotify_unavailable").kv("error", std::strerror(errno));
        return nullptr;
    }
    return std::unique_ptr<Watcher>(new Watcher(fd));
}

Watcher::~Watcher() { ::close(fd_); }

bool Watcher::sync(const std::vector<std::string>& dirs) {
    std::set<std::string> want(dirs.begin(), dirs.end());
    for (auto it = by_path_.begin(); it != by_path_.end();) {
        if (want.count(it->first)) {
            ++it;
            continue;
        }
        if (--refs_[it->second] == 0) {
            ::inotify_rm_watch(fd_, it->second);  // fails harmlessly if the kernel dropped it
            refs_.erase(it->second);
        }
        it = by_path_.erase(it);
    }
    bool complete = true;
    for (const auto& d : want) {
        if (by_path_.count(d)) continue;
        int wd = ::inotify_add_watch(fd_, d.c_str(), kMask);
        if (wd < 0) {
            if (errno == ENOSPC || errno == ENOMEM) complete = false;
            continue;  // vanished or unreadable directories are reported by the scan
        }
        by_path_[d] = wd;
        ++refs_[wd];
    }
    return complete;
}

Watcher::Events Watcher::drain() {
    Events ev;
    alignas(inotify_event) char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n;) {
            auto* e = reinterpret_cast<const inotify_event*>(buf + i);
            if (e->mask & IN_MODIFY) ev.data = true;
            if (e->mask & ~uint32_t(IN_MODIFY)) ev.structure = true;
            if (e->mask & IN_IGNORED) {
                // The kernel dropped this watch (directory deleted): forget it so the next
                // sync() adds it again if the directory comes back.
                for (auto it = by_path_.begin(); it != by_path_.end();)
                    it = it->second == e->wd ? by_path_.erase(it) : std::next(it);
                refs_.erase(e->wd);
            }
            i += ssize_t(sizeof(inotify_event) + e->len);
        }
    }
    return ev;
}

}  // namespace tributary::agent::sources::tail
