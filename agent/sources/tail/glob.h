#pragma once
// Glob: the file pattern of a tail source, compiled once and scanned repeatedly.
//
// Syntax: an absolute path whose components may hold fnmatch(3) wildcards (`*`, `?`, `[...]`,
// backslash escapes) in any component, directories included; a component that is exactly `**`
// matches zero or more directories. As in shells, wildcards do not match a leading dot, `**`
// does not enter hidden directories, and `**` does not follow symlinked directories (loops).
// A trailing `**` means "any file at any depth" (`/var/log/**` == `/var/log/**/*`).
// Files ending in .gz, .bz2, .zip, .xz or .zst never match: rotated archives are not logs.
//
// Immutable after compile(); scan() touches only the file system, so a Glob may be used from
// any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/result.h"

namespace tributary::agent::sources::tail {

class Glob {
public:
    // Errors: errc::invalid_option when the pattern is empty, not absolute, or names no file.
    static Result<Glob> compile(std::string_view pattern);

    struct Scan {
        std::vector<std::string> files;       // regular files that match, sorted, no duplicates
        std::vector<std::string> watch_dirs;  // directories whose changes can change `files`
        std::vector<std::pair<std::string, int>> problems;  // (path, errno) of unreadable dirs
    };
    Scan scan() const;

    // Whether `path` matches, by the pattern alone (no file-system access).
    bool matches(std::string_view path) const;

    static bool compressed(std::string_view name);
    const std::string& pattern() const { return pattern_; }

private:
    enum class Kind { literal, wildcard, globstar };
    struct Part {
        Kind kind;
        std::string text;
    };

    void walk(const std::string& dir, size_t i, int depth, Scan& out) const;
    void globstar(const std::string& dir, size_t i, int depth, Scan& out) const;
    bool match_from(const std::vector<std::string_view>& comps, size_t ci, size_t pi) const;

    std::string pattern_;
    std::vector<Part> parts_;
};

}  // namespace tributary::agent::sources::tail
