#pragma once
// The groups of a metrics record. Each collector reads its /proc or /sys files, keeps what it
// needs of the previous sample to compute rates, and writes one member of the record object.
// Internal to this module; metrics.h is the public interface.
//
// Not thread-safe. A collector never throws and never writes half a group: it parses first,
// then writes, and writes nothing when its source is missing or unparsable (logged through
// Context::problems).

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The per-device counters of one table file (/proc/diskstats, /proc/net/dev), this sample's
// beside the previous one so rates can be computed. Entries (a `name` plus counters) are reused
// between samples, so a steady set of devices allocates nothing.
template <class Entry>
class Samples {
public:
    // Reads `path` and lets `parse(text)` fill this sample through add(); false (reported to
    // ctx.problems) when the file cannot be read or parse refuses it. A failed sample also
    // forgets the previous one: a gap must not turn into a rate.
    template <class Parse>
    bool load(Context& ctx, const std::string& path, Parse parse) {
        count_ = 0;
        auto text = ctx.files.read(path);
        if (!text) {
            ctx.problems.fail(path, std::strerror(ctx.files.last_errno()));
            prev_count_ = 0;
            return false;
        }
        if (!parse(std::string_view(*text))) {
            ctx.problems.fail(path, "unparsable line");
            prev_count_ = 0;
            return false;
        }
        ctx.problems.ok(path);
        return true;
    }
    Entry& add() {
        if (count_ == cur_.size()) cur_.emplace_back();
        return cur_[count_++];
    }
    size_t size() const { return count_; }
    const Entry& operator[](size_t i) const { return cur_[i]; }
    bool listed(std::string_view name) const {
        for (size_t i = 0; i < count_; ++i)
            if (cur_[i].name == name) return true;
        return false;
    }
    const Entry* previous(std::string_view name) const {
        for (size_t i = 0; i < prev_count_; ++i)
            if (prev_[i].name == name) return &prev_[i];
        return nullptr;
    }
    // This sample becomes the previous one.
    void advance() {
        cur_.swap(prev_);
        prev_count_ = count_;
    }

private:
    std::vector<Entry> cur_, prev_;  // only the first count_/prev_count_ entries are live
    size_t count_ = 0, prev_count_ = 0;
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
