// The spool: opening, loading the flow table, and the read-side calls. Writes live in
// spool_writer.cpp.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include "agent/buffer/spool_impl.h"
#include "shared/log/log.h"

namespace tributary::agent::buffer {
namespace {

constexpr uint64_t kMinMapBytes = uint64_t(1) << 20;

uint64_t system_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

std::string mib(uint64_t bytes) {
    return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)";
}

std::string random_producer_id() {
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    if (got < sizeof b) {
        std::random_device rd;  // getrandom(2) missing (old kernel): the library's source
        for (auto& c : b) c = static_cast<unsigned char>(rd());
    }
    return std::string(reinterpret_cast<const char*>(b), sizeof b);
}

std::string hex(std::string_view raw) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

Spool::FlowStats to_stats(const FlowState& st) {
    const auto& r = st.row;
    return {r.records, r.bytes, st.oldest_ms, r.appended_total, r.removed_total, r.dropped_total};
}

}  // namespace

Error normalize(Error e, uint64_t map_bytes) {
    if (e.code.category() == spool_category()) return e;
    if (e.code == lmdb::make_error(MDB_MAP_FULL))
        return {make_error_code(errc::full),
                "the spool's LMDB map is full (map_bytes=" + mib(map_bytes) +
                    "); nothing was written: " + e.message};
    return {make_error_code(errc::storage), std::move(e.message)};
}

DirLock::~DirLock() {
    if (fd >= 0) ::close(fd);
}

Spool::Spool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Spool::~Spool() = default;

Spool::Impl::~Impl() {
    {
        std::lock_guard lk(q_mu);
        stopping = true;
    }
    q_cv.notify_all();
    if (writer.joinable()) writer.join();
}

Result<std::unique_ptr<Spool>> Spool::open(Options options) {
    auto impl = std::make_unique<Impl>();
    impl->opts = std::move(options);
    if (!impl->opts.clock) impl->opts.clock = system_ms;
    TRIB_TRY_VOID(impl->init());
    TRIB_LOG(info, "spool_opened")
        .kv("dir", impl->opts.dir)
        .kv("map_bytes", impl->opts.map_bytes)
        .kv("flows", impl->flows.size());
    impl->writer = std::thread([m = impl.get()] { m->writer_loop(); });
    return std::unique_ptr<Spool>(new Spool(std::move(impl)));
}

Result<void> Spool::Impl::init() {
    if (opts.dir.empty()) return fail(errc::invalid_argument, "the spool directory is not set");
    if (opts.map_bytes < kMinMapBytes)
        return fail(errc::invalid_argument,
                    "spool map_bytes " + mib(opts.map_bytes) + " is below the minimum of 1 MiB");
    if (opts.map_bytes > std::numeric_limits<size_t>::max())
        return fail(errc::map_unavailable, "spool map_bytes " + mib(opts.map_bytes) +
                                               " exceeds this host's address space (size_t is " +
                                               std::to_string(sizeof(size_t) * 8) +
                                               " bits); lower map_bytes");
    std::error_code ec;
    std::filesystem::create_directories(opts.dir, ec);
    if (ec)
        return fail(errc::storage,
                    "cannot create the spool directory " + opts.dir + ": " + ec.message());

    std::string lock_path = opts.dir + "/spool.lock";
    lock.fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lock.fd < 0)
        return fail(errc::storage, "cannot open " + lock_path + ": " + std::strerror(errno));
    if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0)
        return fail(errc::locked, "the spool directory " + opts.dir +
                                      " is in use by another agent (" + lock_path + " is locked)");

    auto e = lmdb::Env::open(opts.dir, {.map_size = static_cast<size_t>(opts.map_bytes),
                                        .max_dbs = layout::kFixedDbs + layout::kMaxFlows,
                                        .max_readers = 126,
                                        .sync = opts.sync != SyncPolicy::off});
    if (!e) {
        int rc = e.error().code.value();
        if (rc == ENOMEM || rc == EINVAL || rc == EFBIG || rc == EOVERFLOW)
            return fail(errc::map_unavailable,
                        "cannot map the spool in " + opts.dir +
                            " with map_bytes=" + mib(opts.map_bytes) + " (" + e.error().message +
                            "); lower map_bytes: 32-bit hosts have little address space "
                            "(256 MiB is their default)");
        return fail(errc::storage,
                    "cannot open the spool in " + opts.dir + ": " + e.error().message);
    }
    env = std::move(*e);
    if (opts.sync == SyncPolicy::lazy)
        if (int rc = mdb_env_set_flags(env.get(), MDB_NOMETASYNC, 1); rc)
            return normalized(lmdb::fail_rc(rc, "mdb_env_set_flags").value(), opts.map_bytes);
    if (auto l = load(); !l) return normalized(l.error(), opts.map_bytes);
    return {};
}

// Reads (or, on first open, writes) the format and producer id, then every flow's row, opening
// its queue database. Runs before the writer starts, in a write transaction because LMDB keeps
// database handles only from transactions that commit.
Result<void> Spool::Impl::load() {
    TRIB_TRY(auto txn, lmdb::Txn::begin_write(env));
    TRIB_TRY(meta_db, lmdb::open_db(txn, "meta"));
    TRIB_TRY(flows_db, lmdb::open_db(txn, "flows"));
    TRIB_TRY(ckpt_db, lmdb::open_db(txn, "checkpoints"));

    std::string_view v;
    TRIB_TRY(bool has_format, lmdb::get(txn, meta_db, layout::kFormatKey, v));
    if (!has_format) {
        TRIB_TRY_VOID(lmdb::put(txn, meta_db, layout::kFormatKey, layout::kFormatVersion));
    } else if (v != layout::kFormatVersion) {
        return fail(errc::format, "the spool in " + opts.dir + " has format " + std::string(v) +
                                      "; this agent reads format " +
                                      std::string(layout::kFormatVersion));
    }
    TRIB_TRY(bool has_producer, lmdb::get(txn, meta_db, layout::kProducerKey, v));
    std::string producer = has_producer ? std::string(v) : random_producer_id();
    if (producer.size() != 16) return fail(errc::format, "corrupt producer id in " + opts.dir);
    if (!has_producer) TRIB_TRY_VOID(lmdb::put(txn, meta_db, layout::kProducerKey, producer));
    producer_hex = hex(producer);
    TRIB_TRY(bool has_next, lmdb::get(txn, meta_db, layout::kNextFlowKey, v));
    if (has_next && v.size() == 4) next_flow = lmdb::get_be32(v.data());

    TRIB_TRY_VOID(load_flows(txn));
    TRIB_TRY_VOID(txn.commit());
    for (const auto& [name, st] : flows) publish(name, st);
    return {};
}

// A write transaction's cursors die with it, so they must be closed before it commits: this
// function's cursors end with its scope.
Result<void> Spool::Impl::load_flows(lmdb::Txn& txn) {
    TRIB_TRY(auto cur, lmdb::Cursor::open(txn, flows_db));
    TRIB_TRY(bool at, cur.first());
    while (at) {
        std::string name(cur.key());
        FlowState st;
        if (!layout::decode_flow(cur.value(), st.row) || st.row.number == 0 ||
            st.row.number >= next_flow)
            return fail(errc::format, "corrupt row for flow " + name + " in " + opts.dir);
        TRIB_TRY(st.dbi, lmdb::open_db(txn, layout::queue_db_name(st.row.number).c_str(), 0));
        TRIB_TRY(auto q, lmdb::Cursor::open(txn, st.dbi));
        TRIB_TRY(bool any, q.first());
        layout::EntryView ev;
        if (any && layout::decode_entry(q.value(), ev)) st.oldest_ms = ev.enqueued_ms;
        flows.emplace(name, st);
        TRIB_TRY(at, cur.next());
    }
    return {};
}

void Spool::Impl::publish(const std::string& name, const FlowState& st) {
    std::lock_guard lk(pub_mu);
    published[name] = {st.dbi, to_stats(st)};
}

std::optional<FlowLimits> Spool::Impl::limits_of(std::string_view flow) const {
    std::lock_guard lk(limits_mu);
    auto it = limits.find(flow);
    if (it == limits.end()) return std::nullopt;
    return it->second;
}

void Spool::set_limits(std::string_view flow, FlowLimits limits) {
    std::lock_guard lk(impl_->limits_mu);
    impl_->limits[std::string(flow)] = limits;
}

Result<std::vector<Entry>> Spool::peek(std::string_view flow, uint64_t after_id, size_t max_records,
                                       size_t max_bytes) {
    std::vector<Entry> out;
    MDB_dbi dbi = 0;
    {
        std::lock_guard lk(impl_->pub_mu);
        auto it = impl_->published.find(flow);
        if (it == impl_->published.end()) return out;
        dbi = it->second.dbi;
    }
    if (max_records == 0 || after_id == UINT64_MAX) return out;
    auto body = [&]() -> Result<void> {
        TRIB_TRY(auto txn, lmdb::Txn::begin_read(impl_->env));
        TRIB_TRY(auto cur, lmdb::Cursor::open(txn, dbi));
        TRIB_TRY(bool at, cur.seek(layout::IdKey(after_id + 1).view()));
        size_t bytes = 0;
        while (at && out.size() < max_records) {
            layout::EntryView ev;
            if (cur.key().size() != layout::kIdKeySize || !layout::decode_entry(cur.value(), ev))
                return fail(errc::format, "corrupt entry in flow " + std::string(flow));
            size_t size = ev.partition_key.size() + ev.data.size();
            if (!out.empty() && bytes + size > max_bytes) break;
            bytes += size;
            out.push_back({lmdb::get_be64(cur.key().data()), std::string(ev.partition_key),
                           std::string(ev.data), ev.enqueued_ms});
            TRIB_TRY(at, cur.next());
        }
        return {};
    };
    if (auto r = body(); !r) return normalized(r.error(), impl_->opts.map_bytes);
    return out;
}

Result<std::optional<std::string>> Spool::checkpoint(std::string_view key) {
    if (key.empty() || key.size() > layout::kMaxCheckpointKey)
        return fail(
            errc::invalid_argument,
            "checkpoint key must be 1 to " + std::to_string(layout::kMaxCheckpointKey) + " bytes");
    auto body = [&]() -> Result<std::optional<std::string>> {
        TRIB_TRY(auto txn, lmdb::Txn::begin_read(impl_->env));
        std::string_view v;
        TRIB_TRY(bool found, lmdb::get(txn, impl_->ckpt_db, key, v));
        if (!found) return std::optional<std::string>{};
        return std::optional<std::string>(std::string(v));
    };
    auto r = body();
    if (!r) return normalized(r.error(), impl_->opts.map_bytes);
    return r;
}

Result<std::vector<std::pair<std::string, std::string>>> Spool::checkpoints(
    std::string_view key_prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    auto body = [&]() -> Result<void> {
        TRIB_TRY(auto txn, lmdb::Txn::begin_read(impl_->env));
        TRIB_TRY(auto cur, lmdb::Cursor::open(txn, impl_->ckpt_db));
        TRIB_TRY(bool at, key_prefix.empty() ? cur.first() : cur.seek(key_prefix));
        while (at && cur.key().starts_with(key_prefix)) {
            out.emplace_back(cur.key(), cur.value());
            TRIB_TRY(at, cur.next());
        }
        return {};
    };
    if (auto r = body(); !r) return normalized(r.error(), impl_->opts.map_bytes);
    return out;
}

Spool::FlowStats Spool::stats(std::string_view flow) const {
    std::lock_guard lk(impl_->pub_mu);
    auto it = impl_->published.find(flow);
    return it == impl_->published.end() ? FlowStats{} : it->second.stats;
}

std::vector<std::string> Spool::flows() const {
    std::lock_guard lk(impl_->pub_mu);
    std::vector<std::string> out;
    for (const auto& [name, _] : impl_->published) out.push_back(name);
    return out;
}

uint64_t Spool::commits_total() const { return impl_->commits.load(std::memory_order_relaxed); }

std::string Spool::producer_id() const { return impl_->producer_hex; }

Result<void> Spool::flush() {
    if (auto r = impl_->env.sync(true); !r) return normalized(r.error(), impl_->opts.map_bytes);
    return {};
}

}  // namespace tributary::agent::buffer
