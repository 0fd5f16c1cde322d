// disk group: per block device rates from /proc/diskstats deltas.
//
// Skipped: loop*, ram* and zram* (memory, not storage: zram swap traffic shows in memory),
// eMMC boot areas (mmcblk*boot*), and partitions whose whole disk is also listed, so a
// device's traffic is counted once. A partition whose disk is not listed (some containers) is
// kept. Device-mapper and md devices are kept: they stack on disks, so summing every entry
// double-counts; consumers should pick the level they care about.
#include <cctype>
#include <cstring>
#include <vector>

#include "agent/sources/metrics/collectors.h"

namespace tributary::agent::sources::metrics {
namespace {

struct Counters {
    uint64_t reads = 0, read_sectors = 0, writes = 0, write_sectors = 0, io_ms = 0;
};

struct Device {
    std::string name;
    Counters c;
};

bool skipped_by_name(std::string_view n) {
    return n.starts_with("loop") || n.starts_with("ram") || n.starts_with("zram") ||
           (n.starts_with("mmcblk") && n.find("boot") != std::string_view::npos);
}

// The kernel names partitions <disk><n>, or <disk>p<n> when the disk's name ends in a digit
// (block/partitions/core.c): sda1, mmcblk0p1, nvme0n1p2. The disk a name would belong to
// if it were a partition, or empty.
std::string_view parent_disk(std::string_view n) {
    size_t end = n.size();
    while (end > 0 && std::isdigit(static_cast<unsigned char>(n[end - 1]))) --end;
    if (end == n.size() || end == 0) return {};
    std::string_view base = n.substr(0, end);
    if (base.size() >= 2 && base.back() == 'p' &&
        std::isdigit(static_cast<unsigned char>(base[base.size() - 2])))
        return base.substr(0, base.size() - 1);
    if (std::isdigit(static_cast<unsigned char>(base.back()))) return {};
    return base;
}

class Disk final : public Collector {
public:
    explicit Disk(const std::string& proc_root) : path_(proc_root + "/diskstats") {}

    void collect(Context& ctx, JsonWriter& out) override {
        if (!samples_.load(ctx, path_, [this](std::string_view text) { return parse(text); }))
            return;

        out.key("disk");
        out.begin_array();
        for (size_t i = 0; i < samples_.size(); ++i) {
            const Device& d = samples_[i];
            std::string_view parent = parent_disk(d.name);
            if (!parent.empty() && samples_.listed(parent)) continue;
            out.begin_object();
            out.field("name", d.name);
            out.field_u64("reads_total", d.c.reads);
            out.field_u64("writes_total", d.c.writes);
            out.field_u64("read_bytes_total", d.c.read_sectors * 512);
            out.field_u64("write_bytes_total", d.c.write_sectors * 512);
            if (const Device* p = samples_.previous(d.name); p && ctx.elapsed_s > 0) {
                const double s = ctx.elapsed_s;
                // Sectors are always 512 bytes in diskstats, whatever the device's sector size.
                if (auto v = delta(d.c.reads, p->c.reads)) out.field_number("reads_per_s", *v / s);
                if (auto v = delta(d.c.writes, p->c.writes))
                    out.field_number("writes_per_s", *v / s);
                if (auto v = delta(d.c.read_sectors, p->c.read_sectors))
                    out.field_number("read_bytes_per_s", *v * 512.0 / s);
                if (auto v = delta(d.c.write_sectors, p->c.write_sectors))
                    out.field_number("write_bytes_per_s", *v * 512.0 / s);
                // Requests in flight can make io_ms run a little ahead of wall time.
                if (auto v = delta(d.c.io_ms, p->c.io_ms))
                    out.field_number("io_time_pct", std::min(100.0, *v / (10.0 * s)));
            }
            out.end_object();
        }
        out.end_array();
        samples_.advance();
    }

private:
    // Fills this sample. A line with fewer than 11 statistics is a format this parser does not
    // know: the whole file is refused rather than misread.
    bool parse(std::string_view text) {
        std::string_view line, tok, name;
        while (next_line(text, line)) {
            if (!next_token(line, tok) || !next_token(line, tok) || !next_token(line, name))
                continue;  // blank line
            if (skipped_by_name(name)) continue;
            uint64_t f[11];
            for (uint64_t& v : f)
                if (!next_token(line, tok) || !parse_u64(tok, v)) return false;
            Device& d = samples_.add();
            d.name.assign(name);
            d.c = Counters{f[0], f[2], f[4], f[6], f[9]};
        }
        return true;
    }

    std::string path_;
    Samples<Device> samples_;
};

}  // namespace

std::unique_ptr<Collector> make_disk(const std::string& proc_root) {
    return std::make_unique<Disk>(proc_root);
}

}  // namespace tributary::agent::sources::metrics
