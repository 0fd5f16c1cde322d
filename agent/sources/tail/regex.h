#pragma once
// Regex: a PCRE2 pattern (Java-like syntax, JIT-compiled where the CPU allows) matched at the
// start of a line, like Java's Matcher.lookingAt() that the Kinesis Agent uses for
// multiLineStartPattern. Subjects are raw bytes: invalid UTF-8 never makes a match fail with an
// error, it simply does not match a UTF-8 character.
//
// Not thread-safe: the match data is reused between calls. One instance per reader.

#include <memory>
#include <string>
#include <string_view>

#include "shared/result.h"

namespace tributary::agent::sources::tail {

class Regex {
public:
    // Errors: errc::invalid_option with PCRE2's message and the offset of the problem.
    static Result<Regex> compile(std::string_view pattern);

    Regex(Regex&&) noexcept;
    Regex& operator=(Regex&&) noexcept;
    ~Regex();

    // Whether the pattern matches a prefix of `line`.
    bool looking_at(std::string_view line) const;

private:
    struct Impl;
    explicit Regex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::agent::sources::tail
