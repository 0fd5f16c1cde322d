// SINGLELINE: joins the lines of a multi-line record into one, as the Kinesis Agent's
// SingleLineDataConverter does: split at "\n" (dropping trailing empty lines, as Java's
// String.split does), trim each line of leading and trailing characters <= U+0020 (Java's
// String.trim) unless NO_TRIM, and join with nothing — or, with ESCAPE_NEW_LINE, with the
// three bytes `\\n` (two backslashes and an n: the Java source writes "\\\\n", and its test
// expects exactly that).

#include <algorithm>
#include <vector>

#include "agent/processors/processor_internal.h"

namespace tributary::agent::processors {
namespace {

class SingleLine final : public Processor {
public:
    SingleLine(bool trim, bool escape) : trim_(trim), escape_(escape) {}

    bool apply(std::string_view in, std::string& out, std::string_view&) override {
        bool had_newline;
        std::string_view body = strip_newline(in, had_newline);
        lines_.clear();
        size_t pos = 0;
        while (true) {
            size_t nl = body.find('\n', pos);
            if (nl == std::string_view::npos) {
                lines_.push_back(body.substr(pos));
                break;
            }
            lines_.push_back(body.substr(pos, nl - pos));
            pos = nl + 1;
        }
        // Java's split drops trailing empty strings (before trimming), except that a string
        // with no separator at all stays one element.
        if (lines_.size() > 1) {
            while (!lines_.empty() && lines_.back().empty()) lines_.pop_back();
        }
        out.reserve(body.size() + 1);
        for (size_t i = 0; i < lines_.size(); ++i) {
            if (i > 0 && escape_) out.append("\\\\n");
            out.append(trim_ ? java_trim(lines_[i]) : lines_[i]);
        }
        if (had_newline) out.push_back('\n');
        return true;
    }

private:
    static std::string_view java_trim(std::string_view s) {
        size_t b = 0, e = s.size();
        while (b < e && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
        while (e > b && static_cast<unsigned char>(s[e - 1]) <= 0x20) --e;
        return s.substr(b, e - b);
    }

    bool trim_;
    bool escape_;
    std::vector<std::string_view> lines_;
};

constexpr OptionSpec kOptions[] = {
    {"parseOptions", OptionType::string_list, "[]",
     "NO_TRIM keeps each line's leading/trailing whitespace; ESCAPE_NEW_LINE joins lines with "
     "\\\\n instead of nothing"},
};

Result<Made> make(const Options& opts, const Context&) {
    TRIB_TRY(auto parse, opts.string_list("parseOptions"));
    bool trim = true, escape = false;
    for (const auto& p : parse) {
        if (p == "NO_TRIM") {
            trim = false;
        } else if (p == "ESCAPE_NEW_LINE") {
            escape = true;
        } else {
            return opts.error("parseOptions",
                              "unknown parse option '" + p + "' (expected NO_TRIM, ESCAPE_NEW_LINE)");
        }
    }
    return Made{std::make_unique<SingleLine>(trim, escape), {}};
}

}  // namespace

const Descriptor kSingleLine = {
    "SINGLELINE",
    "joins the lines of a multi-line record into one line",
    kOptions,
    make,
};

}  // namespace tributary::agent::processors
