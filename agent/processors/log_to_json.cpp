// LOGTOJSON: parses a log record (logFormat, or a matchPattern with customFieldNames) into a
// JSON object of strings; see log_parser.h. Unlike the Kinesis Agent, which drops a record
// that does not parse (logging it at debug level only), a record that does not parse fails
// here, so the caller can count it and keep it.

#include "agent/processors/json_writer.h"
#include "agent/processors/log_parser.h"
#include "agent/processors/processor_internal.h"

namespace tributary::agent::processors {
namespace {

class LogToJson final : public Processor {
public:
    LogToJson(LogParser parser, bool pretty) : parser_(std::move(parser)), pretty_(pretty) {}

    bool apply(std::string_view in, std::string& out, std::string_view& why) override {
        bool had_newline;
        std::string_view body = strip_newline(in, had_newline);
        JsonWriter w(out, pretty_);
        if (!parser_.write(body, w, why)) return false;
        if (had_newline) out.push_back('\n');
        return true;
    }

private:
    LogParser parser_;
    bool pretty_;
};

constexpr OptionSpec kOptions[] = {
    {"logFormat", OptionType::string, "",
     "required: COMMONAPACHELOG, COMBINEDAPACHELOG, APACHEERRORLOG, SYSLOG, RFC3339SYSLOG or "
     "RFC5424SYSLOG"},
    {"matchPattern", OptionType::string, "",
     "a Java-style regex that must match the whole record; its groups are the fields"},
    {"customFieldNames", OptionType::string_list, "",
     "names for the pattern's groups, or new names for all of the format's fields"},
    {"jsonFormat", OptionType::string, "COMPACT", "COMPACT or PRETTYPRINT"},
};

Result<Made> make(const Options& opts, const Context&) {
    TRIB_TRY(auto parser, LogParser::make(opts));
    TRIB_TRY(bool pretty, read_pretty(opts));
    return Made{std::make_unique<LogToJson>(std::move(parser), pretty), {}};
}

}  // namespace

const Descriptor kLogToJson = {
    "LOGTOJSON",
    "parses a log record (Apache, syslog, or a custom pattern) into a JSON object",
    kOptions,
    make,
};

}  // namespace tributary::agent::processors
