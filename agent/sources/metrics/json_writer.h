#pragma once
// JsonWriter: appends compact JSON to a caller-owned std::string, so one buffer is reused for
// every record. Strings are escaped and invalid UTF-8 (possible in mount points and device names)
// is replaced by U+FFFD, so the output always parses. Non-finite numbers are written as null.
//
// Not thread-safe; nesting deeper than 64 levels is a programming error (asserted).

#include <cstdint>
#include <string>
#include <string_view>

namespace tributary::agent::sources::metrics {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    // Writes the key of the next member of the current object.
    void key(std::string_view k);

    void string(std::string_view s);
    void u64(uint64_t v);
    void i64(int64_t v);
    // Rounded to `decimals` places, then printed in the shortest form that reads back the same.
    void number(double v, int decimals = 2);
    void boolean(bool v);
    // A value that is already valid compact JSON.
    void raw(std::string_view json);

    // key + value in one call, for the common case.
    void field(std::string_view k, std::string_view v) { key(k), string(v); }
    void field(std::string_view k, const char* v) { key(k), string(v); }
    void field_u64(std::string_view k, uint64_t v) { key(k), u64(v); }
    void field_number(std::string_view k, double v, int decimals = 2) {
        key(k), number(v, decimals);
    }
    void field_bool(std::string_view k, bool v) { key(k), boolean(v); }

private:
    void separate();  // the comma before a value or key, unless first in its container
    void escaped(std::string_view s);

    std::string& out_;
    uint64_t has_items_ = 0;  // bit d: the container at depth d already holds an item
    int depth_ = 0;
    bool after_key_ = false;
};

}  // namespace tributary::agent::sources::metrics
