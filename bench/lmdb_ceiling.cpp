// bench_lmdb_ceiling: the durable append rate this machine's disk allows LMDB, the ceiling any
// LMDB-backed Kinesis store is measured against.
//
// A fresh environment in a temporary directory (on the filesystem that holds the data), 1 KiB
// values under 16-byte big-endian keys appended with MDB_APPEND in batches of 1,000 per write
// transaction, each committed durably (LMDB's default: fdatasync of the data pages, then of the
// meta page). Then the physical limit: the median latency of 200 fdatasync()s after a 4 KiB
// write. The directory is removed at the end. The last line is `RESULT key=value ...`.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "shared/lmdb/lmdb.h"

namespace tributary::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string dir = "/tmp";  // parent of the temporary environment
    double seconds = 5;
    int batch = 1000;
    int value_bytes = 1024;
};

double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

struct AppendResult {
    uint64_t records = 0;
    double seconds = 0;
    std::vector<double> commit_us;
};

Result<AppendResult> append_for(const std::string& dir, const Options& o) {
    lmdb::EnvOptions eo;
    eo.map_size = size_t(64) << 30;  // sparse; only what is written takes disk space
    eo.sync = true;
    TRIB_TRY(lmdb::Env env, lmdb::Env::open(dir, eo));
    MDB_dbi dbi;
    {
        TRIB_TRY(lmdb::Txn txn, lmdb::Txn::begin_write(env));
        TRIB_TRY(dbi, lmdb::open_db(txn, "records"));
        TRIB_TRY_VOID(txn.commit());
    }
    // A pool of random values, so the pages are not trivially compressible by any layer below.
    std::mt19937_64 rng(42);
    std::vector<std::string> values(64, std::string(static_cast<size_t>(o.value_bytes), '\0'));
    for (auto& v : values)
        for (auto& c : v) c = static_cast<char>(rng());

    AppendResult res;
    char key[16] = {};
    lmdb::put_be64(key, 1);  // shard-like prefix; the sequence number follows
    auto start = Clock::now();
    auto stop = start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(o.seconds));
    while (Clock::now() < stop) {
        TRIB_TRY(lmdb::Txn txn, lmdb::Txn::begin_write(env));
        {
            TRIB_TRY(lmdb::Cursor cur, lmdb::Cursor::open(txn, dbi));
            for (int i = 0; i < o.batch; ++i) {
                lmdb::put_be64(key + 8, res.records + static_cast<uint64_t>(i));
                TRIB_TRY_VOID(cur.put(std::string_view(key, sizeof key),
                                      values[(res.records + static_cast<uint64_t>(i)) % 64],
                                      MDB_APPEND));
            }
        }
        auto c0 = Clock::now();
        TRIB_TRY_VOID(txn.commit());
        res.commit_us.push_back(micros(Clock::now() - c0));
        res.records += static_cast<uint64_t>(o.batch);
    }
    res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return res;
}

// Median of 200 x (4 KiB pwrite + fdatasync) on one file in `dir`, in microseconds.
std::vector<double> fdatasync_latencies(const std::string& dir) {
    std::string path = dir + "/fsync.probe";
    std::vector<double> lat;
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::perror("open fsync probe");
        return lat;
    }
    std::vector<char> block(4096, 'x');
    for (int i = 0; i < 200; ++i) {
        block[0] = static_cast<char>(i);
        auto t0 = Clock::now();
        if (::pwrite(fd, block.data(), block.size(), 0) != static_cast<ssize_t>(block.size()) ||
            ::fdatasync(fd) != 0) {
            std::perror("pwrite/fdatasync");
            break;
        }
        lat.push_back(micros(Clock::now() - t0));
    }
    ::close(fd);
    return lat;
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--dir") o.dir = v;
        else if (a == "--seconds") o.seconds = std::atof(v.c_str());
        else if (a == "--batch") o.batch = std::atoi(v.c_str());
        else if (a == "--value-bytes") o.value_bytes = std::atoi(v.c_str());
        else return false;
    }
    return argc % 2 == 1 && o.seconds > 0 && o.batch > 0 && o.value_bytes > 0;
}

}  // namespace
}  // namespace tributary::bench

int main(int argc, char** argv) {
    using namespace tributary::bench;
    Options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr, "usage: bench_lmdb_ceiling [--dir PARENT] [--seconds S] "
                             "[--batch N] [--value-bytes B]\n");
        return 2;
    }
    std::string tmpl = o.dir + "/trib-lmdb-ceiling.XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
        std::perror(("mkdtemp " + tmpl).c_str());
        return 1;
    }
    const std::string dir = tmpl;
    auto res = append_for(dir, o);
    auto sync_us = fdatasync_latencies(dir);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (!res) {
        std::fprintf(stderr, "lmdb: %s\n", res.error().message.c_str());
        return 1;
    }
    double rps = static_cast<double>(res->records) / res->seconds;
    double mbps = rps * o.value_bytes / 1e6;
    double commit_p50 = median(res->commit_us) / 1000, commit_p99 = quantile(res->commit_us, 0.99) / 1000;
    double sync_p50 = median(sync_us);
    std::printf("LMDB durable append in %s: %lu records in %.2f s, batches of %d x %d B\n",
                o.dir.c_str(), static_cast<unsigned long>(res->records), res->seconds, o.batch,
                o.value_bytes);
    std::printf("  records/s  %.0f\n  MB/s       %.1f (values, 1 MB = 1e6 B)\n", rps, mbps);
    std::printf("  commit     p50 %.2f ms  p99 %.2f ms  (%zu commits)\n", commit_p50, commit_p99,
                res->commit_us.size());
    std::printf("  fdatasync  p50 %.0f us (4 KiB write, %zu samples): at most %.0f commits/s\n",
                sync_p50, sync_us.size(), sync_p50 > 0 ? 1e6 / sync_p50 : 0);
    std::printf("RESULT mode=lmdb records_per_s=%.0f mb_per_s=%.2f commit_p50_ms=%.2f "
                "commit_p99_ms=%.2f fdatasync_p50_us=%.0f\n",
                rps, mbps, commit_p50, commit_p99, sync_p50);
    return 0;
}
