#include "agent/sources/metrics/json_writer.h"

#include <charconv>
#include <cmath>

#include "shared/result.h"

namespace tributary::agent::sources::metrics {

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (depth_ > 0) {
        const uint64_t bit = uint64_t(1) << (depth_ - 1);
        if (has_items_ & bit) out_.push_back(',');
        has_items_ |= bit;
    }
}

void JsonWriter::begin_object() {
    separate();
    TRIB_ASSERT(depth_ < 64, "JSON nesting too deep");
    out_.push_back('{');
    ++depth_;
    has_items_ &= ~(uint64_t(1) << (depth_ - 1));
}

void JsonWriter::end_object() {
    --depth_;
    out_.push_back('}');
}

void JsonWriter::begin_array() {
    separate();
    TRIB_ASSERT(depth_ < 64, "JSON nesting too deep");
    out_.push_back('[');
    ++depth_;
    has_items_ &= ~(uint64_t(1) << (depth_ - 1));
}

void JsonWriter::end_array() {
    --depth_;
    out_.push_back(']');
}

void JsonWriter::key(std::string_view k) {
    separate();
    escaped(k);
    out_.push_back(':');
    after_key_ = true;
}

void JsonWriter::string(std::string_view s) {
    separate();
    escaped(s);
}

void JsonWriter::u64(uint64_t v) {
    separate();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
}

void JsonWriter::i64(int64_t v) {
    separate();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
}

void JsonWriter::number(double v, int decimals) {
    separate();
    if (!std::isfinite(v)) {
        out_.append("null");
        return;
    }
    const double scale = std::pow(10.0, decimals);
    double rounded = std::round(v * scale) / scale;
    if (rounded == 0) rounded = 0;  // no "-0"
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, rounded);
    out_.append(buf, r.ptr);
}

void JsonWriter::boolean(bool v) {
    separate();
    out_.append(v ? "true" : "false");
}

void JsonWriter::raw(std::string_view json) {
    separate();
    out_.append(json);
}

namespace {
// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_length(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}
}  // namespace

void JsonWriter::escaped(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out_.push_back('"');
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const size_t n = utf8_length(s, i);
            if (n == 0) {
                out_.append("\\ufffd");
                ++i;
            } else {
                out_.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"':
                out_.append("\\\"");
                break;
            case '\\':
                out_.append("\\\\");
                break;
            case '\n':
                out_.append("\\n");
                break;
            case '\t':
                out_.append("\\t");
                break;
            case '\r':
                out_.append("\\r");
                break;
            default:
                if (c < 0x20) {
                    out_.append("\\u00");
                    out_.push_back(hex[c >> 4]);
                    out_.push_back(hex[c & 0xF]);
                } else {
                    out_.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out_.push_back('"');
}

}  // namespace tributary::agent::sources::metrics
