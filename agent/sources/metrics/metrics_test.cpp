#include "agent/sources/metrics/metrics.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace tributary::agent::sources::metrics {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A copy of one fixture tree (testdata/<name>) in a fresh mkdtemp directory, which the test
// then edits to simulate the next sample.
class Tree {
public:
    explicit Tree(const std::string& fixture) {
        char tmpl[] = "/tmp/trib_metrics_XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        fs::copy(std::string(TRIB_METRICS_TESTDATA) + "/" + fixture, dir_,
                 fs::copy_options::recursive);
    }
    ~Tree() { fs::remove_all(dir_); }

    std::string proc() const { return dir_ + "/proc"; }
    std::string sys() const { return dir_ + "/sys"; }
    std::string path(const std::string& rel) const { return dir_ + "/" + rel; }

    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories(fs::path(path(rel)).parent_path());
        std::ofstream(path(rel), std::ios::trunc) << text;
    }
    std::string read(const std::string& rel) const {
        std::ifstream in(path(rel));
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    void remove(const std::string& rel) const { fs::remove_all(path(rel)); }

    // Adds deltas to the numeric fields of the line whose token `label_index` is `label`
    // ("eth0:" matches "eth0"). Fields count the line's tokens from 0; "eth0:123" is split first.
    void bump(const std::string& rel, const std::string& label, size_t label_index,
              const std::map<size_t, int64_t>& deltas) const {
        std::istringstream in(read(rel));
        std::string line, out;
        while (std::getline(in, line)) {
            if (auto c = line.find(':'); c != std::string::npos) line.insert(c + 1, " ");
            std::istringstream ls(line);
            std::vector<std::string> tok;
            for (std::string t; ls >> t;) tok.push_back(t);
            std::string name = tok.size() > label_index ? tok[label_index] : "";
            if (!name.empty() && name.back() == ':') name.pop_back();
            if (name == label) {
                for (auto [i, d] : deltas) tok.at(i) = std::to_string(std::stoll(tok.at(i)) + d);
                line.clear();
                for (const std::string& t : tok) line += (line.empty() ? "" : " ") + t;
            }
            out += line + "\n";
        }
        write(rel, out);
    }

    // Moves /proc/uptime forward by `seconds`.
    void advance_uptime(double seconds) const {
        std::istringstream in(read("proc/uptime"));
        double up, idle;
        in >> up >> idle;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.2f %.2f\n", up + seconds, idle);
        write("proc/uptime", buf);
    }

private:
    std::string dir_;
};

Options options_for(const Tree& t) {
    Options o;
    o.proc_root = t.proc();
    o.sys_root = t.sys();
    o.device_id = "dev-1";
    o.hostname = "host-1";
    return o;
}

std::unique_ptr<Metrics> make(Options o) {
    auto m = Metrics::create(std::move(o));
    EXPECT_TRUE(m) << m.error().message;
    return std::move(*m);
}

constexpr uint64_t t0 = 1714564800123;  // 2024-05-01T12:00:00.123Z

json sample(Metrics& m, uint64_t now_ms) {
    const std::string s = m.sample(now_ms);
    EXPECT_EQ(s.find('\n'), std::string::npos) << "record must be one line";
    return json::parse(s);
}

const json* find_named(const json& array, const std::string& key, const std::string& name) {
    for (const json& e : array)
        if (e.at(key) == name) return &e;
    return nullptr;
}

// --- create() --------------------------------------------------------------------------

TEST(MetricsCreate, RejectsUnknownGroupAndListsTheValidOnes) {
    Options o;
    o.groups = {"cpu", "gpu"};
    auto m = Metrics::create(o);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, errc::unknown_group);
    EXPECT_NE(m.error().message.find("\"gpu\""), std::string::npos);
    EXPECT_NE(m.error().message.find("cpu, memory, load, disk, filesystem, network, thermal, "
                                     "throttling, uptime, agent"),
              std::string::npos);
}

TEST(MetricsCreate, RejectsNonPositiveInterval) {
    Options o;
    o.interval = std::chrono::milliseconds(0);
    auto m = Metrics::create(o);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, errc::invalid_interval);
}

TEST(MetricsCreate, DeviceDefaultsToHostname) {
    Tree t("machine");
    Options o = options_for(t);
    o.device_id.clear();
    auto m = make(o);
    const json r = sample(*m, t0);
    EXPECT_EQ(r["device"], "host-1");
}

// --- record envelope -----------------------------------------------------------------------

TEST(MetricsRecord, HasIsoTimestampIdentityAndInterval) {
    Tree t("machine");
    Options o = options_for(t);
    o.interval = std::chrono::milliseconds(5000);
    auto m = make(o);
    const json r = sample(*m, t0);
    EXPECT_EQ(r["ts"], "2024-05-01T12:00:00.123Z");
    EXPECT_EQ(r["device"], "dev-1");
    EXPECT_EQ(r["hostname"], "host-1");
    EXPECT_EQ(r["interval_ms"], 5000);
    EXPECT_EQ(m->interval(), std::chrono::milliseconds(5000));
}

TEST(MetricsRecord, FirstSampleHasCountersButNoRates) {
    Tree t("machine");
    auto m = make(options_for(t));
    const json r = sample(*m, t0);
    EXPECT_FALSE(r.contains("elapsed_ms"));
    EXPECT_EQ(r["cpu"]["cores"], 2);
    EXPECT_TRUE(r["cpu"].contains("ctxt_total"));
    EXPECT_FALSE(r["cpu"].contains("total"));
    EXPECT_FALSE(r["cpu"].contains("ctxt_per_s"));
    const json* vda = find_named(r["disk"], "name", "vda");
    ASSERT_NE(vda, nullptr);
    EXPECT_TRUE(vda->contains("reads_total"));
    EXPECT_FALSE(vda->contains("reads_per_s"));
    const json* eth0 = find_named(r["network"], "name", "eth0");
    ASSERT_NE(eth0, nullptr);
    EXPECT_TRUE(eth0->contains("rx_bytes_total"));
    EXPECT_FALSE(eth0->contains("rx_bytes_per_s"));
}

TEST(MetricsRecord, GroupsOptionKeepsOnlyTheNamedGroups) {
    Tree t("machine");
    Options o = options_for(t);
    o.groups = {"load", "uptime"};
    auto m = make(o);
    const json r = sample(*m, t0);
    EXPECT_TRUE(r.contains("load"));
    EXPECT_TRUE(r.contains("uptime"));
    for (const char* g : {"cpu", "memory", "disk", "filesystem", "network"})
        EXPECT_FALSE(r.contains(g)) << g;
}

// --- rates from two samples ----------------------------------------------------------------

TEST(MetricsRates, CpuPercentagesAndContextSwitchesComeFromDeltas) {
    Tree t("machine");
    auto m = make(options_for(t));
    sample(*m, t0);
    // user+nice 100, system+irq+softirq 50, idle 800, iowait 30, steal 20: 1000 jiffies.
    t.bump("proc/stat", "cpu", 0, {{1, 70}, {2, 30}, {3, 40}, {4, 800}, {5, 30}, {7, 10}, {8, 20}});
    t.bump("proc/stat", "cpu0", 0, {{1, 500}, {4, 500}});
    t.bump("proc/stat", "cpu1", 0, {{3, 250}, {4, 750}});
    t.bump("proc/stat", "ctxt", 0, {{1, 12345}});
    t.advance_uptime(10);
    const json r = sample(*m, t0 + 10'000);
    EXPECT_EQ(r["elapsed_ms"], 10000);
    const json& total = r["cpu"]["total"];
    EXPECT_EQ(total["user_pct"], 10);
    EXPECT_EQ(total["system_pct"], 5);
    EXPECT_EQ(total["idle_pct"], 80);
    EXPECT_EQ(total["iowait_pct"], 3);
    EXPECT_EQ(total["steal_pct"], 2);
    EXPECT_EQ(r["cpu"]["ctxt_per_s"], 1234.5);
    ASSERT_EQ(r["cpu"]["per_core"].size(), 2u);
    EXPECT_EQ(r["cpu"]["per_core"][0]["core"], 0);
    EXPECT_EQ(r["cpu"]["per_core"][0]["user_pct"], 50);
    EXPECT_EQ(r["cpu"]["per_core"][0]["idle_pct"], 50);
    EXPECT_EQ(r["cpu"]["per_core"][1]["core"], 1);
    EXPECT_EQ(r["cpu"]["per_core"][1]["system_pct"], 25);
    EXPECT_EQ(r["cpu"]["per_core"][1]["idle_pct"], 75);
}

TEST(MetricsRates, CpuCounterGoingBackwardsCountsAsZeroNotNegative) {
    Tree t("machine");
    auto m = make(options_for(t));
    sample(*m, t0);
    // The kernel's per-CPU iowait can decrease; the other parts still add up to 100 %.
    t.bump("proc/stat", "cpu", 0, {{1, 100}, {4, 100}, {5, -5}});
    t.advance_uptime(1);
    const json r = sample(*m, t0 + 1000);
    EXPECT_EQ(r["cpu"]["total"]["iowait_pct"], 0);
    EXPECT_EQ(r["cpu"]["total"]["user_pct"], 50);
    EXPECT_EQ(r["cpu"]["total"]["idle_pct"], 50);
}

TEST(MetricsRates, DiskRatesComeFromDiskstatsDeltas) {
    Tree t("machine");
    auto m = make(options_for(t));
    sample(*m, t0);
    // reads +100, sectors read +2048 (1 MiB), writes +50, sectors written +4096, io ms +2500.
    t.bump("proc/diskstats", "vda", 2, {{3, 100}, {5, 2048}, {7, 50}, {9, 4096}, {12, 2500}});
    t.advance_uptime(10);
    const json r = sample(*m, t0 + 10'000);
    const json* vda = find_named(r["disk"], "name", "vda");
    ASSERT_NE(vda, nullptr);
    EXPECT_EQ((*vda)["reads_per_s"], 10);
    EXPECT_EQ((*vda)["writes_per_s"], 5);
    EXPECT_EQ((*vda)["read_bytes_per_s"], 104857.6);
    EXPECT_EQ((*vda)["write_bytes_per_s"], 209715.2);
    EXPECT_EQ((*vda)["io_time_pct"], 25);
}

TEST(MetricsRates, NetworkRatesAndIntervalErrorCountsComeFromDeltas) {
    Tree t("machine");
    auto m = make(options_for(t));
    sample(*m, t0);
    // rx bytes +1,000,000, rx packets +1000, rx errs +3, rx drop +1, tx bytes +50,000,
    // tx packets +200, tx drop +2.
    t.bump("proc/net/dev", "eth0", 0,
           {{1, 1'000'000}, {2, 1000}, {3, 3}, {4, 1}, {9, 50'000}, {10, 200}, {12, 2}});
    t.advance_uptime(10);
    const json r = sample(*m, t0 + 10'000);
    const json* eth0 = find_named(r["network"], "name", "eth0");
    ASSERT_NE(eth0, nullptr);
    EXPECT_EQ((*eth0)["rx_bytes_per_s"], 100000);
    EXPECT_EQ((*eth0)["rx_packets_per_s"], 100);
    EXPECT_EQ((*eth0)["tx_bytes_per_s"], 5000);
    EXPECT_EQ((*eth0)["tx_packets_per_s"], 20);
    EXPECT_EQ((*eth0)["rx_errors"], 3);
    EXPECT_EQ((*eth0)["rx_drops"], 1);
    EXPECT_EQ((*eth0)["tx_errors"], 0);
    EXPECT_EQ((*eth0)["tx_drops"], 2);
}

TEST(MetricsRates, CounterResetLeavesThatRateOutInsteadOfGoingNegative) {
    Tree t("machine");
    auto m = make(options_for(t));
    sample(*m, t0);
    t.bump("proc/net/dev", "eth0", 0, {{1, -1000}, {9, 500}});  // rx went backwards
    t.advance_uptime(10);
    const json r = sample(*m, t0 + 10'000);
    const json* eth0 = find_named(r["network"], "name", "eth0");
    ASSERT_NE(eth0, nullptr);
    EXPECT_FALSE(eth0->contains("rx_bytes_per_s"));
    EXPECT_EQ((*eth0)["tx_bytes_per_s"], 50);
}

TEST(MetricsRates, ElapsedTimeComesFromUptimeNotTheWallClock) {
    Tree t("machine");
    auto m = make(options_for(t));
    sample(*m, t0);
    t.bump("proc/net/dev", "eth0", 0, {{9, 1000}});
    t.advance_uptime(10);
    // NTP stepped the clock forward by an hour between the samples.
    const json r = sample(*m, t0 + 3'610'000);
    EXPECT_EQ(r["elapsed_ms"], 10000);
    EXPECT_EQ((*find_named(r["network"], "name", "eth0"))["tx_bytes_per_s"], 100);
}

TEST(MetricsRates, WithoutUptimeTheWallClockTimesTheRates) {
    Tree t("machine");
    t.remove("proc/uptime");
    auto m = make(options_for(t));
    sample(*m, t0);
    t.bump("proc/net/dev", "eth0", 0, {{9, 1000}});
    const json r = sample(*m, t0 + 4000);
    EXPECT_FALSE(r.contains("uptime"));
    EXPECT_EQ((*find_named(r["network"], "name", "eth0"))["tx_bytes_per_s"], 250);
}

// --- gauges ----------------------------------------------------------------------------------

TEST(MetricsGauges, MemoryIsReportedInBytesWithUsedAsTotalMinusAvailable) {
    Tree t("pi");
    auto m = make(options_for(t));
    const json mem = sample(*m, t0)["memory"];
    EXPECT_EQ(mem["total_bytes"], 3885308ull * 1024);
    EXPECT_EQ(mem["available_bytes"], 3349828ull * 1024);
    EXPECT_EQ(mem["used_bytes"], (3885308ull - 3349828) * 1024);
    EXPECT_EQ(mem["free_bytes"], 2811020ull * 1024);
    EXPECT_EQ(mem["buffers_bytes"], 41948ull * 1024);
    EXPECT_EQ(mem["cached_bytes"], (547388ull + 36216) * 1024);  // Cached + SReclaimable
    EXPECT_EQ(mem["swap_total_bytes"], 102396ull * 1024);
    EXPECT_EQ(mem["swap_used_bytes"], 0);
    EXPECT_EQ(mem["used_pct"], 13.78);
}

TEST(MetricsGauges, LoadAndUptimeAreParsed) {
    Tree t("pi");
    auto m = make(options_for(t));
    const json r = sample(*m, t0);
    EXPECT_EQ(r["load"]["load1"], 0.41);
    EXPECT_EQ(r["load"]["load5"], 0.36);
    EXPECT_EQ(r["load"]["load15"], 0.33);
    EXPECT_EQ(r["load"]["tasks_runnable"], 1);
    EXPECT_EQ(r["load"]["tasks_total"], 187);
    EXPECT_EQ(r["uptime"]["seconds"], 18392.27);
}

TEST(MetricsGauges, DiskSkipsLoopRamZramAndPartitionsOfListedDisks) {
    Tree t("pi");
    auto m = make(options_for(t));
    const json r = sample(*m, t0);
    std::vector<std::string> names;
    for (const json& d : r["disk"]) names.push_back(d["name"]);
    // sdb1's disk is not listed, so it stays; dm-10 is not a partition of dm-1.
    EXPECT_EQ(names,
              (std::vector<std::string>{"mmcblk0", "sda", "sdb1", "nvme0n1", "dm-1", "dm-10"}));
    EXPECT_EQ((*find_named(r["disk"], "name", "mmcblk0"))["read_bytes_total"], 1093642ull * 512);
}

TEST(MetricsGauges, LoopbackIsLeftOutUnlessAskedFor) {
    Tree t("pi");
    auto m = make(options_for(t));
    const json without = sample(*m, t0);
    EXPECT_EQ(find_named(without["network"], "name", "lo"), nullptr);
    Options o = options_for(t);
    o.include_loopback = true;
    auto with_lo = make(o);
    const json with = sample(*with_lo, t0);
    const json* lo = find_named(with["network"], "name", "lo");
    ASSERT_NE(lo, nullptr);
    EXPECT_EQ((*lo)["rx_bytes_total"], 93482);
}

TEST(MetricsGauges, ThermalZoneIsReportedInCelsius) {
    Tree t("pi");
    auto m = make(options_for(t));
    const json thermal = sample(*m, t0)["thermal"];
    ASSERT_EQ(thermal.size(), 1u);
    EXPECT_EQ(thermal[0]["zone"], "thermal_zone0");
    EXPECT_EQ(thermal[0]["type"], "cpu-thermal");
    EXPECT_EQ(thermal[0]["celsius"], 48.3);
}

TEST(MetricsGauges, ThrottlingDecodesTheFirmwareBits) {
    Tree t("pi");
    auto m = make(options_for(t));
    const json th = sample(*m, t0)["throttling"];
    EXPECT_EQ(th["source"], "firmware");
    EXPECT_EQ(th["raw"], "0x50005");
    EXPECT_EQ(th["under_voltage"], true);
    EXPECT_EQ(th["freq_capped"], false);
    EXPECT_EQ(th["throttled"], true);
    EXPECT_EQ(th["soft_temp_limit"], false);
    EXPECT_EQ(th["under_voltage_occurred"], true);
    EXPECT_EQ(th["freq_capped_occurred"], false);
    EXPECT_EQ(th["throttled_occurred"], true);
    EXPECT_EQ(th["soft_temp_limit_occurred"], false);
}

TEST(MetricsGauges, ThrottlingFallsBackToTheHwmonUnderVoltageAlarm) {
    Tree t("pi");
    t.remove("sys/devices");
    t.write("sys/class/hwmon/hwmon0/name", "cpu_thermal\n");
    t.write("sys/class/hwmon/hwmon1/name", "rpi_volt\n");
    t.write("sys/class/hwmon/hwmon1/in0_lcrit_alarm", "1\n");
    auto m = make(options_for(t));
    const json th = sample(*m, t0)["throttling"];
    EXPECT_EQ(th["source"], "hwmon");
    EXPECT_EQ(th["under_voltage"], true);
    EXPECT_FALSE(th.contains("raw"));
}

TEST(MetricsGauges, MachineWithoutSensorsHasNoThermalOrThrottlingGroup) {
    Tree t("machine");
    auto m = make(options_for(t));
    const json r = sample(*m, t0);
    EXPECT_FALSE(r.contains("thermal"));
    EXPECT_FALSE(r.contains("throttling"));
}

TEST(MetricsGauges, FilesystemReportsRealMountsOnceEach) {
    Tree t("machine");
    fs::create_directories(t.path("data/with space"));
    const std::string data = t.path("data"), spaced = t.path("data/with\\040space");
    // One wanted mount per kind, then every kind of mount that must be left out.
    const std::vector<std::string> lines = {
        "/dev/sda1 " + data + " ext4 rw 0 0",
        "/dev/sdb1 " + spaced + " vfat rw 0 0",
        "tmpfs /tmp tmpfs rw 0 0",
        "/dev/sda1 " + t.path("proc") + " ext4 rw 0 0",  // bind mount of the same device
        "proc /proc proc rw 0 0",
        "tmpfs /run tmpfs rw 0 0",
        "tmpfs " + data + " tmpfs rw 0 0",
        "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0",
        "server:/export " + data + " nfs4 rw 0 0",
        "overlay " + data + " overlay rw 0 0",
    };
    std::string mounts_file;
    for (const std::string& l : lines) mounts_file += l + "\n";
    t.write("proc/self/mounts", mounts_file);
    auto m = make(options_for(t));
    const json fsys = sample(*m, t0)["filesystem"];
    std::vector<std::string> mounts;
    for (const json& f : fsys) mounts.push_back(f["mount"]);
    EXPECT_EQ(mounts, (std::vector<std::string>{data, data + "/with space", "/tmp"}));
    struct statvfs st {};
    ASSERT_EQ(::statvfs(data.c_str(), &st), 0);
    EXPECT_EQ(fsys[0]["device"], "/dev/sda1");
    EXPECT_EQ(fsys[0]["type"], "ext4");
    EXPECT_EQ(fsys[0]["size_bytes"], uint64_t(st.f_blocks) * st.f_frsize);
    EXPECT_GE(fsys[0]["used_pct"].get<double>(), 0);
    EXPECT_LE(fsys[0]["used_pct"].get<double>(), 100);
    EXPECT_EQ(fsys[2]["type"], "tmpfs");
}

// --- robustness --------------------------------------------------------------------------

TEST(MetricsRobustness, MissingFilesLeaveTheirGroupsOutOfAValidRecord) {
    Tree t("machine");
    for (const char* f : {"proc/stat", "proc/meminfo", "proc/diskstats", "proc/net", "proc/self"})
        t.remove(f);
    auto m = make(options_for(t));
    sample(*m, t0);
    t.advance_uptime(10);
    const json r = sample(*m, t0 + 10'000);
    for (const char* g : {"cpu", "memory", "disk", "network", "filesystem"})
        EXPECT_FALSE(r.contains(g)) << g;
    EXPECT_TRUE(r.contains("load"));
    EXPECT_TRUE(r.contains("uptime"));
}

TEST(MetricsRobustness, UnparsableFilesLeaveTheirGroupsOut) {
    Tree t("machine");
    t.write("proc/stat", "cpu  12 abc 7\nctxt 5\n");
    t.write("proc/meminfo", "garbage\n");
    t.write("proc/loadavg", "0.1 0.2\n");
    t.write("proc/diskstats", "   8 0 sda 1 2 x\n");
    t.write("proc/net/dev", "h\nh\n eth0: 1 2 3\n");
    auto m = make(options_for(t));
    const json r = sample(*m, t0);
    for (const char* g : {"cpu", "memory", "load", "disk", "network"})
        EXPECT_FALSE(r.contains(g)) << g;
}

TEST(MetricsRobustness, GroupRecoversOnceItsFileReturns) {
    Tree t("machine");
    const std::string stat = t.read("proc/stat");
    t.remove("proc/stat");
    auto m = make(options_for(t));
    EXPECT_FALSE(sample(*m, t0).contains("cpu"));
    t.write("proc/stat", stat);
    const json r = sample(*m, t0 + 10'000);
    ASSERT_TRUE(r.contains("cpu"));
    EXPECT_FALSE(r["cpu"].contains("total")) << "the returning file primes again";
}

// --- agent group ---------------------------------------------------------------------------

TEST(MetricsAgent, CountersObjectIsEmbedded) {
    Tree t("machine");
    Options o = options_for(t);
    o.agent_counters = [] { return std::string(R"({"records_sent_total":42})"); };
    auto m = make(o);
    EXPECT_EQ(sample(*m, t0)["agent"]["records_sent_total"], 42);
}

TEST(MetricsAgent, PrettyPrintedCountersAreMadeCompact) {
    Tree t("machine");
    Options o = options_for(t);
    o.agent_counters = [] { return std::string("{\n  \"errors_total\": 1\n}\n"); };
    auto m = make(o);
    EXPECT_EQ(sample(*m, t0)["agent"]["errors_total"], 1);  // sample() checks for newlines
}

TEST(MetricsAgent, InvalidOrThrowingCountersAreLeftOut) {
    Tree t("machine");
    for (std::function<std::string()> f :
         {std::function<std::string()>([] { return std::string("{\"a\":"); }),
          std::function<std::string()>([] { return std::string("[1,2]"); }),
          std::function<std::string()>([] { return std::string(); }),
          std::function<std::string()>([]() -> std::string { throw std::runtime_error("x"); })}) {
        Options o = options_for(t);
        o.agent_counters = f;
        auto m = make(o);
        EXPECT_FALSE(sample(*m, t0).contains("agent"));
    }
}

// --- the real machine ---------------------------------------------------------------------

TEST(MetricsRealProc, GivesAPlausibleRecord) {
    Options o;
    o.interval = std::chrono::milliseconds(100);
    auto m = make(o);
    sample(*m, t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json r = sample(*m, t0 + 100);

    EXPECT_FALSE(r["hostname"].get<std::string>().empty());
    EXPECT_GT(r["elapsed_ms"].get<double>(), 0);
    const json& cpu = r["cpu"];
    EXPECT_GE(cpu["cores"].get<int>(), 1);
    const json& total = cpu["total"];
    double sum = 0;
    for (const char* k : {"user_pct", "system_pct", "iowait_pct", "idle_pct", "steal_pct"}) {
        EXPECT_GE(total[k].get<double>(), 0) << k;
        EXPECT_LE(total[k].get<double>(), 100) << k;
        sum += total[k].get<double>();
    }
    EXPECT_NEAR(sum, 100, 0.1);
    EXPECT_GT(r["memory"]["total_bytes"].get<uint64_t>(), 64ull << 20);
    EXPECT_LE(r["memory"]["available_bytes"].get<uint64_t>(),
              r["memory"]["total_bytes"].get<uint64_t>());
    EXPECT_GE(r["load"]["load1"].get<double>(), 0);
    EXPECT_GE(r["load"]["tasks_total"].get<uint64_t>(),
              r["load"]["tasks_runnable"].get<uint64_t>());
    EXPECT_GT(r["uptime"]["seconds"].get<double>(), 0);
    EXPECT_TRUE(r["disk"].is_array());
    EXPECT_TRUE(r["network"].is_array());
    ASSERT_TRUE(r["filesystem"].is_array());
    for (const json& f : r["filesystem"]) {
        EXPECT_GT(f["size_bytes"].get<uint64_t>(), 0u) << f.dump();
        EXPECT_LE(f["used_bytes"].get<uint64_t>(), f["size_bytes"].get<uint64_t>()) << f.dump();
    }
}

}  // namespace
}  // namespace tributary::agent::sources::metrics
