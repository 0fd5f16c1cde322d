#include "agent/processors/rfc5424.h"

#include <vector>

#include "agent/processors/json_writer.h"

namespace tributary::agent::processors {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_print(char c) { return c >= 33 && c <= 126; }
// SD-NAME: PRINTUSASCII except '=', SP, ']', '"'.
bool is_sd_name_char(char c) { return is_print(c) && c != '=' && c != ']' && c != '"'; }

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}
    bool done() const { return i_ >= s_.size(); }
    char peek() const { return s_[i_]; }
    bool eat(char c) {
        if (done() || s_[i_] != c) return false;
        ++i_;
        return true;
    }
    // A run of PRINTUSASCII of 1..max characters, ended by SP or the end.
    bool token(size_t max, std::string_view& out) {
        size_t b = i_;
        while (!done() && is_print(s_[i_])) ++i_;
        if (i_ == b || i_ - b > max) return false;
        out = s_.substr(b, i_ - b);
        return true;
    }
    size_t pos() const { return i_; }
    void seek(size_t i) { i_ = i; }
    std::string_view rest() const { return s_.substr(i_); }
    std::string_view slice(size_t b) const { return s_.substr(b, i_ - b); }

private:
    std::string_view s_;
    size_t i_ = 0;
};

bool digits(std::string_view s, size_t at, size_t n) {
    if (at + n > s.size()) return false;
    for (size_t k = 0; k < n; ++k) {
        if (!is_digit(s[at + k])) return false;
    }
    return true;
}

// FULL-DATE "T" FULL-TIME, as RFC 5424 §6.2.3 restricts RFC 3339 (fractions up to 6 digits;
// we accept up to 9, as some senders write nanoseconds).
bool valid_timestamp(std::string_view t) {
    if (t == "-") return true;
    if (!(digits(t, 0, 4) && t.size() > 10 && t[4] == '-' && digits(t, 5, 2) && t[7] == '-' &&
          digits(t, 8, 2) && (t[10] == 'T' || t[10] == 't') && digits(t, 11, 2) && t.size() > 18 &&
          t[13] == ':' && digits(t, 14, 2) && t[16] == ':' && digits(t, 17, 2))) {
        return false;
    }
    size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        size_t b = ++i;
        while (i < t.size() && is_digit(t[i])) ++i;
        if (i == b || i - b > 9) return false;
    }
    if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) return i + 1 == t.size();
    return i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && digits(t, i + 1, 2) &&
           t[i + 3] == ':' && digits(t, i + 4, 2);
}

// One [SD-ID *(SP PARAM-NAME="value")] element starting at '['; leaves the cursor after ']'.
bool sd_element(Cursor& c) {
    if (!c.eat('[')) return false;
    size_t n = 0;
    while (!c.done() && is_sd_name_char(c.peek()) && c.peek() != ' ') {
        c.seek(c.pos() + 1);
        ++n;
    }
    if (n == 0 || n > 32) return false;
    while (c.eat(' ')) {
        n = 0;
        while (!c.done() && is_sd_name_char(c.peek())) {
            c.seek(c.pos() + 1);
            ++n;
        }
        if (n == 0 || n > 32 || !c.eat('=') || !c.eat('"')) return false;
        // PARAM-VALUE: '"', '\' and ']' are escaped with '\'; an unescaped ']' inside the
        // quotes is unambiguous, and common in the wild, so it is accepted.
        while (true) {
            if (c.done()) return false;
            char ch = c.peek();
            c.seek(c.pos() + 1);
            if (ch == '"') break;
            if (ch == '\\' && !c.done()) c.seek(c.pos() + 1);
        }
    }
    return c.eat(']');
}

void unescape(std::string_view v, std::string& out) {
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == ']')) {
            ++i;
        }
        out.push_back(v[i]);
    }
}

using Params = std::vector<std::pair<std::string_view, std::string_view>>;

// Splits one validated element's inside ("id a=\"1\" b=\"2\"") into its id and params.
std::string_view split_element(std::string_view inside, Params& params) {
    params.clear();
    size_t sp = inside.find(' ');
    std::string_view id = inside.substr(0, sp);
    size_t i = sp == std::string_view::npos ? inside.size() : sp;
    while (i < inside.size()) {
        ++i;  // the SP
        size_t eq = inside.find('=', i);
        std::string_view name = inside.substr(i, eq - i);
        size_t b = eq + 2, e = b;
        while (inside[e] != '"') e += inside[e] == '\\' ? 2 : 1;
        params.push_back({name, inside.substr(b, e - b)});
        i = e + 1;
    }
    return id;
}

}  // namespace

bool parse_rfc5424(std::string_view line, Rfc5424& out, std::string_view& why,
                   Rfc5424Scratch& scratch) {
    why = "not RFC 5424 syslog";
    Cursor c(line);
    size_t b = c.pos();
    if (!c.eat('<')) return false;
    size_t n = 0;
    while (!c.done() && is_digit(c.peek()) && n < 4) {
        c.seek(c.pos() + 1);
        ++n;
    }
    if (n == 0 || n > 3) return false;
    out.priority = line.substr(b + 1, n);
    int pri = 0;
    for (char ch : out.priority) pri = pri * 10 + (ch - '0');
    if (pri > 191 || !c.eat('>')) return false;
    b = c.pos();
    while (!c.done() && is_digit(c.peek())) c.seek(c.pos() + 1);
    out.version = c.slice(b);
    if (out.version.empty() || out.version.size() > 3 || out.version[0] == '0' || !c.eat(' ')) {
        return false;
    }
    if (!c.token(48, out.timestamp) || !valid_timestamp(out.timestamp) || !c.eat(' ')) return false;
    if (!c.token(255, out.hostname) || !c.eat(' ')) return false;
    if (!c.token(48, out.appname) || !c.eat(' ')) return false;
    if (!c.token(128, out.procid) || !c.eat(' ')) return false;
    if (!c.token(32, out.msgid) || !c.eat(' ')) return false;
    b = c.pos();
    if (c.eat('-')) {
        out.structured_data = "-";
    } else {
        if (c.done() || c.peek() != '[') return false;
        while (!c.done() && c.peek() == '[') {
            if (!sd_element(c)) {
                why = "malformed RFC 5424 structured data";
                return false;
            }
        }
        out.structured_data = c.slice(b);
        // RFC 5424 §6.3.2: an SD-ID must not repeat; two equal JSON keys would be ambiguous.
        Params& params = scratch.params;
        std::vector<std::string_view>& ids = scratch.ids;
        ids.clear();
        std::string_view sd = out.structured_data;
        for (size_t i = 0; i < sd.size();) {
            size_t e = i + 1;
            while (sd[e] != ']') {
                if (sd[e] == '"') {
                    ++e;
                    while (sd[e] != '"') e += sd[e] == '\\' ? 2 : 1;
                }
                ++e;
            }
            std::string_view id = split_element(sd.substr(i + 1, e - i - 1), params);
            for (auto seen : ids) {
                if (seen == id) {
                    why = "RFC 5424 structured data repeats an SD-ID";
                    return false;
                }
            }
            ids.push_back(id);
            i = e + 1;
        }
    }
    out.has_message = false;
    out.message = {};
    if (!c.done()) {
        if (!c.eat(' ')) return false;
        out.has_message = true;
        out.message = c.rest();
        if (out.message.substr(0, 3) == "\xEF\xBB\xBF") out.message.remove_prefix(3);
    }
    return true;
}

void write_structured_data(std::string_view sd, JsonWriter& w, Rfc5424Scratch& scratch) {
    if (sd == "-") {
        w.null();
        return;
    }
    Params& params = scratch.params;
    w.begin_object();
    for (size_t i = 0; i < sd.size();) {
        size_t e = i + 1;
        while (sd[e] != ']') {
            if (sd[e] == '"') {
                ++e;
                while (sd[e] != '"') e += sd[e] == '\\' ? 2 : 1;
            }
            ++e;
        }
        std::string_view id = split_element(sd.substr(i + 1, e - i - 1), params);
        w.key(id);
        w.begin_object();
        for (size_t p = 0; p < params.size(); ++p) {
            bool earlier = false, later = false;
            for (size_t q = 0; q < params.size(); ++q) {
                if (q != p && params[q].first == params[p].first) (q < p ? earlier : later) = true;
            }
            if (earlier) continue;  // written with its first occurrence
            w.key(params[p].first);
            if (!later) {
                unescape(params[p].second, scratch.value);
                w.string(scratch.value);
                continue;
            }
            w.begin_array();
            for (size_t q = p; q < params.size(); ++q) {
                if (params[q].first != params[p].first) continue;
                unescape(params[q].second, scratch.value);
                w.string(scratch.value);
            }
            w.end_array();
        }
        w.end_object();
        i = e + 1;
    }
    w.end_object();
}

}  // namespace tributary::agent::processors
