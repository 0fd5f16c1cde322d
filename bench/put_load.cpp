// bench_put_load: a PutRecords load generator for any Kinesis endpoint (tributary-collector,
// kinesalite), and with --mode getrecords a one-shard GetRecords read-throughput meter.
//
// One thread per connection, each with a blocking keep-alive socket and a PutRecords request
// built once (random base64 data, partition keys distinct across records and connections so the
// records spread over the shards). The figures cover the requests that complete inside the
// measured window, after a warm-up. The last line is machine-readable (`RESULT key=value ...`)
// for bench/run.sh.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/http_client.h"
#include "bench/json_scan.h"
#include "shared/encoding/base64.h"

namespace tributary::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    Endpoint endpoint;
    std::string mode = "put";
    int connections = 8;
    double seconds = 10;
    double warmup = 1;
    int records = 500;
    int record_bytes = 1024;
    std::string stream = "bench";
    std::optional<int> shards;  // default: 16 for put, 1 for getrecords
    long load_records = 200000;  // getrecords: records loaded before reading
    int limit = 10000;           // getrecords: Limit per call
};

const char* kUsage =
    "usage: bench_put_load --endpoint IP:PORT [--mode put|getrecords] [--connections C]\n"
    "         [--seconds S] [--warmup S] [--records N] [--record-bytes B] [--stream NAME]\n"
    "         [--shards N] [--load-records N] [--limit N]\n";

std::optional<Options> parse_args(int argc, char** argv) {
    Options o;
    bool have_endpoint = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        std::string v;
        if (auto eq = a.find('='); eq != std::string::npos) {
            v = a.substr(eq + 1);
            a.resize(eq);
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            std::fprintf(stderr, "missing value for %s\n%s", a.c_str(), kUsage);
            return std::nullopt;
        }
        if (a == "--endpoint") {
            auto ep = parse_endpoint(v);
            if (!ep) {
                std::fprintf(stderr, "%s\n", ep.error().message.c_str());
                return std::nullopt;
            }
            o.endpoint = *ep;
            have_endpoint = true;
        } else if (a == "--mode") o.mode = v;
        else if (a == "--connections") o.connections = std::atoi(v.c_str());
        else if (a == "--seconds") o.seconds = std::atof(v.c_str());
        else if (a == "--warmup") o.warmup = std::atof(v.c_str());
        else if (a == "--records") o.records = std::atoi(v.c_str());
        else if (a == "--record-bytes") o.record_bytes = std::atoi(v.c_str());
        else if (a == "--stream") o.stream = v;
        else if (a == "--shards") o.shards = std::atoi(v.c_str());
        else if (a == "--load-records") o.load_records = std::atol(v.c_str());
        else if (a == "--limit") o.limit = std::atoi(v.c_str());
        else {
            std::fprintf(stderr, "unknown option %s\n%s", a.c_str(), kUsage);
            return std::nullopt;
        }
    }
    if (!have_endpoint || (o.mode != "put" && o.mode != "getrecords") || o.connections < 1 ||
        o.seconds <= 0 || o.warmup < 0 || o.records < 1 || o.records > 500 ||
        o.record_bytes < 1 || (o.shards && *o.shards < 1) || o.limit < 1) {
        std::fprintf(stderr, "%s", kUsage);
        return std::nullopt;
    }
    return o;
}

// CPU seconds (user + system) this process has used so far: the client's own share of the
// 2 cores, printed so a reader can see whether the load generator competed with the server.
double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string put_records_body(const Options& o, int conn) {
    std::mt19937_64 rng(0x7269627574617279ULL + static_cast<uint64_t>(conn));
    std::string data(static_cast<size_t>(o.record_bytes), '\0');
    std::string body = "{\"StreamName\":" + json_quote(o.stream) + ",\"Records\":[";
    body.reserve(static_cast<size_t>(o.records) * (o.record_bytes * 4 / 3 + 64));
    for (int i = 0; i < o.records; ++i) {
        for (auto& c : data) c = static_cast<char>(rng());
        if (i) body += ',';
        body += "{\"Data\":\"";
        encoding::base64_encode_append(data, body);
        body += "\",\"PartitionKey\":\"pk-" + std::to_string(conn) + "-" + std::to_string(i) +
                "\"}";
    }
    body += "]}";
    return body;
}

// Short description of a failed answer for the error summary.
std::string describe(const Response& r) {
    std::string s = "HTTP " + std::to_string(r.status);
    if (auto type = json_string(r.body, "__type")) s += " " + *type;
    return s;
}

// CreateStream (an existing stream is reused), then wait until it is ACTIVE, asking
// DescribeStreamSummary and falling back to DescribeStream where it is unknown.
bool ensure_stream(const Options& o, int shards) {
    HttpConn conn(o.endpoint);
    Response r;
    std::string body = "{\"StreamName\":" + json_quote(o.stream) +
                       ",\"ShardCount\":" + std::to_string(shards) + "}";
    auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {  // the server may still be starting
        auto rt = conn.roundtrip(build_request(o.endpoint, "CreateStream", body), r);
        if (rt) break;
        if (Clock::now() > deadline) {
            std::fprintf(stderr, "CreateStream: %s\n", rt.error().message.c_str());
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (r.status != 200 && json_string(r.body, "__type").value_or("").find(
                               "ResourceInUseException") == std::string::npos) {
        std::fprintf(stderr, "CreateStream: %s %s\n", describe(r).c_str(), r.body.c_str());
        return false;
    }
    std::string describe_action = "DescribeStreamSummary";
    std::string name_body = "{\"StreamName\":" + json_quote(o.stream) + "}";
    while (Clock::now() < deadline) {
        auto rt = conn.roundtrip(build_request(o.endpoint, describe_action, name_body), r);
        if (rt && r.status == 200 && json_string(r.body, "StreamStatus") == "ACTIVE") return true;
        if (rt && r.status != 200 && describe_action == "DescribeStreamSummary" &&
            describe(r).find("UnknownOperation") != std::string::npos) {
            describe_action = "DescribeStream";
            continue;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "stream %s did not become ACTIVE within 30 s (last: %s)\n",
                 o.stream.c_str(), describe(r).c_str());
    return false;
}

struct Stats {
    uint64_t requests = 0;
    uint64_t ok_records = 0;
    uint64_t failed_records = 0;
    uint64_t http_errors = 0;       // non-200 answers or answers without FailedRecordCount
    uint64_t transport_errors = 0;  // connect/send/recv failures, malformed HTTP
    std::vector<uint32_t> latency_us;
    std::string first_error;

    void merge(const Stats& s) {
        requests += s.requests;
        ok_records += s.ok_records;
        failed_records += s.failed_records;
        http_errors += s.http_errors;
        transport_errors += s.transport_errors;
        latency_us.insert(latency_us.end(), s.latency_us.begin(), s.latency_us.end());
        if (first_error.empty()) first_error = s.first_error;
    }
};

// Sends PutRecords on one connection until `stop` (a time) or, when `budget` is given, until the
// shared record budget is spent. Counts requests that complete inside [window_begin, stop].
void put_worker(const Options& o, int conn_index, Clock::time_point window_begin,
                Clock::time_point stop, std::atomic<long>* budget, Stats& st) {
    HttpConn conn(o.endpoint);
    const std::string request =
        build_request(o.endpoint, "PutRecords", put_records_body(o, conn_index));
    Response r;
    st.latency_us.reserve(1 << 16);
    for (;;) {
        auto t0 = Clock::now();
        if (t0 >= stop) break;
        if (budget && budget->fetch_sub(o.records) <= 0) break;
        auto rt = conn.roundtrip(request, r);
        auto t1 = Clock::now();
        bool counted = t1 >= window_begin && t1 <= stop;
        std::string error;
        uint64_t failed = 0;
        if (!rt) {
            error = rt.error().message;
            if (counted) ++st.transport_errors;
        } else if (auto f = json_int(r.body, "FailedRecordCount"); r.status != 200 || !f) {
            error = describe(r);
            failed = static_cast<uint64_t>(o.records);
            if (counted) ++st.http_errors;
        } else {
            failed = static_cast<uint64_t>(*f);
        }
        if (!error.empty() && st.first_error.empty()) st.first_error = error;
        if (failed > 0 && rt && st.first_error.empty()) st.first_error = r.body.substr(0, 300);
        if (counted) {
            ++st.requests;
            st.failed_records += failed;
            if (rt) st.ok_records += static_cast<uint64_t>(o.records) - failed;
            st.latency_us.push_back(static_cast<uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
        }
        if (!rt) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

double percentile_ms(std::vector<uint32_t>& v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t i = static_cast<size_t>(q * static_cast<double>(v.size()));
    return v[std::min(i, v.size() - 1)] / 1000.0;
}

// Runs the load on all connections; returns the merged stats and the measured seconds.
Stats run_load(const Options& o, double warmup, double seconds, std::atomic<long>* budget,
               double& measured) {
    auto start = Clock::now();
    auto window_begin = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(warmup));
    auto stop = window_begin + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(seconds));
    std::vector<Stats> per(static_cast<size_t>(o.connections));
    std::vector<std::thread> threads;
    for (int c = 0; c < o.connections; ++c)
        threads.emplace_back(put_worker, std::cref(o), c, window_begin, stop, budget,
                             std::ref(per[static_cast<size_t>(c)]));
    for (auto& t : threads) t.join();
    measured = budget ? since(window_begin) : seconds;
    Stats all;
    for (auto& s : per) all.merge(s);
    return all;
}

int run_put(const Options& o) {
    if (!ensure_stream(o, o.shards.value_or(16))) return 1;
    double secs = 0;
    auto wall0 = Clock::now();
    double cpu0 = cpu_seconds();
    Stats s = run_load(o, o.warmup, o.seconds, nullptr, secs);
    double client_cpu = (cpu_seconds() - cpu0) / since(wall0) * 100;
    double rps = static_cast<double>(s.ok_records) / secs;
    double mbps = rps * o.record_bytes / 1e6;
    double p50 = percentile_ms(s.latency_us, 0.50), p99 = percentile_ms(s.latency_us, 0.99);
    double max = percentile_ms(s.latency_us, 1.0);
    std::printf("PutRecords: %d connections x %d records x %d B, %.1f s measured\n",
                o.connections, o.records, o.record_bytes, secs);
    std::printf("  records/s  %.0f (successful)\n  MB/s       %.1f (record payload, 1 MB = 1e6 B)\n",
                rps, mbps);
    std::printf("  latency    p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%lu requests)\n", p50, p99,
                max, static_cast<unsigned long>(s.requests));
    std::printf("  errors     %lu http, %lu transport, %lu failed records\n",
                static_cast<unsigned long>(s.http_errors),
                static_cast<unsigned long>(s.transport_errors),
                static_cast<unsigned long>(s.failed_records));
    std::printf("  client CPU %.0f %% of one core\n", client_cpu);
    if (!s.first_error.empty()) std::printf("  first error: %s\n", s.first_error.c_str());
    std::printf("RESULT mode=put records_per_s=%.0f mb_per_s=%.2f p50_ms=%.2f p99_ms=%.2f "
                "max_ms=%.2f client_cpu_pct=%.0f requests=%lu http_errors=%lu "
                "transport_errors=%lu failed_records=%lu\n",
                rps, mbps, p50, p99, max, client_cpu, static_cast<unsigned long>(s.requests),
                static_cast<unsigned long>(s.http_errors),
                static_cast<unsigned long>(s.transport_errors),
                static_cast<unsigned long>(s.failed_records));
    return s.ok_records > 0 ? 0 : 1;
}

int run_getrecords(const Options& o) {
    if (!ensure_stream(o, o.shards.value_or(1))) return 1;
    std::atomic<long> budget{o.load_records};
    double load_secs = 0;
    Stats load = run_load(o, 0, 600, &budget, load_secs);
    std::printf("loaded %lu records (%lu failed) in %.1f s\n",
                static_cast<unsigned long>(load.ok_records),
                static_cast<unsigned long>(load.failed_records), load_secs);
    std::fflush(stdout);  // a profiler attached for the read phase waits for this line

    HttpConn conn(o.endpoint);
    Response r;
    std::string body = "{\"StreamName\":" + json_quote(o.stream) +
                       ",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}";
    auto rt = conn.roundtrip(build_request(o.endpoint, "GetShardIterator", body), r);
    auto iterator = rt && r.status == 200 ? json_string(r.body, "ShardIterator") : std::nullopt;
    if (!iterator) {
        std::fprintf(stderr, "GetShardIterator: %s %s\n",
                     rt ? describe(r).c_str() : rt.error().message.c_str(), r.body.c_str());
        return 1;
    }
    uint64_t records = 0, bytes = 0, calls = 0, errors = 0;
    std::vector<uint32_t> latency_us;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(o.seconds));
    double elapsed = 0;
    while (Clock::now() < deadline) {
        std::string req_body = "{\"ShardIterator\":" + json_quote(*iterator) +
                               ",\"Limit\":" + std::to_string(o.limit) + "}";
        auto t0 = Clock::now();
        rt = conn.roundtrip(build_request(o.endpoint, "GetRecords", req_body), r);
        auto t1 = Clock::now();
        ++calls;
        if (!rt || r.status != 200) {
            ++errors;
            std::fprintf(stderr, "GetRecords: %s\n",
                         rt ? (describe(r) + " " + r.body.substr(0, 300)).c_str()
                            : rt.error().message.c_str());
            if (errors > 10) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        latency_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
        uint64_t n = 0;
        for (size_t p = 0;;) {
            p = json_value_pos(r.body, "Data", p);
            if (p == std::string_view::npos) break;
            auto data = json_raw_string_at(r.body, p, &p);
            if (!data) break;
            size_t pad = data->size() >= 2 ? (data->end()[-1] == '=') + (data->end()[-2] == '=')
                                           : 0;
            bytes += data->size() / 4 * 3 - pad;
            ++n;
        }
        records += n;
        if (n > 0) elapsed = since(start);
        auto behind = json_int(r.body, "MillisBehindLatest");
        auto next = json_string(r.body, "NextShardIterator");
        if (!next || (n == 0 && behind.value_or(0) == 0)) break;  // closed or caught up
        iterator = std::move(next);
    }
    if (elapsed <= 0) elapsed = since(start);
    double mbps = static_cast<double>(bytes) / elapsed / 1e6;
    double rps = static_cast<double>(records) / elapsed;
    double p50 = percentile_ms(latency_us, 0.5), max = percentile_ms(latency_us, 1.0);
    std::printf("GetRecords from shardId-000000000000: %lu records, %.1f MB in %.2f s, %lu calls\n",
                static_cast<unsigned long>(records), bytes / 1e6, elapsed,
                static_cast<unsigned long>(calls));
    std::printf("  MB/s       %.1f (record data)\n  records/s  %.0f\n"
                "  call latency p50 %.2f ms  max %.2f ms\n",
                mbps, rps, p50, max);
    std::printf("RESULT mode=getrecords mb_per_s=%.2f records_per_s=%.0f records=%lu "
                "loaded=%lu calls=%lu p50_ms=%.2f max_ms=%.2f errors=%lu\n",
                mbps, rps, static_cast<unsigned long>(records),
                static_cast<unsigned long>(load.ok_records), static_cast<unsigned long>(calls),
                p50, max, static_cast<unsigned long>(errors));
    return records > 0 && errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tributary::bench

int main(int argc, char** argv) {
    auto o = tributary::bench::parse_args(argc, argv);
    if (!o) return 2;
    return o->mode == "put" ? tributary::bench::run_put(*o) : tributary::bench::run_getrecords(*o);
}
