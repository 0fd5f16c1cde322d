#pragma once
// Structured logging: one event per line, `key=value` pairs, to stderr (journald and logrotate
// both handle it). Thread-safe; each line is written with a single write(2).
//
//   TRIB_LOG(info, "stream_created").kv("stream", name).kv("shards", n);

#include <atomic>
#include <sstream>
#include <string>
#include <string_view>

namespace tributary::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);

class Line {
public:
    Line(Level level, std::string_view event);
    ~Line();
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;

    template <class V>
    Line& kv(std::string_view key, const V& value) {
        if (!active_) return *this;
        std::ostringstream os;
        os << value;
        return raw(key, os.str());
    }
    Line& kv(std::string_view key, std::string_view value) { return raw(key, value); }
    Line& kv(std::string_view key, const std::string& value) { return raw(key, value); }
    Line& kv(std::string_view key, const char* value) { return raw(key, value); }

private:
    Line& raw(std::string_view key, std::string_view value);
    bool active_;
    std::string buf_;
};

}  // namespace tributary::log

#define TRIB_LOG(lvl, event) ::tributary::log::Line(::tributary::log::Level::lvl, event)
