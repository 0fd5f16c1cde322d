#include "agent/config/json_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>
#include <vector>

namespace tributary::agent::config::detail {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool plain_key(std::string_view key) {
    if (key.empty()) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

// nlohmann's parse_error text is "[json.exception.parse_error.101] parse error at line 3,
// column 14: syntax error while parsing ..."; keep the position and the reason.
std::string syntax_error_message(std::string_view file_name, const std::string& what) {
    std::string_view w = what;
    size_t at = w.find("line ");
    if (at != std::string_view::npos) {
        unsigned line = 0, column = 0;
        std::string_view rest = w.substr(at + 5);
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), line);
        std::string_view col_tag = ", column ";
        if (ec == std::errc() && std::string_view(p, col_tag.size()) == col_tag) {
            const char* c = p + col_tag.size();
            auto [q, ec2] = std::from_chars(c, rest.data() + rest.size(), column);
            if (ec2 == std::errc() && q < rest.data() + rest.size() && *q == ':') {
                std::string_view reason(q + 1, rest.data() + rest.size() - q - 1);
                if (!reason.empty() && reason.front() == ' ') reason.remove_prefix(1);
                return std::string(file_name) + ":" + std::to_string(line) + ":" +
                       std::to_string(column) + ": " + std::string(reason);
            }
        }
    }
    // Errors without a position (number overflow, ...): drop the "[json.exception...] " tag.
    size_t tag_end = w.find("] ");
    if (tag_end != std::string_view::npos) w.remove_prefix(tag_end + 2);
    return std::string(file_name) + ": invalid JSON: " + std::string(w);
}

// Follows the parse to name the path of the first duplicate key and to measure nesting.
class DuplicateKeyFinder {
public:
    bool on_event(nlohmann::json::parse_event_t event, const json& parsed) {
        using E = nlohmann::json::parse_event_t;
        switch (event) {
            case E::object_start:
            case E::array_start:
                frames_.push_back(Frame{event == E::object_start, {}, {}, 0});
                if (frames_.size() > kMaxJsonDepth) too_deep_ = true;
                break;
            case E::key: {
                Frame& f = frames_.back();
                std::string k = parsed.is_string() ? parsed.get<std::string>() : std::string();
                if (!f.keys.insert(k).second && !duplicate_)
                    duplicate_ = path_to_top() + "\x01" + k;
                f.last_key = std::move(k);
                break;
            }
            case E::object_end:
            case E::array_end:
                if (!frames_.empty()) frames_.pop_back();
                element_done();
                break;
            case E::value:
                element_done();
                break;
        }
        return true;  // keep everything: the DOM is needed whole
    }

    std::optional<std::string> duplicate_path() const {
        if (!duplicate_) return std::nullopt;
        size_t sep = duplicate_->find('\x01');
        return key_path(std::string_view(*duplicate_).substr(0, sep),
                        std::string_view(*duplicate_).substr(sep + 1));
    }
    bool too_deep() const { return too_deep_; }

private:
    struct Frame {
        bool is_object;
        std::set<std::string> keys;
        std::string last_key;
        size_t index;
    };

    void element_done() {
        if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
    }

    // The path of the innermost container (the one whose key repeats).
    std::string path_to_top() const {
        std::string path;
        for (size_t i = 0; i + 1 < frames_.size(); ++i) {
            const Frame& f = frames_[i];
            path = f.is_object ? key_path(path, f.last_key) : index_path(path, f.index);
        }
        return path;
    }

    std::vector<Frame> frames_;
    std::optional<std::string> duplicate_;
    bool too_deep_ = false;
};

}  // namespace

Result<json> parse_json(std::string_view text, std::string_view file_name) {
    DuplicateKeyFinder finder;
    json doc;
    try {
        doc = json::parse(
            text.begin(), text.end(),
            [&finder](int, json::parse_event_t event, json& parsed) {
                return finder.on_event(event, parsed);
            },
            /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const json::parse_error& e) {
        return fail(errc::invalid_json, syntax_error_message(file_name, e.what()));
    } catch (const json::exception& e) {
        return fail(errc::invalid_json, syntax_error_message(file_name, e.what()));
    }
    if (finder.too_deep()) {
        return fail(errc::invalid_json, std::string(file_name) + ": JSON nested deeper than " +
                                            std::to_string(kMaxJsonDepth) + " levels");
    }
    if (auto dup = finder.duplicate_path()) {
        return fail(errc::invalid_json, std::string(file_name) + ": " + *dup + ": duplicate key");
    }
    return doc;
}

std::string key_path(std::string_view parent, std::string_view key) {
    std::string out(parent);
    if (plain_key(key)) {
        if (!out.empty()) out += '.';
        out += key;
    } else {
        out += '[';
        out += json(std::string(key)).dump(-1, ' ', false, json::error_handler_t::replace);
        out += ']';
    }
    return out;
}

std::string index_path(std::string_view parent, size_t index) {
    return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string describe(const json& value) {
    switch (value.type()) {
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "an array";
        case json::value_t::null:
            return "null";
        case json::value_t::string: {
            const std::string& s = value.get_ref<const std::string&>();
            constexpr size_t kMax = 40;
            std::string shown =
                json(s.substr(0, kMax)).dump(-1, ' ', false, json::error_handler_t::replace);
            if (s.size() > kMax) shown.insert(shown.size() - 1, "...");
            return shown;
        }
        default:
            return value.dump();
    }
}

std::string_view suggest(std::string_view key, std::span<const std::string_view> candidates) {
    std::string_view best;
    size_t best_distance = 3;          // at most two edits
    if (key.size() > 64) return best;  // no key is that long; spare the quadratic distance
    std::string key_lower = lower(key);
    for (std::string_view c : candidates) {
        if (lower(c) == key_lower) return c;
        size_t d = edit_distance(key_lower, lower(c));
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

ObjectReader::ObjectReader(const json& object, std::string path, std::string_view file_name)
    : object_(object), path_(std::move(path)), file_name_(file_name) {}

Result<void> ObjectReader::only_keys(std::span<const std::string_view> known) const {
    for (const auto& [key, value] : object_.items()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string reason = "unknown key";
        std::string_view close = suggest(key, known);
        if (!close.empty()) reason += " (did you mean \"" + std::string(close) + "\"?)";
        return error(errc::unknown_key, key, reason);
    }
    return {};
}

bool ObjectReader::has(std::string_view key) const { return find(key) != nullptr; }

const json* ObjectReader::find(std::string_view key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

std::string ObjectReader::path(std::string_view key) const { return key_path(path_, key); }

tl::unexpected<Error> ObjectReader::error(errc code, std::string_view key,
                                          std::string_view reason) const {
    return error_at(code, path(key), reason);
}

tl::unexpected<Error> ObjectReader::error_at(errc code, std::string_view full_path,
                                             std::string_view reason) const {
    return fail(
        code, std::string(file_name_) + ": " + std::string(full_path) + ": " + std::string(reason));
}

Result<std::optional<int64_t>> ObjectReader::integer(std::string_view key, int64_t lo,
                                                     int64_t hi) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    auto range_error = [&](std::string_view got) {
        std::string reason =
            hi == std::numeric_limits<int64_t>::max()
                ? "must be at least " + std::to_string(lo)
                : "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
        return error(errc::out_of_range, key, reason + ", got " + std::string(got));
    };
    int64_t n = 0;
    if (v->is_number_unsigned()) {
        uint64_t u = v->get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return range_error(std::to_string(u));
        }
        n = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
        n = v->get<int64_t>();
    } else if (v->is_string()) {
        const std::string& s = v->get_ref<const std::string&>();
        // from_chars takes a leading '-' but not '+'.
        std::string_view digits = s;
        if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
        std::string_view unsigned_part = digits;
        if (digits.data() == s.data() && !digits.empty() && digits.front() == '-') {
            unsigned_part.remove_prefix(1);
        }
        bool ok =
            !unsigned_part.empty() && std::all_of(unsigned_part.begin(), unsigned_part.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
        if (ok) {
            auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
            if (ec == std::errc::result_out_of_range) return range_error(s);
            ok = ec == std::errc() && p == digits.data() + digits.size();
        }
        if (!ok) return error(errc::wrong_type, key, "must be an integer, got " + describe(*v));
    } else {
        return error(errc::wrong_type, key, "must be an integer, got " + describe(*v));
    }
    if (n < lo || n > hi) return range_error(std::to_string(n));
    return n;
}

Result<std::optional<bool>> ObjectReader::boolean(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>();
    std::string word;
    if (v->is_string()) word = lower(v->get_ref<const std::string&>());
    if (v->is_number_integer()) word = v->dump();
    if (word == "true" || word == "yes" || word == "t" || word == "y" || word == "1") return true;
    if (word == "false" || word == "no" || word == "f" || word == "n" || word == "0") return false;
    return error(errc::wrong_type, key, "must be true or false, got " + describe(*v));
}

Result<std::optional<std::string>> ObjectReader::string(std::string_view key, bool secret) const {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_string()) return v->get<std::string>();
    std::string got = secret && !v->is_null() ? std::string("a ") + v->type_name() : describe(*v);
    return error(errc::wrong_type, key, "must be a string, got " + got);
}

Result<std::optional<size_t>> ObjectReader::one_of(std::string_view key,
                                                   std::span<const std::string_view> names) const {
    TRIB_TRY(std::optional<std::string> s, string(key));
    if (!s) return std::nullopt;
    for (size_t i = 0; i < names.size(); ++i) {
        if (*s == names[i]) return i;
    }
    std::string list;
    for (size_t i = 0; i < names.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ");
        list += names[i];
    }
    return error(errc::invalid_value, key, "must be " + list + ", got " + describe(json(*s)));
}

Result<void> read_ignored(const ObjectReader& r, std::span<const IgnoredKey> keys,
                          std::vector<std::string>& notices) {
    for (const IgnoredKey& k : keys) {
        if (!r.has(k.name)) continue;
        switch (k.kind) {
            case Kind::integer:
                TRIB_TRY_VOID(r.integer(k.name, k.lo, k.hi));
                break;
            case Kind::boolean:
                TRIB_TRY_VOID(r.boolean(k.name));
                break;
            case Kind::string:
                TRIB_TRY_VOID(r.string(k.name));
                break;
        }
        add_notice(notices, r, k.name, "ignored: " + std::string(k.why));
    }
    return {};
}

void add_notice(std::vector<std::string>& notices, const ObjectReader& r, std::string_view key,
                std::string_view text) {
    notices.push_back(std::string(r.file_name()) + ": " + r.path(key) + ": " + std::string(text));
}

}  // namespace tributary::agent::config::detail
