#include "agent/processors/json_writer.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace tributary::agent::processors {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid there. Follows
// Unicode's table 3-7 (no overlongs, no surrogates, nothing above U+10FFFF); an invalid
// sequence is then replaced as a whole up to the byte where it went wrong ("maximal subpart").
size_t valid_sequence(const unsigned char* s, size_t n, size_t i, size_t* bad_len) {
    unsigned char c = s[i];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *bad_len = 1;
        return 0;
    }
    size_t k = 1;
    for (; k <= need; ++k) {
        if (i + k >= n) break;
        unsigned char b = s[i + k];
        if (b < lo || b > hi) break;
        lo = 0x80;
        hi = 0xBF;
    }
    if (k == need + 1) return k;
    *bad_len = k;
    return 0;
}

bool plain_ascii(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
    auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t n = bytes.size(), i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        size_t bad = 0;
        size_t len = valid_sequence(s, n, i, &bad);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

void sanitize_utf8(std::string_view bytes, std::string& out) {
    auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t n = bytes.size(), i = 0, run = 0;
    while (i < n) {
        size_t bad = 0;
        size_t len = s[i] < 0x80 ? 1 : valid_sequence(s, n, i, &bad);
        if (len > 0) {
            i += len;
            continue;
        }
        out.append(bytes.substr(run, i - run));
        out.append(kReplacement);
        i += bad;
        run = i;
    }
    out.append(bytes.substr(run));
}

void append_json_string(std::string& out, std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    size_t n = bytes.size(), i = 0, run = 0;
    out.reserve(out.size() + n + 2);
    out.push_back('"');
    while (i < n) {
        unsigned char c = s[i];
        if (plain_ascii(c)) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            size_t bad = 0;
            size_t len = valid_sequence(s, n, i, &bad);
            if (len > 0) {
                i += len;
                continue;
            }
            out.append(bytes.substr(run, i - run));
            out.append(kReplacement);
            i += bad;
            run = i;
            continue;
        }
        out.append(bytes.substr(run, i - run));
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            default: {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(esc, 6);
            }
        }
        ++i;
        run = i;
    }
    out.append(bytes.substr(run));
    out.push_back('"');
}

void JsonWriter::newline_indent() {
    out_.push_back('\n');
    out_.append(static_cast<size_t>(depth_) * 2, ' ');
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    uint64_t bit = uint64_t(1) << depth_;
    if (has_items_ & bit) {
        out_.push_back(',');
        if (pretty_) out_.push_back(' ');  // array items; object items go through key()
    } else if (pretty_ && (in_array_ & bit)) {
        out_.push_back(' ');
    }
    has_items_ |= bit;
}

void JsonWriter::begin_object() {
    before_value();
    out_.push_back('{');
    ++depth_;
    has_items_ &= ~(uint64_t(1) << depth_);
    in_array_ &= ~(uint64_t(1) << depth_);
}

void JsonWriter::end_object() {
    bool had = has_items_ & (uint64_t(1) << depth_);
    --depth_;
    if (pretty_) {
        if (had) {
            newline_indent();
        } else {
            out_.push_back(' ');
        }
    }
    out_.push_back('}');
}

void JsonWriter::begin_array() {
    before_value();
    out_.push_back('[');
    ++depth_;
    has_items_ &= ~(uint64_t(1) << depth_);
    in_array_ |= uint64_t(1) << depth_;
}

void JsonWriter::end_array() {
    --depth_;
    if (pretty_) out_.push_back(' ');
    out_.push_back(']');
}

void JsonWriter::key(std::string_view name) {
    uint64_t bit = uint64_t(1) << depth_;
    if (has_items_ & bit) out_.push_back(',');
    has_items_ |= bit;
    if (pretty_) newline_indent();
    append_json_string(out_, name);
    out_.append(pretty_ ? " : " : ":");
    after_key_ = true;
}

void JsonWriter::string(std::string_view value) {
    before_value();
    append_json_string(out_, value);
}

void JsonWriter::null() {
    before_value();
    out_.append("null");
}

void JsonWriter::raw(std::string_view json) {
    before_value();
    out_.append(json);
}

void JsonWriter::value(const nlohmann::json& v) {
    switch (v.type()) {
        case nlohmann::json::value_t::object:
            begin_object();
            for (auto it = v.begin(); it != v.end(); ++it) {
                key(it.key());
                value(it.value());
            }
            end_object();
            return;
        case nlohmann::json::value_t::array:
            begin_array();
            for (const auto& e : v) value(e);
            end_array();
            return;
        case nlohmann::json::value_t::string:
            string(v.get_ref<const std::string&>());
            return;
        case nlohmann::json::value_t::null:
        case nlohmann::json::value_t::discarded:
            null();
            return;
        default:  // numbers and booleans: nlohmann's rendering is valid JSON
            raw(v.dump());
            return;
    }
}

}  // namespace tributary::agent::processors
