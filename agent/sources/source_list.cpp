// The sources, explicitly listed (no self-registering statics): it can be grepped, and the
// linker cannot drop an entry.

#include "agent/sources/source.h"

namespace tributary::agent::sources {
namespace {

const SourceDescriptor* const kAll[] = {
    &kTail,
    &kMetrics,
};

}  // namespace

std::span<const SourceDescriptor* const> source_list() { return kAll; }

const SourceDescriptor* find_source(config::Source kind) {
    for (const SourceDescriptor* d : kAll)
        if (d->kind == kind) return d;
    return nullptr;
}

}  // namespace tributary::agent::sources
