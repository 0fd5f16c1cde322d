#pragma once
// Record transformations: the Kinesis Agent's `dataProcessingOptions`, applied in order to each
// record (a line, or a multi-line event, as bytes that need not be valid UTF-8).
//
//   TRIB_TRY(auto chain, Chain::make(flow["dataProcessingOptions"], ctx));
//   std::string_view step;
//   if (chain.apply(record, &step) == Chain::Outcome::failed) { count(step); keep(record); }
//
// Records and terminators: a trailing "\n" on the input is kept on the output (the processors
// work on the record without it, as the Kinesis Agent does); a record without one gets none.
// The tail source hands records without their newline, so whether a newline follows each
// record on the wire is the sink's decision, not the processors'.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "shared/result.h"

namespace tributary::agent::processors {

// What a chain may stamp into records (ADDMETADATA).
struct Context {
    std::string hostname;
    std::string device_id;
    std::function<uint64_t()> clock_ms;  // UTC milliseconds since the epoch; empty: system clock
};

class Processor;

// One configured chain of processors. Thread-compatible: one chain per flow, used by one thread
// (it reuses its buffers and regex match state between records). Holds no durable state.
class Chain {
public:
    Chain();
    ~Chain();
    Chain(Chain&&) noexcept;
    Chain& operator=(Chain&&) noexcept;

    // Validates `options` (the JSON array from agent.json; null means no processing).
    // Errors: errc::invalid_option, errc::unknown_processor, errc::invalid_pattern, each with a
    // message naming the entry and key, e.g. "dataProcessingOptions[1].logFormat: unknown
    // value 'FOO' (expected COMMONAPACHELOG, ...)".
    static Result<Chain> make(const nlohmann::json& options, Context ctx);

    enum class Outcome { ok, failed };
    // Transforms `record` in place. On failure `record` is unchanged, `failed_step` (if given)
    // names the optionName of the processor that rejected it, and last_error() says why.
    // Never drops a record: what to do with a failed one is the caller's decision.
    Outcome apply(std::string& record, std::string_view* failed_step = nullptr);

    // Why the last failed apply() failed, e.g. "does not match COMMONAPACHELOG".
    std::string_view last_error() const { return last_error_; }
    // Accepted-but-ignored options (ADDEC2METADATA, which needs EC2), one sentence each.
    const std::vector<std::string>& notices() const { return notices_; }
    size_t size() const;  // processors that run (skipped ones excluded)

private:
    struct Step;
    std::vector<Step> steps_;
    std::string buf_[2];
    std::string_view last_error_;
    std::vector<std::string> notices_;
};

}  // namespace tributary::agent::processors
