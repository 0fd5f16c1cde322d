// thermal and throttling groups, from /sys.
//
// Throttling on a Raspberry Pi comes from one of two kernel interfaces:
//  - <sys>/devices/platform/soc*/soc*:firmware/get_throttled (Raspberry Pi kernels; newer ones
//    mark it deprecated): the firmware's whole bit mask as hex without 0x, e.g. "50005".
//  - hwmon device named "rpi_volt" (mainline driver raspberrypi-hwmon): in0_lcrit_alarm is 1
//    while the firmware reports under-voltage; nothing about frequency capping or throttling.
// The first is preferred because it has every bit. On other machines neither exists and the
// group is left out without a warning.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "agent/sources/metrics/collectors.h"

namespace tributary::agent::sources::metrics {
namespace {

namespace fs = std::filesystem;

struct Zone {
    uint64_t index;
    std::string name, type, temp_path;
};

class Thermal final : public Collector {
public:
    explicit Thermal(const std::string& sys_root) {
        std::error_code ec;
        FileReader files;
        for (fs::directory_iterator it(sys_root + "/class/thermal", ec), end; !ec && it != end;
             it.increment(ec)) {
            const std::string name = it->path().filename().string();
            Zone z;
            if (!name.starts_with("thermal_zone") || !parse_u64(name.substr(12), z.index)) continue;
            z.name = name;
            if (auto type = files.read(it->path().string() + "/type")) z.type = trim(*type);
            z.temp_path = it->path().string() + "/temp";
            zones_.push_back(std::move(z));
        }
        std::sort(zones_.begin(), zones_.end(),
                  [](const Zone& a, const Zone& b) { return a.index < b.index; });
        celsius_.resize(zones_.size());
    }

    void collect(Context& ctx, JsonWriter& out) override {
        size_t readable = 0;
        for (size_t i = 0; i < zones_.size(); ++i) {
            celsius_[i].reset();
            int64_t milli;
            auto text = ctx.files.read(zones_[i].temp_path);
            // Some zones (a Wi-Fi chip that is down) fail the read with EIO or ENODATA.
            if (!text) {
                ctx.problems.fail(zones_[i].temp_path, std::strerror(ctx.files.last_errno()));
            } else if (!parse_i64(trim(*text), milli)) {
                ctx.problems.fail(zones_[i].temp_path, "unparsable");
            } else {
                ctx.problems.ok(zones_[i].temp_path);
                celsius_[i] = double(milli) / 1000.0;
                ++readable;
            }
        }
        if (readable == 0) return;

        out.key("thermal");
        out.begin_array();
        for (size_t i = 0; i < zones_.size(); ++i) {
            if (!celsius_[i]) continue;
            out.begin_object();
            out.field("zone", zones_[i].name);
            out.field("type", zones_[i].type);
            out.field_number("celsius", *celsius_[i], 3);
            out.end_object();
        }
        out.end_array();
    }

private:
    std::vector<Zone> zones_;
    std::vector<std::optional<double>> celsius_;
};

std::string find_get_throttled(const std::string& sys_root) {
    const std::string usual = sys_root + "/devices/platform/soc/soc:firmware/get_throttled";
    std::error_code ec;
    if (fs::exists(usual, ec)) return usual;
    // Other SoC node names (e.g. soc@107c000000 on a Raspberry Pi 5 device tree).
    for (fs::directory_iterator soc(sys_root + "/devices/platform", ec), end; !ec && soc != end;
         soc.increment(ec)) {
        if (!soc->path().filename().string().starts_with("soc")) continue;
        std::error_code ec2;
        for (fs::directory_iterator fw(soc->path(), ec2); !ec2 && fw != end; fw.increment(ec2)) {
            if (!fw->path().filename().string().ends_with("firmware")) continue;
            const fs::path p = fw->path() / "get_throttled";
            std::error_code ec3;
            if (fs::exists(p, ec3)) return p.string();
        }
    }
    return {};
}

std::string find_rpi_volt_alarm(const std::string& sys_root) {
    std::error_code ec;
    FileReader files;
    for (fs::directory_iterator it(sys_root + "/class/hwmon", ec), end; !ec && it != end;
         it.increment(ec)) {
        auto name = files.read(it->path().string() + "/name");
        if (!name || trim(*name) != "rpi_volt") continue;
        const fs::path p = it->path() / "in0_lcrit_alarm";
        std::error_code ec2;
        if (fs::exists(p, ec2)) return p.string();
    }
    return {};
}

class Throttling final : public Collector {
public:
    explicit Throttling(const std::string& sys_root) : path_(find_get_throttled(sys_root)) {
        if (path_.empty()) {
            path_ = find_rpi_volt_alarm(sys_root);
            hwmon_ = !path_.empty();
        }
    }

    void collect(Context& ctx, JsonWriter& out) override {
        if (path_.empty()) return;
        auto text = ctx.files.read(path_);
        uint64_t bits;
        if (!text) return ctx.problems.fail(path_, std::strerror(ctx.files.last_errno()));
        if (!(hwmon_ ? parse_u64(trim(*text), bits) : parse_hex(trim(*text), bits)))
            return ctx.problems.fail(path_, "unparsable");
        ctx.problems.ok(path_);

        out.key("throttling");
        out.begin_object();
        if (hwmon_) {
            out.field("source", "hwmon");
            out.field_bool("under_voltage", bits != 0);
        } else {
            char raw[24];
            std::snprintf(raw, sizeof raw, "0x%llx", static_cast<unsigned long long>(bits));
            out.field("source", "firmware");
            out.field("raw", raw);
            // Bits 0-3: the condition now; bits 16-19: it has occurred (sticky).
            static constexpr std::string_view now[4] = {"under_voltage", "freq_capped", "throttled",
                                                        "soft_temp_limit"};
            static constexpr std::string_view ever[4] = {
                "under_voltage_occurred", "freq_capped_occurred", "throttled_occurred",
                "soft_temp_limit_occurred"};
            for (int i = 0; i < 4; ++i) out.field_bool(now[i], bits & (1u << i));
            for (int i = 0; i < 4; ++i) out.field_bool(ever[i], bits & (1u << (16 + i)));
        }
        out.end_object();
    }

private:
    std::string path_;
    bool hwmon_ = false;
};

}  // namespace

std::unique_ptr<Collector> make_thermal(const std::string& sys_root) {
    return std::make_unique<Thermal>(sys_root);
}
std::unique_ptr<Collector> make_throttling(const std::string& sys_root) {
    return std::make_unique<Throttling>(sys_root);
}

}  // namespace tributary::agent::sources::metrics
