#include "collector/api/validation.h"

#include <map>
#include <regex>

#include "collector/api/errc.h"
#include "collector/store/types.h"

namespace tributary::collector::api {
namespace {

bool name_chars(std::string_view s) {
    if (s.empty()) return false;  // '+' in [a-zA-Z0-9_.-]+
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool regex_match(std::string_view s, const char* re) {
    static thread_local std::map<const char*, std::regex> cache;
    auto it = cache.find(re);
    if (it == cache.end()) it = cache.emplace(re, std::regex(re)).first;
    return std::regex_match(s.begin(), s.end(), it->second);
}

}  // namespace

std::string_view pattern_text(Pattern p) {
    switch (p) {
        case Pattern::none: return "";
        case Pattern::name: return "[a-zA-Z0-9_.-]+";
        case Pattern::hash_key: return "0|([1-9]\\d{0,38})";
        case Pattern::sequence_number: return "0|([1-9]\\d{0,128})";
        case Pattern::stream_arn: return "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
        case Pattern::consumer_arn:
            return "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/"
                   "[a-zA-Z0-9_.-]+:[0-9]+";
        case Pattern::resource_arn: return "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+";
        case Pattern::key_id: return "";
    }
    return "";
}

bool matches(Pattern p, std::string_view v) {
    switch (p) {
        case Pattern::none:
        case Pattern::key_id: return true;
        case Pattern::name: return name_chars(v);
        case Pattern::hash_key: return store::is_hash_key_text(v);
        case Pattern::sequence_number: return store::is_sequence_number_text(v);
        case Pattern::stream_arn: return regex_match(v, "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
        case Pattern::consumer_arn:
            return regex_match(v,
                               "(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/"
                               "consumer\\/[a-zA-Z0-9_.-]+:[0-9]+.*");
        case Pattern::resource_arn: return regex_match(v, "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+");
    }
    return true;
}

size_t utf8_length(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

void Validator::clause(std::string value_repr, std::string_view path,
                       std::string_view constraint) {
    clauses_.push_back("Value " + value_repr + " at '" + std::string(path) +
                       "' failed to satisfy constraint: Member must " + std::string(constraint));
}

void Validator::required(std::string_view path, bool present) {
    if (!present) clause("null", path, "not be null");
}

void Validator::string(std::string_view path, const std::optional<std::string>& v,
                       const StringRule& r) {
    if (!v) {
        if (r.required) clause("null", path, "not be null");
        return;
    }
    std::string repr = "'" + *v + "'";
    size_t len = r.count_chars ? utf8_length(*v) : v->size();
    if (r.pattern != Pattern::none && r.pattern != Pattern::key_id && !matches(r.pattern, *v))
        clause(repr, path,
               "satisfy regular expression pattern: " + std::string(pattern_text(r.pattern)));
    if (len < r.min)
        clause(repr, path, "have length greater than or equal to " + std::to_string(r.min));
    if (len > r.max) clause(repr, path, "have length less than or equal to " + std::to_string(r.max));
}

void Validator::integer(std::string_view path, const std::optional<int64_t>& v, bool required,
                        std::optional<int64_t> min, std::optional<int64_t> max) {
    if (!v) {
        if (required) clause("null", path, "not be null");
        return;
    }
    // Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict, GCC bug 105329) about
    // "'" + std::to_string(...), which breaks Release builds under -Werror.
    std::string repr = "'";
    repr += std::to_string(*v);
    repr += '\'';
    if (min && *v < *min)
        clause(repr, path, "have value greater than or equal to " + std::to_string(*min));
    if (max && *v > *max)
        clause(repr, path, "have value less than or equal to " + std::to_string(*max));
}

void Validator::one_of(std::string_view path, const std::optional<std::string>& v, bool required,
                       std::initializer_list<std::string_view> values) {
    if (!v) {
        if (required) clause("null", path, "not be null");
        return;
    }
    for (auto a : values)
        if (a == *v) return;
    std::string set = "[";
    bool first = true;
    for (auto a : values) {
        if (!first) set += ", ";
        set += a;
        first = false;
    }
    set += "]";
    clause("'" + *v + "'", path, "satisfy enum value set: " + set);
}

Result<void> Validator::result() const {
    if (clauses_.empty()) {
        if (deferred_) return tl::unexpected(*deferred_);
        return {};
    }
    size_t n = clauses_.size();
    std::string msg = std::to_string(n) + " validation error" + (n == 1 ? "" : "s") +
                      " detected: ";
    for (size_t i = 0; i < n && i < 10; ++i) {
        if (i) msg += "; ";
        msg += clauses_[i];
    }
    return fail(errc::validation, std::move(msg));
}

}  // namespace tributary::collector::api
