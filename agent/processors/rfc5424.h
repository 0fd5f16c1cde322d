#pragma once
// A hand-written RFC 5424 syslog parser (the Kinesis Agent has none):
//   <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
// Hand-written because structured data (quoted, escaped parameter values) is awkward for a
// regex and because it is on the per-record path.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tributary::agent::processors {

class JsonWriter;

struct Rfc5424 {
    std::string_view priority, version, timestamp, hostname, appname, procid, msgid;
    std::string_view structured_data;  // "-" or one or more validated [SD-ID ...] elements
    std::string_view message;
    bool has_message = false;
};

// The field names, in output order (customFieldNames renames them one for one).
inline constexpr std::string_view kRfc5424Fields[] = {
    "priority", "version", "timestamp", "hostname", "appname",
    "procid",   "msgid",   "structureddata", "message"};

// Working storage reused between records, so parsing allocates nothing in steady state.
struct Rfc5424Scratch {
    std::vector<std::pair<std::string_view, std::string_view>> params;  // name, raw value
    std::vector<std::string_view> ids;
    std::string value;  // one unescaped parameter value
};

// Parses `line`; false, with `why` set, if it is not RFC 5424. A leading UTF-8 BOM of MSG is
// dropped.
bool parse_rfc5424(std::string_view line, Rfc5424& out, std::string_view& why, Rfc5424Scratch& scratch);

// Writes validated structured data as {"SD-ID": {"PARAM": "value", ...}, ...} (a parameter
// that repeats inside one element becomes an array of its values), or null for "-".
void write_structured_data(std::string_view sd, JsonWriter& w, Rfc5424Scratch& scratch);

}  // namespace tributary::agent::processors
