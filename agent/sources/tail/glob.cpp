#include "agent/sources/tail/glob.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "agent/sources/tail/errc.h"

namespace tributary::agent::sources::tail {
namespace {

// Deeper trees than this under `**` are not searched: a guard against pathological
// directory structures, far beyond any log layout.
constexpr int kMaxDepth = 64;

std::string join(const std::string& dir, std::string_view name) {
    std::string p = dir;
    if (p.empty() || p.back() != '/') p += '/';
    p += name;
    return p;
}

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

bool is_dir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

// Lists `dir`'s entries (without . and ..); on failure records the problem and returns {}.
std::vector<std::pair<std::string, unsigned char>> list(const std::string& dir,
                                                        Glob::Scan& out) {
    std::vector<std::pair<std::string, unsigned char>> names;
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    if (!d) {
        if (errno != ENOENT && errno != ENOTDIR) out.problems.emplace_back(dir, errno);
        return names;
    }
    while (dirent* e = ::readdir(d.get())) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        names.emplace_back(std::string(n), e->d_type);
    }
    return names;
}

}  // namespace

bool Glob::compressed(std::string_view name) {
    for (std::string_view ext : {".gz", ".bz2", ".zip", ".xz", ".zst"})
        if (name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext)
            return true;
    return false;
}

Result<Glob> Glob::compile(std::string_view pattern) {
    if (pattern.empty()) return fail(errc::invalid_option, "file pattern is empty");
    if (pattern.front() != '/')
        return fail(errc::invalid_option,
                    "file pattern must be an absolute path: " + std::string(pattern));
    Glob g;
    g.pattern_ = std::string(pattern);
    for (std::string_view c : split(pattern)) {
        Kind k = Kind::literal;
        if (c == "**")
            k = Kind::globstar;
        else if (c.find_first_of("*?[\\") != std::string_view::npos)
            k = Kind::wildcard;
        // Consecutive `**` components match exactly what one does.
        if (k == Kind::globstar && !g.parts_.empty() && g.parts_.back().kind == Kind::globstar)
            continue;
        g.parts_.push_back({k, std::string(c)});
    }
    if (g.parts_.empty() || pattern.back() == '/')
        return fail(errc::invalid_option,
                    "file pattern names a directory, not files: " + std::string(pattern));
    if (g.parts_.back().kind == Kind::globstar) g.parts_.push_back({Kind::wildcard, "*"});
    return g;
}

Glob::Scan Glob::scan() const {
    Scan out;
    walk("/", 0, 0, out);
    std::sort(out.files.begin(), out.files.end());
    out.files.erase(std::unique(out.files.begin(), out.files.end()), out.files.end());
    std::sort(out.watch_dirs.begin(), out.watch_dirs.end());
    out.watch_dirs.erase(std::unique(out.watch_dirs.begin(), out.watch_dirs.end()),
                         out.watch_dirs.end());
    return out;
}

// Matches parts_[i..] below `dir`, which exists and is a directory.
void Glob::walk(const std::string& dir, size_t i, int depth, Scan& out) const {
    const Part& part = parts_[i];
    const bool last = i + 1 == parts_.size();
    switch (part.kind) {
        case Kind::literal: {
            std::string p = join(dir, part.text);
            if (last) {
                out.watch_dirs.push_back(dir);  // the file may appear, rotate or vanish
                if (!compressed(part.text) && is_file(p)) out.files.push_back(std::move(p));
            } else if (is_dir(p)) {
                walk(p, i + 1, depth, out);
            } else {
                out.watch_dirs.push_back(dir);  // wait for the directory to be created
            }
            return;
        }
        case Kind::wildcard: {
            out.watch_dirs.push_back(dir);
            for (auto& [name, type] : list(dir, out)) {
                if (::fnmatch(part.text.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
                std::string p = join(dir, name);
                if (last) {
                    if (!compressed(name) && is_file(p)) out.files.push_back(std::move(p));
                } else if (is_dir(p)) {
                    walk(p, i + 1, depth, out);
                }
            }
            return;
        }
        case Kind::globstar: globstar(dir, i, depth, out); return;
    }
}

void Glob::globstar(const std::string& dir, size_t i, int depth, Scan& out) const {
    out.watch_dirs.push_back(dir);  // new subdirectories must be searched too
    walk(dir, i + 1, depth, out);   // `**` as zero directories
    if (depth >= kMaxDepth) return;
    for (auto& [name, type] : list(dir, out)) {
        if (name[0] == '.') continue;
        std::string p = join(dir, name);
        bool dir_entry = type == DT_DIR;
        if (type == DT_UNKNOWN) {  // some file systems do not fill d_type
            struct stat st;
            dir_entry = ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (dir_entry) globstar(p, i, depth + 1, out);
    }
}

bool Glob::matches(std::string_view path) const {
    if (path.empty() || path.front() != '/') return false;
    auto comps = split(path);
    if (comps.empty() || compressed(comps.back())) return false;
    return match_from(comps, 0, 0);
}

bool Glob::match_from(const std::vector<std::string_view>& comps, size_t ci, size_t pi) const {
    if (pi == parts_.size()) return ci == comps.size();
    if (ci == comps.size()) return false;
    const Part& part = parts_[pi];
    if (part.kind == Kind::globstar) {
        // Zero directories, or swallow one (non-hidden) directory and stay on `**`; the last
        // component is always a file name, never swallowed.
        if (match_from(comps, ci, pi + 1)) return true;
        return ci + 1 < comps.size() && comps[ci][0] != '.' && match_from(comps, ci + 1, pi);
    }
    std::string c(comps[ci]);
    bool ok = part.kind == Kind::literal ? c == part.text
                                         : ::fnmatch(part.text.c_str(), c.c_str(), FNM_PERIOD) == 0;
    return ok && match_from(comps, ci + 1, pi + 1);
}

}  // namespace tributary::agent::sources::tail
