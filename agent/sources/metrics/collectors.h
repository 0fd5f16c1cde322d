#pragma once
// The groups of a metrics record. Each collector reads its /proc or /sys files, keeps what it
// needs of the previous sample to compute rates, and writes one member of the record object.
// Internal to this module; metrics.h is the public interface.
//
// Not thread-safe. A collector never throws and never writes half a group: it parses first,
// then writes, and writes nothing when its source is missing or unparsable (logged through
// Context::problems).

#include <memory>
#include <optional>
#include <string>

#include "agent/sources/metrics/json_writer.h"
#include "agent/sources/metrics/proc_files.h"

namespace tributary::agent::sources::metrics {

struct Context {
    FileReader& files;
    Problems& problems;
    // Seconds since the previous sample, from /proc/uptime (monotonic, unaffected by the wall
    // clock jumps of a Raspberry Pi without RTC when NTP syncs). 0 on the first sample: rates
    // are then left out.
    double elapsed_s = 0;
    std::optional<double> uptime_s;  // this sample's /proc/uptime, if readable
};

class Collector {
public:
    virtual ~Collector() = default;
    // Appends `"<group>":...` to the open record object, or nothing if the source is unavailable.
    virtual void collect(Context& ctx, JsonWriter& out) = 0;
};

std::unique_ptr<Collector> make_cpu(const std::string& proc_root);
std::unique_ptr<Collector> make_memory(const std::string& proc_root);
std::unique_ptr<Collector> make_load(const std::string& proc_root);
std::unique_ptr<Collector> make_uptime();
std::unique_ptr<Collector> make_disk(const std::string& proc_root);
std::unique_ptr<Collector> make_filesystem(const std::string& proc_root);
std::unique_ptr<Collector> make_network(const std::string& proc_root, bool include_loopback);
// Thermal zones and the throttling source are discovered once, here; devices that appear later
// need a new Metrics instance.
std::unique_ptr<Collector> make_thermal(const std::string& sys_root);
std::unique_ptr<Collector> make_throttling(const std::string& sys_root);

}  // namespace tributary::agent::sources::metrics
