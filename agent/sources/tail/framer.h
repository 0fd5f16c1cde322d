#pragma once
// Framer: turns the bytes of one file into records (lines or multi-line events), and knows the
// file offset a restart must resume from so that no record is lost or read twice.
//
// Bytes are fed in file order; a line is complete at '\n'. A record never includes its line
// ending: the '\n' and one '\r' before it (CRLF) are removed; every other byte, valid UTF-8 or
// not, passes through unchanged. Empty lines are records of zero bytes.
//
// Multi-line (a start pattern is set): a record is a line matching the pattern plus the
// non-matching lines after it, joined with '\n'. Lines before the first start line of a file
// form a record of their own rather than being dropped. A record is complete when the next
// start line arrives; Tail also completes it when the file has been quiet for a while
// (flush_pending()) or is finished (flush_all()).
//
// Records longer than max_record_bytes are cut to max_record_bytes - terminator bytes, the
// terminator is appended, and the rest of the line (or event) is skipped; memory per framer is
// bounded by about twice max_record_bytes (partial line + pending event).
//
// Not thread-safe; one per file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sources/tail/regex.h"

namespace tributary::agent::sources::tail {

struct FramerConfig {
    size_t skip_header_lines = 0;
    const Regex* start = nullptr;   // multi-line start pattern, or null
    const Regex* footer = nullptr;  // file footer pattern, or null
    std::string terminator = "\n";
    size_t max_record_bytes = 1 << 20;  // > terminator.size()
};

// The output budget of one Tail::read(), shared by all files: at most max_records records and
// max_bytes bytes, except that the first record always fits (so one huge record cannot stall).
class Sink {
public:
    Sink(size_t max_records, size_t max_bytes) : max_records_(max_records), max_bytes_(max_bytes) {}
    void target(std::vector<std::string>* records, uint64_t* truncated) {
        records_ = records;
        truncated_ = truncated;
    }
    bool fits(size_t bytes) const {
        return count_ < max_records_ && (count_ == 0 || bytes_ + bytes <= max_bytes_);
    }
    bool full() const { return count_ >= max_records_ || bytes_ >= max_bytes_; }
    void add(std::string record, bool truncated);

private:
    size_t max_records_, max_bytes_;
    size_t count_ = 0, bytes_ = 0;
    std::vector<std::string>* records_ = nullptr;
    uint64_t* truncated_ = nullptr;
};

class Framer {
public:
    // Starts at `offset`, which must be a line boundary; header lines are skipped only when
    // starting at 0.
    Framer(const FramerConfig& cfg, uint64_t offset);

    // Consumes `data`, the bytes at read_offset(), line by line into `sink`, and returns how
    // many bytes it consumed: fewer than data.size() when the sink is full or the footer was
    // reached. Unconsumed bytes must be fed again later.
    size_t feed(std::string_view data, Sink& sink);

    // Emits the pending multi-line record, if any. False when the sink had no room.
    bool flush_pending(Sink& sink);
    // End of a finished file: the partial last line becomes a record, then the pending one.
    bool flush_all(Sink& sink);

    // Forgets all state and starts again at `offset` (after a truncation).
    void reset(uint64_t offset);

    uint64_t committed() const;  // where a restart resumes: no record before it is pending
    uint64_t read_offset() const { return read_off_; }
    bool footer_reached() const { return footer_; }
    bool has_pending() const { return pending_active_; }
    bool has_partial_line() const { return carry_len_ > 0; }

private:
    bool line(std::string_view text, size_t len, uint64_t start, uint64_t end, Sink& sink);
    std::string cut(std::string_view text, size_t len) const;
    bool emit_pending(Sink& sink);

    const FramerConfig* cfg_;
    uint64_t read_off_ = 0;    // next byte to feed
    uint64_t line_start_ = 0;  // start of the incomplete line held in carry_
    uint64_t done_ = 0;        // end of the last line dealt with
    std::string carry_;        // the incomplete line, capped at max_record_bytes + 1
    size_t carry_len_ = 0;     // its real length
    char carry_last_ = 0;
    size_t header_left_ = 0;
    bool footer_ = false;
    std::string pending_;
    bool pending_active_ = false;
    bool pending_cut_ = false;
    uint64_t pending_start_ = 0;
};

}  // namespace tributary::agent::sources::tail
