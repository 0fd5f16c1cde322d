#include "agent/processors/log_parser.h"

#include <algorithm>

#include "agent/processors/json_writer.h"
#include "agent/processors/rfc5424.h"

namespace tributary::agent::processors {
namespace {

// The Kinesis Agent's PatternConstants, verbatim in meaning (Java and PCRE2 read them alike).
#define INT_ "(?:[+-]?(?:[0-9]+))"
#define POSINT "(?:[1-9][0-9]*)"
#define NONNEGINT "(?:[0-9]+)"
#define ANYDATA ".*"
#define WORD "\\w+"
#define NOQUOTE "[^\"]+"
#define IP "(?:[\\d\\.]+)"
#define HOSTNAME "(?:[\\w\\-]+)(?:\\.(?:[\\w\\-]+))*(?:\\.?|\\b)"
#define IPORHOST "(?:" HOSTNAME "|" IP ")"
#define URIHOST "(?:" IPORHOST "(?::" POSINT ")?)"
#define USER "(?:[a-zA-Z0-9._-]+)"
#define MONTHDAY "(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])"
#define DAY "(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)"
#define MONTH                                                                                 \
    "\\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|" \
    "Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\b"
#define YEAR "(?:[1-9]\\d*)"
#define HOUR "(?:2[0123]|[01]?[0-9])"
#define MINUTE "(?:[0-5][0-9])"
#define SECOND "(?:(?:[0-5]?[0-9]|60)(?:[:\\.,][0-9]+)?)"
#define TIME "(?:" HOUR ":" MINUTE ":" SECOND ")"
#define HTTPDATE "(?:" MONTHDAY "/" MONTH "/" YEAR ":" TIME "\\s" INT_ ")"
#define APACHEERRORLOGTIMESTAMP "(?:" DAY "\\s+" MONTH "\\s+" MONTHDAY "\\s+" TIME "\\s+" YEAR ")"
#define SYSLOGTIMESTAMP "(?:" MONTH "\\s+" MONTHDAY "\\s+" TIME ")"
#define RFC3339 "(?:\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)(?:Z|(?:[-+]\\d{2}:\\d{2}))"
#define SYSLOGFACILITY "<" NONNEGINT "." NONNEGINT ">"
#define PROG "([\\w\\._/%-]+)"
#define SYSLOGPROG PROG "(?:\\[(" POSINT ")\\])?"
#define COMMON_APACHE_LOG                                                                    \
    "^(" IPORHOST ") (" USER ") (" USER ") \\[(" HTTPDATE ")\\] \"(" NOQUOTE ")\" (" INT_ \
    "|\\-) (" INT_ "|\\-)"
#define COMBINED_APACHE_LOG COMMON_APACHE_LOG " \"(" NOQUOTE ")\" \"(" NOQUOTE ")\""
#define APACHE_ERROR_LOG                                                                     \
    "^\\[(" APACHEERRORLOGTIMESTAMP ")\\] \\[(?:(" WORD "):)?(" WORD ")\\] \\[pid (" NONNEGINT \
    ")(?::tid (" NONNEGINT "))?\\] \\[client (" URIHOST ")\\] (" ANYDATA ")"
#define SYSLOG_BASE "^(" SYSLOGTIMESTAMP ") (?:" SYSLOGFACILITY " )?(" USER ") " SYSLOGPROG ": (" ANYDATA ")"
#define RFC3339_SYSLOG_BASE "^(" RFC3339 ") (?:" SYSLOGFACILITY " )?(" USER ") " SYSLOGPROG ": (" ANYDATA ")"

struct Format {
    std::string_view name;
    const char* pattern;  // nullptr: hand-written parser
    std::vector<std::string_view> fields;
    bool dash_is_null;
};

const std::vector<Format>& formats() {
    static const std::vector<Format> f = {
        {"COMMONAPACHELOG", COMMON_APACHE_LOG ".*",
         {"host", "ident", "authuser", "datetime", "request", "response", "bytes"}, true},
        {"COMBINEDAPACHELOG", COMBINED_APACHE_LOG ".*",
         {"host", "ident", "authuser", "datetime", "request", "response", "bytes", "referer",
          "agent"},
         true},
        {"APACHEERRORLOG", APACHE_ERROR_LOG,
         {"timestamp", "module", "severity", "processid", "threadid", "client", "message"}, true},
        {"SYSLOG", SYSLOG_BASE, {"timestamp", "hostname", "program", "processid", "message"}, false},
        {"RFC3339SYSLOG", RFC3339_SYSLOG_BASE,
         {"timestamp", "hostname", "program", "processid", "message"}, false},
        {"RFC5424SYSLOG", nullptr,
         std::vector<std::string_view>(std::begin(kRfc5424Fields), std::end(kRfc5424Fields)), true},
    };
    return f;
}

constexpr std::string_view kFormatNames[] = {"COMMONAPACHELOG", "COMBINEDAPACHELOG",
                                             "APACHEERRORLOG",  "SYSLOG",
                                             "RFC3339SYSLOG",   "RFC5424SYSLOG"};

}  // namespace

Result<LogParser> LogParser::make(const Options& opts) {
    TRIB_TRY(auto name, opts.enumeration("logFormat", kFormatNames));
    if (!name) return opts.error("logFormat", "required");
    const Format& f = *std::find_if(formats().begin(), formats().end(),
                                    [&](const Format& x) { return x.name == *name; });
    TRIB_TRY(auto pattern, opts.string("matchPattern"));
    TRIB_TRY(std::vector<std::string> custom_list, opts.string_list("customFieldNames"));
    std::vector<std::string>* custom = opts.has("customFieldNames") ? &custom_list : nullptr;

    LogParser p;
    p.dash_is_null_ = f.dash_is_null;
    p.no_match_ = "does not match " + std::string(f.name);
    if (custom) {
        for (size_t i = 0; i < custom->size(); ++i) {
            if (std::find(custom->begin(), custom->begin() + i, (*custom)[i]) != custom->begin() + i) {
                return opts.error("customFieldNames", "duplicate field name '" + (*custom)[i] + "'");
            }
        }
    }
    if (pattern) {
        if (!custom) return opts.error("matchPattern", "needs customFieldNames to name its groups");
        auto r = Regex::compile(*pattern, {.mode = Regex::Mode::utf, .whole = true});
        if (!r) return fail(errc::invalid_pattern, opts.where() + ".matchPattern: " + r.error().message);
        // The Java agent finds this out on every record (and drops them all); we say it once.
        if (r->capture_count() != custom->size()) {
            return opts.error("customFieldNames",
                              std::to_string(custom->size()) + " names for a matchPattern with " +
                                  std::to_string(r->capture_count()) + " capturing groups");
        }
        p.regex_ = std::move(*r);
        p.fields_ = std::move(*custom);
        p.no_match_ = "does not match matchPattern";
        return p;
    }
    if (custom) {
        if (custom->size() != f.fields.size()) {
            return opts.error("customFieldNames",
                              std::to_string(custom->size()) + " names, but " + std::string(f.name) +
                                  " has " + std::to_string(f.fields.size()) +
                                  " fields (rename all of them, or give a matchPattern)");
        }
        p.fields_ = std::move(*custom);
    } else {
        p.fields_.assign(f.fields.begin(), f.fields.end());
    }
    if (f.pattern == nullptr) {
        p.kind_ = Kind::rfc5424;
        return p;
    }
    auto r = Regex::compile(f.pattern, {.mode = Regex::Mode::bytes, .whole = true});
    TRIB_ASSERT(r.has_value(), "a built-in log pattern does not compile");
    p.regex_ = std::move(*r);
    return p;
}

bool LogParser::write(std::string_view line, JsonWriter& w, std::string_view& why) {
    auto value = [&](std::string_view v, bool present) {
        if (!present || (dash_is_null_ && v == "-")) {
            w.null();
        } else {
            w.string(v);
        }
    };
    if (kind_ == Kind::rfc5424) {
        Rfc5424 m;
        if (!parse_rfc5424(line, m, why, scratch_)) return false;
        const std::string_view header[] = {m.priority, m.version, m.timestamp, m.hostname,
                                           m.appname,  m.procid,  m.msgid};
        w.begin_object();
        for (size_t i = 0; i < 7; ++i) {
            w.key(fields_[i]);
            value(header[i], true);
        }
        w.key(fields_[7]);
        write_structured_data(m.structured_data, w, scratch_);
        w.key(fields_[8]);
        if (m.has_message) {
            w.string(m.message);  // "-" is a message like any other here
        } else {
            w.null();
        }
        w.end_object();
        return true;
    }
    std::string_view subject = regex_->prepare(line);
    if (!regex_->match(subject)) {
        why = no_match_;
        return false;
    }
    w.begin_object();
    for (size_t i = 0; i < fields_.size(); ++i) {
        w.key(fields_[i]);
        value(regex_->group(i + 1), regex_->is_set(i + 1));
    }
    w.end_object();
    return true;
}

}  // namespace tributary::agent::processors
