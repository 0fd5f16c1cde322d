#pragma once
// Just enough JSON for reading Kinesis answers in a load loop: find a key's value by scanning,
// without building a document. Correct for the flat, machine-written answers of PutRecords,
// GetRecords and friends, whose keys never occur inside string values (base64 has no quotes);
// not a general parser.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tributary::bench {

// Offset of the first byte of the value of the first `"key":` at or after `from`; npos if none.
inline size_t json_value_pos(std::string_view body, std::string_view key, size_t from = 0) {
    for (;;) {
        size_t k = body.find(key, from);
        if (k == std::string_view::npos) return k;
        size_t end = k + key.size();
        from = end;
        if (k == 0 || body[k - 1] != '"' || end >= body.size() || body[end] != '"') continue;
        size_t p = end + 1;
        while (p < body.size() && (body[p] == ' ' || body[p] == '\n' || body[p] == '\r' ||
                                   body[p] == '\t'))
            ++p;
        if (p >= body.size() || body[p] != ':') continue;
        ++p;
        while (p < body.size() && (body[p] == ' ' || body[p] == '\n' || body[p] == '\t')) ++p;
        return p;
    }
}

inline std::optional<int64_t> json_int(std::string_view body, std::string_view key) {
    size_t p = json_value_pos(body, key);
    if (p == std::string_view::npos) return std::nullopt;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(body.data() + p, body.data() + body.size(), v);
    if (ec != std::errc()) return std::nullopt;
    return v;
}

// The raw (still escaped) contents of a string value starting at `p` (at its opening quote);
// `next` is set past the closing quote.
inline std::optional<std::string_view> json_raw_string_at(std::string_view body, size_t p,
                                                          size_t* next = nullptr) {
    if (p >= body.size() || body[p] != '"') return std::nullopt;
    size_t q = p + 1;
    for (;;) {  // memchr to the next quote; it closes the string unless escaped
        q = body.find('"', q);
        if (q == std::string_view::npos) return std::nullopt;
        size_t slashes = 0;
        while (q - slashes > p + 1 && body[q - slashes - 1] == '\\') ++slashes;
        if (slashes % 2 == 0) break;
        ++q;
    }
    if (next) *next = q + 1;
    return body.substr(p + 1, q - p - 1);
}

// The unescaped value of a string field (simple escapes only: \" \\ \/).
inline std::optional<std::string> json_string(std::string_view body, std::string_view key) {
    size_t p = json_value_pos(body, key);
    if (p == std::string_view::npos) return std::nullopt;
    auto raw = json_raw_string_at(body, p);
    if (!raw) return std::nullopt;
    std::string out;
    out.reserve(raw->size());
    for (size_t i = 0; i < raw->size(); ++i) {
        char c = (*raw)[i];
        if (c == '\\' && i + 1 < raw->size()) c = (*raw)[++i];
        out += c;
    }
    return out;
}

// A string as a JSON string literal, quotes included.
inline std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace tributary::bench
