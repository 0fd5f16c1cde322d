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
#include <memory>
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
    bool writemap = false;  // MDB_WRITEMAP: commit msyncs the map instead of writev'ing pages
    // --shards N: keys (shard, seq) with consecutive records going round-robin to N shards in
    // one database, as a store keyed by shard receives them. Only the last shard's inserts are
    // at the end of the tree, so MDB_APPEND is off and LMDB splits full pages in the middle.
    int shards = 0;
    // --dbi-per-shard: the same round-robin, but each shard in its own named database, where
    // every insert is at the end and MDB_APPEND applies again.
    bool dbi_per_shard = false;
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
    uint64_t bytes_used = 0;  // pages in use at the end x page size
    uint64_t records = 0;
    double seconds = 0;
    std::vector<double> commit_us;
};

// Closes the environment however append_for() leaves.
struct EnvCloser {
    void operator()(MDB_env* e) const { mdb_env_close(e); }
};

// Raw LMDB rather than lmdb::Env, whose options cannot ask for MDB_WRITEMAP.
Result<AppendResult> append_for(const std::string& dir, const Options& o) {
    MDB_env* raw = nullptr;
    if (int rc = mdb_env_create(&raw)) return lmdb::fail_rc(rc, "mdb_env_create");
    std::unique_ptr<MDB_env, EnvCloser> env(raw);
    // Sparse; only what is written takes disk space (with MDB_WRITEMAP the file's apparent
    // size is the whole map).
    if (int rc = mdb_env_set_mapsize(raw, size_t(64) << 30)) return lmdb::fail_rc(rc, "mapsize");
    const int ndbi = o.dbi_per_shard ? o.shards : 1;
    if (int rc = mdb_env_set_maxdbs(raw, static_cast<MDB_dbi>(ndbi + 1)))
        return lmdb::fail_rc(rc, "maxdbs");
    unsigned flags = MDB_NOTLS | (o.writemap ? MDB_WRITEMAP : 0u);  // durable: no NOSYNC
    if (int rc = mdb_env_open(raw, dir.c_str(), flags, 0600)) return lmdb::fail_rc(rc, dir);
    MDB_txn* txn = nullptr;
    std::vector<MDB_dbi> dbis(static_cast<size_t>(ndbi));
    if (int rc = mdb_txn_begin(raw, nullptr, 0, &txn)) return lmdb::fail_rc(rc, "txn_begin");
    for (int d = 0; d < ndbi; ++d) {
        std::string name = "records-" + std::to_string(d);
        if (int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &dbis[size_t(d)])) {
            mdb_txn_abort(txn);
            return lmdb::fail_rc(rc, "dbi_open");
        }
    }
    if (int rc = mdb_txn_commit(txn)) return lmdb::fail_rc(rc, "commit");

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
        if (int rc = mdb_txn_begin(raw, nullptr, 0, &txn)) return lmdb::fail_rc(rc, "txn_begin");
        std::vector<MDB_cursor*> curs(dbis.size(), nullptr);
        int rc = 0;
        for (size_t d = 0; rc == 0 && d < dbis.size(); ++d) rc = mdb_cursor_open(txn, dbis[d], &curs[d]);
        const bool append = o.shards == 0 || o.dbi_per_shard;
        for (int i = 0; rc == 0 && i < o.batch; ++i) {
            uint64_t seq = res.records + static_cast<uint64_t>(i);
            size_t d = 0;
            if (o.shards > 0) {
                auto n = static_cast<uint64_t>(o.shards);
                lmdb::put_be64(key, seq % n);
                lmdb::put_be64(key + 8, seq / n);
                if (o.dbi_per_shard) d = seq % n;
            } else {
                lmdb::put_be64(key + 8, seq);
            }
            MDB_val k{sizeof key, key};
            MDB_val v = lmdb::val(values[seq % 64]);
            rc = mdb_cursor_put(curs[d], &k, &v, append ? MDB_APPEND : 0u);
        }
        for (auto* c : curs)
            if (c) mdb_cursor_close(c);
        if (rc) {
            mdb_txn_abort(txn);
            return lmdb::fail_rc(rc, "append");
        }
        auto c0 = Clock::now();
        if ((rc = mdb_txn_commit(txn))) return lmdb::fail_rc(rc, "commit");
        res.commit_us.push_back(micros(Clock::now() - c0));
        res.records += static_cast<uint64_t>(o.batch);
    }
    res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    MDB_envinfo info{};
    MDB_stat st{};
    mdb_env_info(raw, &info);
    mdb_env_stat(raw, &st);
    res.bytes_used = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
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
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--writemap" || a == "--dbi-per-shard") {
            (a == "--writemap" ? o.writemap : o.dbi_per_shard) = true;
            continue;
        }
        if (i + 1 == argc) return false;
        std::string v = argv[++i];
        if (a == "--dir") o.dir = v;
        else if (a == "--seconds") o.seconds = std::atof(v.c_str());
        else if (a == "--batch") o.batch = std::atoi(v.c_str());
        else if (a == "--shards") o.shards = std::atoi(v.c_str());
        else if (a == "--value-bytes") o.value_bytes = std::atoi(v.c_str());
        else return false;
    }
    return o.seconds > 0 && o.batch > 0 && o.value_bytes > 0 && o.shards >= 0 &&
           (!o.dbi_per_shard || o.shards > 0);
}

}  // namespace
}  // namespace tributary::bench

int main(int argc, char** argv) {
    using namespace tributary::bench;
    Options o;
    if (!parse_args(argc, argv, o)) {
        std::fprintf(stderr, "usage: bench_lmdb_ceiling [--dir PARENT] [--seconds S] "
                             "[--batch N] [--value-bytes B] [--writemap] [--shards N [--dbi-per-shard]]\n");
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
    std::printf("LMDB durable append%s in %s: %lu records in %.2f s, batches of %d x %d B\n",
                o.writemap ? " (MDB_WRITEMAP)" : "", o.dir.c_str(),
                static_cast<unsigned long>(res->records), res->seconds, o.batch, o.value_bytes);
    std::printf("  records/s  %.0f\n  MB/s       %.1f (values, 1 MB = 1e6 B)\n", rps, mbps);
    double amp = static_cast<double>(res->bytes_used) /
                 (static_cast<double>(res->records) * o.value_bytes);
    if (o.shards > 0)
        std::printf("  keys       round-robin over %d shards, %s\n", o.shards,
                    o.dbi_per_shard ? "one database each, MDB_APPEND" : "one database, no MDB_APPEND");
    std::printf("  file       %.0f MB in use, %.2f x the values\n", res->bytes_used / 1e6, amp);
    std::printf("  commit     p50 %.2f ms  p99 %.2f ms  (%zu commits)\n", commit_p50, commit_p99,
                res->commit_us.size());
    std::printf("  fdatasync  p50 %.0f us (4 KiB write, %zu samples): at most %.0f commits/s\n",
                sync_p50, sync_us.size(), sync_p50 > 0 ? 1e6 / sync_p50 : 0);
    std::printf("RESULT mode=lmdb records_per_s=%.0f mb_per_s=%.2f commit_p50_ms=%.2f "
                "commit_p99_ms=%.2f fdatasync_p50_us=%.0f space_amplification=%.2f\n",
                rps, mbps, commit_p50, commit_p99, sync_p50, amp);
    return 0;
}
