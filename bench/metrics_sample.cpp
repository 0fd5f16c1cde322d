// bench_metrics_sample: the cost of one metrics record (agent/sources/metrics) on this machine,
// from the real /proc and /sys: wall and CPU microseconds per sample() for all groups and for
// each group alone, and the record size. Samples are spaced 20 ms apart so that /proc/uptime
// advances and every record carries its rates, as in production; only sample() is timed.
//
//   bench_metrics_sample [samples, default 100]

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "agent/sources/metrics/metrics.h"

namespace {

using namespace tributary::agent::sources::metrics;
using Clock = std::chrono::steady_clock;

double cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
           ru.ru_stime.tv_usec;
}

void run(const char* label, std::vector<std::string> groups, int samples) {
    Options o;
    o.groups = std::move(groups);
    o.agent_counters = [] { return std::string(R"({"records_sent_total":1})"); };
    auto m = Metrics::create(o);
    if (!m) {
        std::fprintf(stderr, "%s\n", m.error().message.c_str());
        std::exit(1);
    }
    (*m)->sample(0);  // primes the rates
    double wall = 0, cpu = 0;
    size_t bytes = 0;
    for (int i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const double c0 = cpu_us();
        const auto t0 = Clock::now();
        bytes = (*m)->sample(uint64_t(i + 1) * 20).size();
        wall += std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        cpu += cpu_us() - c0;
    }
    std::printf("%-12s %9.1f %9.1f %8zu\n", label, wall / samples, cpu / samples, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    const int samples = argc > 1 ? std::atoi(argv[1]) : 100;
    std::printf("%-12s %9s %9s %8s\n", "groups", "wall_us", "cpu_us", "bytes");
    run("all", {}, samples);
    for (std::string_view g : all_groups())
        run(std::string(g).c_str(), {std::string(g)}, samples / 4 + 1);
    return 0;
}
