// The processors, by optionName. An explicit list (no self-registering statics): it can be
// grepped, and the linker cannot drop an entry.

#include <algorithm>
#include <cctype>

#include "agent/processors/processor_internal.h"

namespace tributary::agent::processors {
namespace {

const Descriptor* const kAll[] = {
    &kSingleLine,
    &kCsvToJson,
    &kLogToJson,
    &kAddMetadata,
    &kAddEc2Metadata,
};

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

}  // namespace

const Descriptor* find_processor(std::string_view option_name) {
    for (const Descriptor* d : kAll) {
        if (iequals(d->name, option_name)) return d;
    }
    return nullptr;
}

std::string processor_names() {
    std::string out;
    for (const Descriptor* d : kAll) {
        if (!out.empty()) out += ", ";
        out += d->name;
    }
    return out;
}

}  // namespace tributary::agent::processors
