#pragma once
// Internal to agent/config: strict JSON parsing and typed reads whose errors name the file and
// the key path. Not part of the module's API.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/errc.h"
#include "shared/result.h"

namespace tributary::agent::config::detail {

using nlohmann::json;

// Objects and arrays nested deeper than this are refused: no agent.json needs it, and
// nlohmann's copy and dump recurse.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses JSON as the Kinesis Agent does (Jackson with ALLOW_COMMENTS: `//` and `/* */` are
// allowed) and, unlike it, refuses duplicate keys, which Jackson resolves silently to the last.
// Errors: invalid_json with "<file>:<line>:<column>: <reason>" for syntax errors, or
// "<file>: <path>: duplicate key" / "<file>: JSON nested deeper than 64 levels".
Result<json> parse_json(std::string_view text, std::string_view file_name);

// "flows[1]" + "maxBufferAgeMillis" -> "flows[1].maxBufferAgeMillis"; keys that are not plain
// (spaces, quotes, control bytes, empty) are written as ["..."] in JSON escaping.
std::string key_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, size_t index);

// A value as a message shows it: 50, true, null, "text" (cut after 40 bytes), an object, ...
std::string describe(const json& value);

// The closest of `candidates` to `key` (same letters in another case, or at most two edits),
// or empty.
std::string_view suggest(std::string_view key, std::span<const std::string_view> candidates);

// Typed reads from one JSON object. Absent keys read as nullopt; present ones must have the
// type (null is a wrong type, not "absent"). Every error is "<file>: <path>: <reason>".
class ObjectReader {
public:
    ObjectReader(const json& object, std::string path, std::string_view file_name);

    // unknown_key naming the first key (in sorted order) not in `known`, with a suggestion.
    Result<void> only_keys(std::span<const std::string_view> known) const;

    bool has(std::string_view key) const;
    const json* find(std::string_view key) const;
    std::string path(std::string_view key) const;
    const std::string& path() const { return path_; }
    std::string_view file_name() const { return file_name_; }
    tl::unexpected<Error> error(errc code, std::string_view key, std::string_view reason) const;
    // The same for a path below this object, already joined (e.g. "flows[0].metrics[2]").
    tl::unexpected<Error> error_at(errc code, std::string_view full_path,
                                   std::string_view reason) const;

    // A JSON integer or a string of decimal digits with an optional sign (the Kinesis Agent
    // converts strings with Integer.decode/Long.decode). Errors: wrong_type, out_of_range.
    Result<std::optional<int64_t>> integer(std::string_view key, int64_t lo, int64_t hi) const;
    // true/false, or the Kinesis Agent's words (true/yes/t/y/1, false/no/f/n/0, any case) as a
    // string or the numbers 1/0. Errors: wrong_type.
    Result<std::optional<bool>> boolean(std::string_view key) const;
    // A JSON string. `secret` keeps the value out of error messages. Errors: wrong_type.
    Result<std::optional<std::string>> string(std::string_view key, bool secret = false) const;
    // A string equal to one of `names`; returns its index. Errors: wrong_type, invalid_value.
    Result<std::optional<size_t>> one_of(std::string_view key,
                                         std::span<const std::string_view> names) const;

private:
    const json& object_;
    std::string path_;
    std::string_view file_name_;
};

// A Kinesis Agent key that is accepted, checked, and otherwise ignored, with the reason the
// notice gives.
enum class Kind { integer, boolean, string };
struct IgnoredKey {
    std::string_view name;
    Kind kind;
    int64_t lo;  // integers only
    int64_t hi;
    std::string_view why;
};

// For each of `keys` present in `r`: type- and range-check it, then append
// "<file>: <path>: ignored: <why>" to `notices`. Errors: as the typed reads.
Result<void> read_ignored(const ObjectReader& r, std::span<const IgnoredKey> keys,
                          std::vector<std::string>& notices);

// "<file>: <path>: <text>", the shape of every notice.
void add_notice(std::vector<std::string>& notices, const ObjectReader& r, std::string_view key,
                std::string_view text);

}  // namespace tributary::agent::config::detail
