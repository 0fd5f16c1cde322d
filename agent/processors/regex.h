#pragma once
// A compiled PCRE2 pattern with JIT, plus the per-user match state.
//
// PCRE2 rather than std::regex: its syntax is close to Java's java.util.regex (which the
// Kinesis Agent's users wrote their matchPattern and delimiter for), it JIT-compiles, and it
// is an order of magnitude faster. Thread-compatible: one Regex per processor, used by one
// thread (the match data is reused between calls, so matching allocates nothing).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "shared/result.h"

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace tributary::agent::processors {

class Regex {
public:
    enum class Mode {
        // Bytes are matched as bytes; any input, valid UTF-8 or not, can be matched. For our
        // built-in, ASCII-delimited patterns this gives the same result as Java's char matching.
        bytes,
        // Java-like: the pattern and the subject are code points (`.` is one character). A
        // subject that is not valid UTF-8 is matched as Java would see it: with each invalid
        // sequence replaced by U+FFFD (see match()).
        utf,
    };
    struct Options {
        Mode mode = Mode::bytes;
        bool whole = false;  // Java's Matcher.matches(): the pattern must span the whole subject
    };

    Regex();
    ~Regex();
    Regex(Regex&&) noexcept;
    Regex& operator=(Regex&&) noexcept;

    // Errors: errc::invalid_pattern, with PCRE2's message and the offset of the fault.
    static Result<Regex> compile(std::string_view pattern, Options opts);

    size_t capture_count() const { return captures_; }

    // The bytes to match: `subject` itself, or in utf mode, if it is not valid UTF-8, a copy
    // (owned by this Regex, valid until the next prepare()) with U+FFFD for invalid sequences.
    std::string_view prepare(std::string_view subject);
    // Searches a prepare()d subject from byte `start`. On a match, group(i) is valid until
    // the next call.
    bool match(std::string_view prepared, size_t start = 0);
    // Group i (0 = whole match) of the last match; unset() for a group that did not take part.
    bool is_set(size_t i) const;
    std::string_view group(size_t i) const;
    size_t group_begin(size_t i) const;
    size_t group_end(size_t i) const;

private:
    struct CodeFree {
        void operator()(pcre2_real_code_8* p) const;
    };
    struct MatchDataFree {
        void operator()(pcre2_real_match_data_8* p) const;
    };
    std::unique_ptr<pcre2_real_code_8, CodeFree> code_;
    std::unique_ptr<pcre2_real_match_data_8, MatchDataFree> md_;
    size_t captures_ = 0;
    Mode mode_ = Mode::bytes;
    std::string_view subject_;
    std::string sanitized_;
};

}  // namespace tributary::agent::processors
