// CSVTOJSON: splits a record at `delimiter` (a Java regex, default ",") and writes a JSON object
// of customFieldNames -> column, as the Kinesis Agent's CSVToJSONDataConverter does:
// - Java's String.split semantics: trailing empty columns are dropped (so "a,b,," has two
//   columns), a zero-width match at the start makes no leading empty column;
// - columns beyond customFieldNames are ignored, missing ones are null;
// - ignoredFieldNames are left out; encodedFieldNames are replaced by the upper-case hex MD5
//   of their value (a record whose encoded field is missing fails, as Java's NPE does).
// No quoting: like the Java agent, "a,\"b,c\"" is three columns.

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "agent/processors/json_writer.h"
#include "agent/processors/processor_internal.h"
#include "agent/processors/regex.h"
#include "shared/crypto/digest.h"

namespace tributary::agent::processors {
namespace {

enum class FieldUse { keep, ignore, encode };

class CsvToJson final : public Processor {
public:
    CsvToJson(std::vector<std::string> names, std::vector<FieldUse> uses, std::optional<char> fast,
              std::optional<Regex> regex, bool pretty)
        : names_(std::move(names)),
          uses_(std::move(uses)),
          fast_(fast),
          regex_(std::move(regex)),
          pretty_(pretty) {}

    bool apply(std::string_view in, std::string& out, std::string_view& why) override {
        bool had_newline;
        std::string_view body = strip_newline(in, had_newline);
        if (fast_) {
            split_char(body);
        } else {
            split_regex(regex_->prepare(body));
        }
        // Validate before writing: a failed record leaves `out` for the chain to discard, but
        // checking first keeps the work bounded.
        for (size_t i = 0; i < names_.size(); ++i) {
            if (uses_[i] == FieldUse::encode && i >= cols_.size()) {
                why = "an encodedFieldNames column is missing";
                return false;
            }
        }
        JsonWriter w(out, pretty_);
        w.begin_object();
        for (size_t i = 0; i < names_.size(); ++i) {
            if (uses_[i] == FieldUse::ignore) continue;
            w.key(names_[i]);
            if (i >= cols_.size()) {
                w.null();
            } else if (uses_[i] == FieldUse::encode) {
                w.string(md5_upper_hex(cols_[i]));
            } else {
                w.string(cols_[i]);
            }
        }
        w.end_object();
        if (had_newline) out.push_back('\n');
        return true;
    }

private:
    void split_char(std::string_view s) {
        cols_.clear();
        size_t pos = 0;
        while (true) {
            size_t d = s.find(*fast_, pos);
            if (d == std::string_view::npos) break;
            cols_.push_back(s.substr(pos, d - pos));
            pos = d + 1;
        }
        finish_split(s, pos);
    }

    void split_regex(std::string_view s) {
        cols_.clear();
        size_t pos = 0, search = 0;
        while (search <= s.size() && regex_->match(s, search)) {
            size_t b = regex_->group_begin(0), e = regex_->group_end(0);
            if (e == b) {
                // Java's find() resumes one character after an empty match, and a zero-width
                // match at index 0 does not split.
                if (b > 0 && b < s.size()) {
                    cols_.push_back(s.substr(pos, b - pos));
                    pos = b;
                }
                search = b + char_len(s, b);
                continue;
            }
            cols_.push_back(s.substr(pos, b - pos));
            pos = e;
            search = e;
        }
        finish_split(s, pos);
    }

    void finish_split(std::string_view s, size_t pos) {
        if (cols_.empty()) {  // no delimiter at all: the whole record is the one column
            cols_.push_back(s);
            return;
        }
        cols_.push_back(s.substr(pos));
        while (!cols_.empty() && cols_.back().empty()) cols_.pop_back();
    }

    static size_t char_len(std::string_view s, size_t i) {
        if (i >= s.size()) return 1;
        size_t n = 1;
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
        return n;
    }

    std::string_view md5_upper_hex(std::string_view v) {
        static constexpr char hex[] = "0123456789ABCDEF";
        auto d = crypto::md5_bytes(v);
        hex_.resize(32);
        for (size_t i = 0; i < d.size(); ++i) {
            hex_[2 * i] = hex[d[i] >> 4];
            hex_[2 * i + 1] = hex[d[i] & 15];
        }
        return hex_;
    }

    std::vector<std::string> names_;
    std::vector<FieldUse> uses_;
    std::optional<char> fast_;
    std::optional<Regex> regex_;
    bool pretty_;
    std::vector<std::string_view> cols_;
    std::string hex_;
};

// Java's String.split skips the regex engine for a one-character delimiter that is not a
// regex metacharacter, or a backslash-escaped non-alphanumeric one; so do we.
std::optional<char> literal_delimiter(std::string_view d) {
    static constexpr std::string_view kMeta = ".$|()[{^?*+\\";
    if (d.size() == 1 && kMeta.find(d[0]) == std::string_view::npos) return d[0];
    if (d.size() == 2 && d[0] == '\\' && static_cast<unsigned char>(d[1]) < 0x80 &&
        !std::isalnum(static_cast<unsigned char>(d[1]))) {
        return d[1];
    }
    return std::nullopt;
}

constexpr OptionSpec kOptions[] = {
    {"customFieldNames", OptionType::string_list, "", "required: the JSON key of each column"},
    {"delimiter", OptionType::string, ",", "a Java-style regex between columns"},
    {"ignoredFieldNames", OptionType::string_list, "[]", "columns left out of the output"},
    {"encodedFieldNames", OptionType::string_list, "[]",
     "columns replaced by the upper-case hex MD5 of their value"},
    {"jsonFormat", OptionType::string, "COMPACT", "COMPACT or PRETTYPRINT"},
};

Result<Made> make(const Options& opts, const Context&) {
    if (!opts.has("customFieldNames")) return opts.error("customFieldNames", "required");
    TRIB_TRY(std::vector<std::string> names_list, opts.string_list("customFieldNames"));
    auto* names = &names_list;
    if (names->empty()) return opts.error("customFieldNames", "must name at least one column");
    for (size_t i = 0; i < names->size(); ++i) {
        if (std::find(names->begin(), names->begin() + i, (*names)[i]) != names->begin() + i) {
            return opts.error("customFieldNames", "duplicate field name '" + (*names)[i] + "'");
        }
    }
    std::vector<FieldUse> uses(names->size(), FieldUse::keep);
    auto mark = [&](std::string_view key, FieldUse use) -> Result<void> {
        TRIB_TRY(auto list, opts.string_list(key));
        for (const auto& n : list) {
            auto it = std::find(names->begin(), names->end(), n);
            // Java ignores unknown ignoredFieldNames, so we do too; an unknown or ignored
            // encodedFieldNames entry would fail every record there, so it is refused here.
            if (it == names->end()) {
                if (use == FieldUse::ignore) continue;
                return opts.error(key, "'" + n + "' is not in customFieldNames");
            }
            FieldUse& u = uses[static_cast<size_t>(it - names->begin())];
            if (u != FieldUse::keep && u != use) {
                return opts.error(key, "'" + n + "' is also in ignoredFieldNames");
            }
            u = use;
        }
        return {};
    };
    TRIB_TRY_VOID(mark("ignoredFieldNames", FieldUse::ignore));
    TRIB_TRY_VOID(mark("encodedFieldNames", FieldUse::encode));

    TRIB_TRY(auto delim, opts.string("delimiter"));
    std::string d = delim.value_or(",");
    if (d.empty()) return opts.error("delimiter", "must not be empty");
    std::optional<char> fast = literal_delimiter(d);
    std::optional<Regex> regex;
    if (!fast) {
        auto r = Regex::compile(d, {.mode = Regex::Mode::utf, .whole = false});
        if (!r) return fail(errc::invalid_pattern, opts.where() + ".delimiter: " + r.error().message);
        regex = std::move(*r);
    }
    TRIB_TRY(bool pretty, read_pretty(opts));
    return Made{std::make_unique<CsvToJson>(std::move(*names), std::move(uses), fast,
                                            std::move(regex), pretty),
                {}};
}

}  // namespace

const Descriptor kCsvToJson = {
    "CSVTOJSON",
    "turns a delimiter-separated record into a JSON object",
    kOptions,
    make,
};

}  // namespace tributary::agent::processors
