#include "agent/sources/metrics/proc_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "shared/log/log.h"

namespace tributary::agent::sources::metrics {

std::optional<std::string_view> FileReader::read(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno_ = errno;
        return std::nullopt;
    }
    size_t used = 0;
    buf_.resize(buf_.capacity());
    for (;;) {
        if (used == buf_.size()) buf_.resize(buf_.size() * 2);
        const ssize_t n = ::read(fd, buf_.data() + used, buf_.size() - used);
        if (n < 0) {
            if (errno == EINTR) continue;
            errno_ = errno;
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        used += static_cast<size_t>(n);
    }
    ::close(fd);
    return std::string_view(buf_.data(), used);
}

namespace {
constexpr uint64_t relog_after_ms = 10 * 60 * 1000;
}

void Problems::fail(std::string_view source, std::string_view detail) {
    auto it = failing_.find(source);
    if (it != failing_.end()) {
        if (now_ms_ - it->second < relog_after_ms) return;
        it->second = now_ms_;
    } else {
        failing_.emplace(std::string(source), now_ms_);
    }
    TRIB_LOG(warn, "metrics_source_unavailable").kv("source", source).kv("detail", detail);
}

void Problems::recovered(std::string_view source) {
    auto it = failing_.find(source);
    if (it == failing_.end()) return;
    failing_.erase(it);
    TRIB_LOG(info, "metrics_source_recovered").kv("source", source);
}

bool next_line(std::string_view& rest, std::string_view& line) {
    if (rest.empty()) return false;
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
        line = rest;
        rest = {};
    } else {
        line = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
    }
    return true;
}

bool next_token(std::string_view& rest, std::string_view& token) {
    size_t b = 0;
    while (b < rest.size() && (rest[b] == ' ' || rest[b] == '\t')) ++b;
    if (b == rest.size()) {
        rest = {};
        return false;
    }
    size_t e = b;
    while (e < rest.size() && rest[e] != ' ' && rest[e] != '\t') ++e;
    token = rest.substr(b, e - b);
    rest.remove_prefix(e);
    return true;
}

bool parse_u64(std::string_view s, uint64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_i64(std::string_view s, int64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_double(std::string_view s, double& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_hex(std::string_view s, uint64_t& out) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    auto r = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace tributary::agent::sources::metrics
