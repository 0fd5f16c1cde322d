// The sinks, explicitly listed (no self-registering statics): it can be grepped, and the
// linker cannot drop an entry.

#include "agent/sinks/sink.h"

namespace tributary::agent::sinks {
namespace {

const SinkDescriptor* const kAll[] = {
    &kHttps,
    &kMqtt,
};

}  // namespace

std::span<const SinkDescriptor* const> sink_list() { return kAll; }

const SinkDescriptor* find_sink(config::Sink kind) {
    for (const SinkDescriptor* d : kAll)
        if (d->kind == kind) return d;
    return nullptr;
}

}  // namespace tributary::agent::sinks
