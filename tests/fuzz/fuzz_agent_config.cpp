// agent/config: parse_agent_config() of any text returns a configuration or one error whose
// message starts with the file name, and never throws. A configuration it accepts keeps the
// promises agent_config.h makes (at least one flow, distinct ids, absolute file patterns,
// backoffs in order, per-flow spool shares within spoolMaxBytes, processing options an array
// of objects naming a processor), and every notice names the file too.
//
// Input: the whole input is agent.json's text. The environment is fixed: a hostname that makes
// a valid deviceId and an AWS_REGION, so the region fallbacks are exercised too.
// TRIB_FUZZ_VERBOSE=1 in the environment prints each error, or the flows' ids.

#include <cstdlib>
#include <set>
#include <string>

#include "agent/config/agent_config.h"
#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {
namespace {

namespace config = agent::config;

constexpr std::string_view kFile = "agent.json";

const config::Environment& environment() {
    static const config::Environment env = [] {
        config::Environment e;
        e.hostname = "pi-kitchen";
        e.variables.emplace("AWS_REGION", "eu-west-1");
        return e;
    }();
    return env;
}

bool names_the_file(std::string_view message) {
    // "agent.json: key: why" or, for syntax errors, "agent.json:3:14: why".
    return message.starts_with(kFile) && message.size() > kFile.size() &&
           message[kFile.size()] == ':';
}

void check_flow(const config::AgentConfig& c, const config::FlowConfig& f) {
    TRIB_FUZZ_CHECK(!f.id.empty(), "a flow has an id");
    TRIB_FUZZ_CHECK(!f.stream.empty(), "a flow names its stream");
    if (f.source == config::Source::file)
        TRIB_FUZZ_CHECK(f.file_pattern.starts_with("/"), "file patterns are absolute");
    TRIB_FUZZ_CHECK(f.retry_max_backoff >= f.retry_initial_backoff, "backoffs in order");
    TRIB_FUZZ_CHECK(f.max_buffer_size_records > 0, "a batch holds at least one record");
    TRIB_FUZZ_CHECK(f.max_buffer_size_bytes > 0 &&
                        f.max_buffer_size_bytes <= config::kMaxBufferSizeBytesKinesis,
                    "batch bytes within the destination's limit");
    if (f.spool_max_bytes)
        TRIB_FUZZ_CHECK(*f.spool_max_bytes <= c.spool_max_bytes, "share within spoolMaxBytes");
    TRIB_FUZZ_CHECK(f.data_processing_options.is_array(), "processing options are an array");
    for (const auto& o : f.data_processing_options) {
        TRIB_FUZZ_CHECK(o.is_object(), "each processing option is an object");
        auto name = o.find("optionName");
        TRIB_FUZZ_CHECK(name != o.end() && name->is_string(), "each names its processor");
    }
}

}  // namespace
}  // namespace tributary::fuzz

TRIB_FUZZ_TARGET(agent_config) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = agent::config::parse_agent_config(text, kFile, environment());
    if (std::getenv("TRIB_FUZZ_VERBOSE")) {
        if (!parsed) std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
        for (const auto& f : parsed ? parsed->flows : decltype(parsed->flows){})
            std::fprintf(stderr, "flow %s\n", f.id.c_str());
    }
    if (!parsed) {
        const std::string& m = parsed.error().message;
        TRIB_FUZZ_CHECK(names_the_file(m), "an error message starts with the file name");
        TRIB_FUZZ_CHECK(parsed.error().code, "an error has a code");
        // parse_agent_config() turns a stray exception into "<file>: <what()>"; nlohmann's
        // syntax errors are reworded without their tag, so the tag right after the file name
        // means a step after parsing threw. (Keys from the input can hold any text, but a key
        // path never starts with "[j": odd keys are written as ["..."].)
        TRIB_FUZZ_CHECK(!m.starts_with("agent.json: [json.exception"),
                        "no step after parsing throws");
        return 0;
    }
    const auto& c = *parsed;
    TRIB_FUZZ_CHECK(!c.flows.empty(), "at least one flow");
    TRIB_FUZZ_CHECK(!c.device_id.empty(), "a device id (the hostname by default)");
    TRIB_FUZZ_CHECK(c.spool_max_bytes >= agent::config::kMinSpoolMaxBytes &&
                        c.spool_max_bytes <= agent::config::kMaxSpoolMaxBytes,
                    "spoolMaxBytes in range");
    TRIB_FUZZ_CHECK(!c.kinesis_endpoint.empty() && !c.kinesis_region.empty(),
                    "a Kinesis endpoint and region, given or defaulted");
    std::set<std::string_view> ids;
    for (const auto& f : c.flows) {
        check_flow(c, f);
        TRIB_FUZZ_CHECK(ids.insert(f.id).second, "flow ids are distinct");
    }
    for (const auto& n : c.notices) TRIB_FUZZ_CHECK(names_the_file(n), "a notice names the file");
    return 0;
}
