#pragma once
// Watcher: inotify watches on the directories a Glob depends on.
//
// Watching directories (not files) is enough: a directory watch reports creations, renames and
// deletions of its entries and also writes to the files in it. Files rotated out of every
// watched directory are polled by Tail instead.
//
// Lifecycle: create() opens a non-blocking inotify descriptor, closed by the destructor.
// Not thread-safe.

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tributary::agent::sources::tail {

class Watcher {
public:
    // Null (and logged) when inotify cannot be used; the caller then polls.
    static std::unique_ptr<Watcher> create();
    ~Watcher();
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    int fd() const { return fd_; }

    // Makes the watch set equal to `dirs`. Returns false when the kernel's watch limit
    // (fs.inotify.max_user_watches) was hit: some directories are then not watched and the
    // caller must poll. Directories that vanished meanwhile are simply skipped.
    bool sync(const std::vector<std::string>& dirs);

    struct Events {
        bool structure = false;  // entries created, moved, deleted, chmod'ed, or queue overflow
        bool data = false;       // a file was written
    };
    // Reads every queued event without blocking.
    Events drain();

private:
    explicit Watcher(int fd) : fd_(fd) {}
    int fd_;
    std::map<std::string, int> by_path_;  // watched directory -> watch descriptor
    std::map<int, int> refs_;             // watch descriptor -> paths using it (bind mounts, links)
};

}  // namespace tributary::agent::sources::tail
