// agent/processors: every log format LOGTOJSON knows, CSVTOJSON and SINGLELINE, through
// Chain::make() + apply() as the agent runs them. A record either converts to a JSON object
// (valid UTF-8 whatever the input bytes: nlohmann's strict parser is the judge) or fails with
// the step named, a reason given and the record unchanged. Applying the same record twice gives
// the same outcome: a chain reuses its buffers and match state from record to record.
//
// Input: byte 0 chooses the chain (kChains[b % n]); the rest is the record. The chains live
// for the whole run, as in a flow. TRIB_FUZZ_VERBOSE=1 in the environment prints each outcome.

#include <array>
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/processors/processor.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

namespace processors = agent::processors;
using processors::Chain;

struct ChainSpec {
    const char* options;  // dataProcessingOptions
    bool makes_json;      // false: SINGLELINE alone, whose output is the joined text
};

constexpr ChainSpec kChains[] = {
    {R"([{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG"}])", true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"COMBINEDAPACHELOG"}])", true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"APACHEERRORLOG"}])", true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}])", true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"RFC3339SYSLOG"}])", true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"RFC5424SYSLOG"}])", true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"RFC5424SYSLOG","jsonFormat":"PRETTYPRINT"}])",
     true},
    // A user pattern: PCRE2 in UTF mode over bytes that need not be UTF-8.
    {R"j([{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG",
           "matchPattern":"(\\S+) (\\w*)=?(.*?)(-)?","customFieldNames":["a","b","c","d"]}])j",
     true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG",
          "customFieldNames":["t","h","p","i","m"],"jsonFormat":"PRETTYPRINT"}])",
     true},
    {R"([{"optionName":"CSVTOJSON","customFieldNames":["a","b","c"]}])", true},
    {R"j([{"optionName":"CSVTOJSON","customFieldNames":["a","b","c","d"],
           "delimiter":"\\s*[;|\\t]\\s*","encodedFieldNames":["b"],"ignoredFieldNames":["c"],
           "jsonFormat":"PRETTYPRINT"}])j",
     true},
    {R"([{"optionName":"SINGLELINE"},{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}])", true},
    {R"([{"optionName":"SINGLELINE","parseOptions":["NO_TRIM","ESCAPE_NEW_LINE"]},
         {"optionName":"CSVTOJSON","customFieldNames":["x","y"]}])",
     true},
    {R"([{"optionName":"LOGTOJSON","logFormat":"COMBINEDAPACHELOG"},
         {"optionName":"ADDMETADATA","metadata":{"site":"a"},"timestamp":"true",
          "hostname":"true","deviceId":"true"}])",
     true},
    {R"([{"optionName":"ADDMETADATA","metadata":"m","logFormat":"APACHEERRORLOG"}])", true},
    {R"([{"optionName":"SINGLELINE"}])", false},
    {R"([{"optionName":"SINGLELINE","parseOptions":["NO_TRIM"]}])", false},
};
constexpr size_t kChainCount = std::size(kChains);

Chain& chain(size_t i) {
    static std::array<std::unique_ptr<Chain>, kChainCount> chains = [] {
        std::array<std::unique_ptr<Chain>, kChainCount> out;
        processors::Context ctx{"edge-7", "dev-42", [] { return uint64_t{1700000000123}; }};
        for (size_t k = 0; k < kChainCount; ++k) {
            auto made = Chain::make(nlohmann::json::parse(kChains[k].options), ctx);
            if (!made) {
                std::fprintf(stderr, "chain %zu: %s\n", k, made.error().message.c_str());
                TRIB_FUZZ_CHECK(made, "every chain of the target is a valid configuration");
            }
            out[k] = std::make_unique<Chain>(std::move(*made));
        }
        return out;
    }();
    return *chains[i];
}

struct Outcome {
    bool ok;
    std::string record;  // the output, or the unchanged input
    std::string step, why;
};

Outcome run(Chain& c, std::string_view input) {
    std::string record(input);
    std::string_view step;
    bool ok = c.apply(record, &step) == Chain::Outcome::ok;
    return {ok, std::move(record), std::string(ok ? "" : step),
            std::string(ok ? "" : c.last_error())};
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(log_formats) {
    if (size == 0) return 0;
    const size_t which = data[0] % kChainCount;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    Chain& c = chain(which);

    Outcome first = run(c, input);
    if (!first.ok) {
        TRIB_FUZZ_CHECK(first.record == input, "a failed record is unchanged");
        TRIB_FUZZ_CHECK(!first.step.empty(), "a failure names its step");
        TRIB_FUZZ_CHECK(!first.why.empty(), "a failure says why");
    } else if (kChains[which].makes_json) {
        auto doc = nlohmann::json::parse(first.record, nullptr, /*allow_exceptions=*/false);
        TRIB_FUZZ_CHECK(doc.is_object(), "a converted record is a JSON object in UTF-8");
        TRIB_FUZZ_CHECK(first.record.ends_with('\n') == input.ends_with('\n'),
                        "a trailing newline is kept, and none is added");
    } else {
        // SINGLELINE: one line, ending in a newline only if the record did.
        size_t nl = first.record.find('\n');
        TRIB_FUZZ_CHECK(nl == std::string::npos || nl == first.record.size() - 1,
                        "SINGLELINE leaves no newline inside the record");
        TRIB_FUZZ_CHECK(first.record.ends_with('\n') == input.ends_with('\n'),
                        "a trailing newline is kept, and none is added");
    }

    if (std::getenv("TRIB_FUZZ_VERBOSE"))
        std::fprintf(stderr, "chain %zu: %s\n", which,
                     first.ok ? first.record.c_str() : (first.step + ": " + first.why).c_str());

    Outcome again = run(c, input);
    TRIB_FUZZ_CHECK(again.ok == first.ok && again.record == first.record &&
                        again.step == first.step && again.why == first.why,
                    "the same record gives the same outcome on a reused chain");
    return 0;
}
