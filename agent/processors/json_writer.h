#pragma once
// A small streaming JSON writer for the processors' output, and the UTF-8 helpers it needs.
//
// Hand-written rather than nlohmann::json because it is on the per-record path: it appends to
// a caller's reusable buffer, builds no tree, and allocates nothing once the buffer has grown.
// Its output is always valid JSON, whatever the input bytes: each maximal invalid UTF-8
// sequence becomes U+FFFD (as Java's decoder, and so the Kinesis Agent, does) and control
// characters are escaped.
//
// COMPACT output is `{"a":"b","c":null}`. PRETTYPRINT follows Jackson's default pretty printer,
// which the Kinesis Agent uses: two-space indent, `"key" : value`, `{ }` for an empty object,
// arrays on one line as `[ "a", "b" ]`.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace tributary::agent::processors {

bool is_valid_utf8(std::string_view bytes);
// Appends `bytes` to `out` with each maximal invalid UTF-8 sequence replaced by U+FFFD.
void sanitize_utf8(std::string_view bytes, std::string& out);
// Appends `bytes` as a quoted JSON string (escaped, invalid UTF-8 replaced).
void append_json_string(std::string& out, std::string_view bytes);

class JsonWriter {
public:
    // `depth` is the nesting level the first value starts at (for a pre-rendered fragment that
    // is later inserted with raw()).
    JsonWriter(std::string& out, bool pretty, int depth = 0) : out_(out), pretty_(pretty), depth_(depth) {}

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    void key(std::string_view name);
    void string(std::string_view value);
    void null();
    // A value that is already JSON, rendered for this writer's mode and depth.
    void raw(std::string_view json);
    // A configuration value (metadata): objects keep nlohmann's (sorted) key order.
    void value(const nlohmann::json& v);

    int depth() const { return depth_; }

private:
    void before_value();
    void newline_indent();

    std::string& out_;
    bool pretty_;
    int depth_;
    // Bit d set: a value has been written at depth d (so the next needs a comma). Nesting in
    // our output is shallow; metadata deeper than 63 levels is refused when it is configured.
    uint64_t has_items_ = 0;
    uint64_t in_array_ = 0;
    bool after_key_ = false;
};

}  // namespace tributary::agent::processors
