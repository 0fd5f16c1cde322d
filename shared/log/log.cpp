#include "shared/log/log.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

namespace tributary::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};

const char* name(Level l) {
    switch (l) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
    }
    return "info";
}

bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
    return false;
}
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }
bool enabled(Level l) { return static_cast<int>(l) >= g_level.load(std::memory_order_relaxed); }

Line::Line(Level lvl, std::string_view event) : active_(enabled(lvl)) {
    if (!active_) return;
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    buf_.reserve(128);
    buf_ += "ts=";
    buf_ += ts;
    buf_ += " level=";
    buf_ += name(lvl);
    buf_ += " event=";
    buf_ += event;
}

Line& Line::raw(std::string_view key, std::string_view value) {
    if (!active_) return *this;
    buf_ += ' ';
    buf_ += key;
    buf_ += '=';
    if (!needs_quotes(value)) {
        buf_ += value;
        return *this;
    }
    buf_ += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') {
            buf_ += '\\';
            buf_ += c;
        } else if (c == '\n') {
            buf_ += "\\n";
        } else if (static_cast<unsigned char>(c) < 0x20) {
            buf_ += ' ';
        } else {
            buf_ += c;
        }
    }
    buf_ += '"';
    return *this;
}

Line::~Line() {
    if (!active_) return;
    buf_ += '\n';
    // One write so concurrent lines never interleave.
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, buf_.data(), buf_.size());
}

}  // namespace tributary::log
