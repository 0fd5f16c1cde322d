#pragma once
// The metrics source: one compact JSON record per interval describing the device (CPU, memory,
// load, disks, filesystems, network, temperatures, Raspberry Pi throttling, uptime, and the
// agent's own counters), read straight from /proc and /sys. Every field and its unit is listed
// in README.md beside this file.
//
// Lifecycle: create() validates the options and discovers the thermal zones and the throttling
// interface once; sample() is then called every interval() by the engine's scheduler. The
// first sample primes the rates: it carries the counters (`*_total`) and gauges but no `*_per_s`
// rates or CPU percentages; every later sample has them, computed over the time since the
// previous sample (`elapsed_ms`).
//
// Thread-safety: none; one thread calls sample(). Nothing is persisted: after a restart the
// first sample primes again.
//
// Failures never fail a sample: a missing or unparsable file leaves its group (or field) out
// and is logged once (metrics_source_unavailable), then again at most every 10 minutes while
// it lasts; a counter that went backwards (wrap, reset) leaves that rate out for one interval.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sources/metrics/errc.h"
#include "shared/result.h"

namespace tributary::agent::sources::metrics {

class Collector;
class FileReader;
class JsonWriter;
class Problems;

struct Options {
    std::chrono::milliseconds interval{10'000};
    // Empty = all, else any of all_groups(). Order does not matter: a record's groups always
    // come in the order of all_groups().
    std::vector<std::string> groups;
    std::string proc_root = "/proc", sys_root = "/sys";  // tests point these at fixture trees
    std::string device_id;                               // empty: the hostname
    std::string hostname;                                // empty: gethostname()
    // Returns a JSON object (text) for the "agent" group, the engine's own counters; an empty
    // string leaves the group out. Text that is not a JSON object is left out and logged.
    std::function<std::string()> agent_counters;
    bool include_loopback = false;  // report "lo" in the network group
};

// The valid group names, in record order: cpu, memory, load, disk, filesystem, network,
// thermal, throttling, uptime, agent.
std::span<const std::string_view> all_groups();

class Metrics {
public:
    // Errors: errc::unknown_group (the message names it and lists the valid groups),
    // errc::invalid_interval (interval not positive).
    static Result<std::unique_ptr<Metrics>> create(Options o);
    ~Metrics();

    // One record: a compact JSON object, `now_ms` (Unix epoch milliseconds) giving its `ts`.
    // Rates use /proc/uptime for the elapsed time, so a wall-clock jump (NTP on a device
    // without RTC) does not distort them; now_ms is the fallback if /proc/uptime is unreadable.
    std::string sample(uint64_t now_ms);
    std::chrono::milliseconds interval() const { return options_.interval; }

private:
    explicit Metrics(Options o);
    double elapsed_s(uint64_t now_ms, const std::optional<double>& uptime);
    void write_agent(JsonWriter& out);

    Options options_;
    std::vector<std::unique_ptr<Collector>> collectors_;
    bool agent_group_ = false;
    std::unique_ptr<FileReader> files_;
    std::unique_ptr<Problems> problems_;
    std::string uptime_path_;
    std::string out_;  // record buffer, reused
    bool primed_ = false;
    uint64_t prev_now_ms_ = 0;
    std::optional<double> prev_uptime_;
};

}  // namespace tributary::agent::sources::metrics
