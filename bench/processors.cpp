// bench_processors: ns per record for each processor and log format, single thread.
// Usage: bench_processors [records per case, default 200000]. Not a test; numbers vary with the
// machine, so compare runs on the same one.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/processors/processor.h"

using tributary::agent::processors::Chain;
using tributary::agent::processors::Context;

namespace {

struct Case {
    const char* name;
    const char* options;
    const char* line;
};

const Case kCases[] = {
    {"SINGLELINE", R"([{"optionName":"SINGLELINE"}])", "first line\n   second line  \n\tthird"},
    {"CSVTOJSON ,", R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b","c","d","e"]}])",
     "2024-03-12T12:00:08Z,sensor-17,21.5,48.2,ok"},
    {"CSVTOJSON regex", R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b","c","d","e"],"delimiter":"\\s*;\\s*"}])",
     "2024-03-12T12:00:08Z ; sensor-17 ; 21.5 ; 48.2 ; ok"},
    {"COMMONAPACHELOG", R"([{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG"}])",
     R"j(123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450)j"},
    {"COMBINEDAPACHELOG", R"([{"optionName":"LOGTOJSON","logFormat":"COMBINEDAPACHELOG"}])",
     R"j(123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450 "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)")j"},
    {"APACHEERRORLOG", R"([{"optionName":"LOGTOJSON","logFormat":"APACHEERRORLOG"}])",
     "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico"},
    {"SYSLOG", R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}])",
     "Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds)"},
    {"RFC3339SYSLOG", R"([{"optionName":"LOGTOJSON","logFormat":"RFC3339SYSLOG"}])",
     "2024-03-12T12:00:08.123456+01:00 pi-gw sshd[4411]: Accepted publickey for pi from 10.0.0.2"},
    {"RFC5424SYSLOG", R"([{"optionName":"LOGTOJSON","logFormat":"RFC5424SYSLOG"}])",
     R"j(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...)j"},
    {"matchPattern", R"j([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(\\S+) (\\S+) (\\w+)=(\\d+)","customFieldNames":["d","t","k","v"]}])j",
     "2024-03-12 12:00:08 temperature=21"},
    {"ADDMETADATA", R"([{"optionName":"ADDMETADATA","timestamp":"true","metadata":{"site":"plant-3"}}])",
     "2024-03-12T12:00:08Z,sensor-17,21.5,48.2,ok"},
};

}  // namespace

int main(int argc, char** argv) {
    long n = argc > 1 ? std::atol(argv[1]) : 200000;
    std::printf("%-18s %10s  (records per case: %ld)\n", "case", "ns/record", n);
    for (const Case& c : kCases) {
        auto chain = Chain::make(nlohmann::json::parse(c.options), Context{"host", "dev", {}});
        if (!chain) {
            std::fprintf(stderr, "%s: %s\n", c.name, chain.error().message.c_str());
            return 1;
        }
        std::string record;
        size_t bytes = 0;
        auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < n; ++i) {
            record.assign(c.line);
            if (chain->apply(record) != Chain::Outcome::ok) {
                std::fprintf(stderr, "%s: record failed: %s\n", c.name,
                             std::string(chain->last_error()).c_str());
                return 1;
            }
            bytes += record.size();
        }
        auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
        std::printf("%-18s %10.0f  (%zu output bytes)\n", c.name, ns / static_cast<double>(n), bytes / static_cast<size_t>(n));
    }
    return 0;
}
