#pragma once
// The interface each processor implements and the list that maps optionName to a factory.
// Internal to agent/processors: callers use Chain (processor.h).

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "agent/processors/options.h"
#include "agent/processors/processor.h"
#include "shared/result.h"

namespace tributary::agent::processors {

// One transformation. Thread-compatible, like the Chain that owns it.
class Processor {
public:
    virtual ~Processor() = default;
    // Appends the transformed `in` to `out` (empty on entry, never aliasing `in`). Returns
    // false to reject the record, with `why` set to a short reason that outlives the call.
    virtual bool apply(std::string_view in, std::string& out, std::string_view& why) = 0;
};

// What a factory returns: the processor, or none with a notice (an option we accept for
// compatibility but cannot honour here).
struct Made {
    std::unique_ptr<Processor> processor;
    std::string notice;
};

struct Descriptor {
    std::string_view name;  // optionName
    std::string_view description;
    std::span<const OptionSpec> options;
    Result<Made> (*make)(const Options& opts, const Context& ctx);
    bool any_keys = false;  // skip the unknown-key check (a skipped, compatibility-only option)
};

// One per processor file; processor_list.cpp lists them all, explicitly.
extern const Descriptor kSingleLine;
extern const Descriptor kCsvToJson;
extern const Descriptor kLogToJson;
extern const Descriptor kAddMetadata;
extern const Descriptor kAddEc2Metadata;

// optionName -> descriptor; nullptr for a name we do not have.
const Descriptor* find_processor(std::string_view option_name);
std::string processor_names();  // "SINGLELINE, CSVTOJSON, ..." for error messages

// Shared by the JSON-producing processors.
Result<bool> read_pretty(const Options& opts);  // jsonFormat: COMPACT (false) | PRETTYPRINT

// Splits off one trailing "\n", which the processors keep on their output.
inline std::string_view strip_newline(std::string_view in, bool& had) {
    had = !in.empty() && in.back() == '\n';
    return had ? in.substr(0, in.size() - 1) : in;
}

}  // namespace tributary::agent::processors
