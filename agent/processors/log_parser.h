#pragma once
// Parses one log line into named fields, as the Kinesis Agent's ApacheLogParser and
// SysLogParser do, for LOGTOJSON and for ADDMETADATA with a logFormat.
//
// Built-in formats use the Java agent's own patterns (PatternConstants.java), compiled once by
// PCRE2 with JIT, so what matches there matches here; RFC5424SYSLOG, which the Java agent lacks,
// is a hand-written parser. Thread-compatible (owns regex match state).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/processors/options.h"
#include "agent/processors/regex.h"
#include "agent/processors/rfc5424.h"
#include "shared/result.h"

namespace tributary::agent::processors {

class JsonWriter;

class LogParser {
public:
    // Reads logFormat (required), matchPattern and customFieldNames from `opts`.
    // Errors: errc::invalid_option (unknown format, matchPattern without customFieldNames,
    // field count that does not match the format or the pattern's groups, duplicate names),
    // errc::invalid_pattern (matchPattern does not compile).
    static Result<LogParser> make(const Options& opts);

    // Writes `line`'s fields as one JSON object; false, with `why`, if it does not match
    // (nothing is written then).
    bool write(std::string_view line, JsonWriter& w, std::string_view& why);

private:
    enum class Kind { regex, rfc5424 };
    Kind kind_ = Kind::regex;
    std::optional<Regex> regex_;
    std::vector<std::string> fields_;
    bool dash_is_null_ = false;  // Apache formats and RFC 5424: "-" means "no value"
    std::string no_match_;       // "does not match COMMONAPACHELOG"
    Rfc5424Scratch scratch_;
};

}  // namespace tributary::agent::processors
