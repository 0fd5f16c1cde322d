#pragma once
// Helpers for reading /proc and /sys: a whole-file reader that reuses one buffer, a log-once
// tracker for files that fail, and allocation-free parsing of numbers and tokens.
//
// Not thread-safe: one Metrics instance owns one of each and samples from one thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::agent::sources::metrics {

class FileReader {
public:
    FileReader() { buf_.reserve(16 * 1024); }
    // The whole file, valid until the next read(); nullopt on failure with errno in last_errno().
    // /proc files report size 0, so this reads until EOF rather than trusting stat().
    std::optional<std::string_view> read(const std::string& path);
    int last_errno() const { return errno_; }

private:
    std::string buf_;
    int errno_ = 0;
};

// Remembers which sources are failing so a failure is logged once, not once per sample: a
// warning when a source starts failing, repeated at most every 10 minutes while it keeps
// failing, and an info line when it recovers.
class Problems {
public:
    void set_now(uint64_t now_ms) { now_ms_ = now_ms; }
    void fail(std::string_view source, std::string_view detail);
    void ok(std::string_view source) {
        if (!failing_.empty()) recovered(source);
    }
    bool failing(std::string_view source) const { return failing_.find(source) != failing_.end(); }

private:
    void recovered(std::string_view source);
    std::map<std::string, uint64_t, std::less<>> failing_;  // source -> when last logged
    uint64_t now_ms_ = 0;
};

// Splits text into lines (without the '\n'); false when nothing is left.
bool next_line(std::string_view& rest, std::string_view& line);
// Splits a line into tokens separated by spaces or tabs; false when nothing is left.
bool next_token(std::string_view& rest, std::string_view& token);

bool parse_u64(std::string_view s, uint64_t& out);
bool parse_i64(std::string_view s, int64_t& out);
bool parse_double(std::string_view s, double& out);
// Hexadecimal with an optional 0x prefix, as /sys prints bit masks.
bool parse_hex(std::string_view s, uint64_t& out);
std::string_view trim(std::string_view s);

// Counter delta that never goes negative: a counter that went backwards (a 32-bit wrap, a
// device or interface re-created) gives nullopt, and its rate is left out for that interval.
inline std::optional<uint64_t> delta(uint64_t now, uint64_t before) {
    if (now < before) return std::nullopt;
    return now - before;
}

}  // namespace tributary::agent::sources::metrics
