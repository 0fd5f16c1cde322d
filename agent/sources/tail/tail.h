#pragma once
// Tail: the `tail` source. Finds files by glob, follows them across rotation and truncation, and
// hands the engine records together with the file position reached.
//
// Exactly-once hand-off: every Batch carries the Position after its records. The engine stores
// the records and the encoded Position in ONE spool transaction (keyed by Batch::file_key) and
// gives the stored Positions back to open() after a restart, so a crash neither loses nor
// re-reads a line. Apply batches in the order returned; a `finished` batch means "store these
// records, then delete this key's checkpoint".
//
// Lifecycle: open() scans the glob once and opens the files; read() is called whenever
// wait_fd() is readable or next_wakeup() has passed; the destructor closes every descriptor.
// Durability: Tail keeps no state on disk; Positions are its only durable output.
// Thread-safety: none; one engine thread owns a Tail.
// Memory: one shared 64 KiB read buffer, the records of the current read() (bounded by
// max_bytes), and per open file at most about 2 × max_record_bytes (a partial line and a
// pending multi-line record). Files are never read whole.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/sources/tail/errc.h"
#include "agent/sources/tail/position.h"
#include "shared/result.h"

namespace tributary::agent::sources::tail {

struct Options {
    // Absolute glob: * ? [..] in any path component, ** = any depth of directories.
    std::string pattern;
    // initialPosition START_OF_FILE. Applies to files that exist at open() and have no
    // checkpoint; files that appear later are always read from their beginning.
    bool start_at_beginning = false;
    // PCRE2 regex (Java-like), matched at the start of each line: a record is a matching line
    // plus the non-matching lines after it.
    std::optional<std::string> multi_line_start_pattern;
    size_t skip_header_lines = 0;  // per file, from its beginning
    // Reading of a file stops at the first line matching this (the line is not a record).
    std::optional<std::string> file_footer_pattern;
    std::string truncated_record_terminator = "\n";
    size_t max_record_bytes = 1 << 20;  // longer records: cut, terminator appended, counted
    std::chrono::milliseconds poll_interval{100};       // minTimeBetweenFilePollsMillis
    std::chrono::milliseconds rescan_interval{10'000};  // maxTimeBetweenFileTrackerRefreshMillis
    // A pending multi-line record is emitted once its file has been quiet this long.
    std::chrono::milliseconds multi_line_flush{1000};
    // A file that left the glob (rotated away, deleted) is let go once it has been read to its
    // end and has not grown for this long: writers that still hold it open get to finish.
    std::chrono::milliseconds rotated_quiet{1000};
    bool use_inotify = true;  // false: poll only (also the automatic fallback)
};

struct Batch {
    std::string file_key;              // stable key of the file's identity, for the checkpoint
    std::vector<std::string> records;  // complete records in file order (no line ending)
    Position position;                 // where the next read of this file starts
    bool finished = false;  // the file is done: store the records, then delete the checkpoint
    uint64_t truncated = 0;  // records cut to max_record_bytes in this batch
};

class Tail {
public:
    // `restored`: Positions saved earlier, matched to files by identity (dev, ino and the
    // fingerprint). Restored Positions that match no file come back from the first read() as
    // empty finished batches so the engine can drop them.
    // Errors: errc::invalid_option for a bad pattern, regex, or max_record_bytes not larger
    // than the terminator.
    static Result<std::unique_ptr<Tail>> open(Options o, std::vector<Position> restored);
    ~Tail();
    Tail(const Tail&) = delete;
    Tail& operator=(const Tail&) = delete;

    // Reads what is available now, at most `max_records` records and `max_bytes` bytes in total
    // (a single record larger than max_bytes is still returned alone). Never blocks on I/O
    // waits. Batches with no records are returned only when a file is finished. Problems with
    // single files are logged and retried, so the only errors are none today; the Result is
    // kept for the engine's uniform handling.
    Result<std::vector<Batch>> read(size_t max_records, size_t max_bytes);

    // inotify descriptor to poll() for reading (readable = something changed), or -1 when
    // polling only.
    int wait_fd() const;
    // How long the engine may wait before calling read() at the latest (0: data is waiting).
    std::chrono::milliseconds next_wakeup() const;

    struct FileStats {
        std::string path;
        uint64_t offset = 0;  // committed position
        uint64_t size = 0;    // bytes behind = size - offset
    };
    std::vector<FileStats> stats() const;

    struct Counters {
        uint64_t files_opened = 0;
        uint64_t files_finished = 0;
        uint64_t rotations = 0;      // files that left the glob (renamed away or deleted)
        uint64_t truncations = 0;    // copytruncate and refills: re-read from 0
        uint64_t inode_reuses = 0;   // a checkpoint's inode now holds other content
        uint64_t records_truncated = 0;
    };
    const Counters& counters() const;

private:
    struct Impl;
    explicit Tail(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::agent::sources::tail
