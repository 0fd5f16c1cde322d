#include "agent/sources/tail/tail.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/sources/tail/tail_impl.h"
#include "shared/log/log.h"

namespace tributary::agent::sources::tail {

Tail::Tail(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tail::~Tail() = default;

Result<std::unique_ptr<Tail>> Tail::open(Options o, std::vector<Position> restored) {
    TRIB_TRY(Glob glob, Glob::compile(o.pattern));
    if (o.max_record_bytes <= o.truncated_record_terminator.size())
        return fail(errc::invalid_option,
                    "max_record_bytes (" + std::to_string(o.max_record_bytes) +
                        ") must be larger than the truncated record terminator");
    if (o.poll_interval.count() <= 0 || o.rescan_interval.count() <= 0)
        return fail(errc::invalid_option, "poll and rescan intervals must be positive");
    auto impl = std::make_unique<Impl>(std::move(o), std::move(glob));
    Options& opt = impl->opt;
    if (opt.multi_line_start_pattern) {
        TRIB_TRY(Regex re, Regex::compile(*opt.multi_line_start_pattern));
        impl->start_re.emplace(std::move(re));
    }
    if (opt.file_footer_pattern) {
        TRIB_TRY(Regex re, Regex::compile(*opt.file_footer_pattern));
        impl->footer_re.emplace(std::move(re));
    }
    impl->fcfg.skip_header_lines = opt.skip_header_lines;
    impl->fcfg.start = impl->start_re ? &*impl->start_re : nullptr;
    impl->fcfg.footer = impl->footer_re ? &*impl->footer_re : nullptr;
    impl->fcfg.terminator = opt.truncated_record_terminator;
    impl->fcfg.max_record_bytes = opt.max_record_bytes;
    impl->buf.resize(kReadBuffer);
    if (opt.use_inotify) impl->watcher = Watcher::create();
    auto now = Clock::now();
    impl->initial_scan(std::move(restored), now);
    impl->last_read = now;
    return std::unique_ptr<Tail>(new Tail(std::move(impl)));
}

Result<std::vector<Batch>> Tail::read(size_t max_records, size_t max_bytes) {
    Impl& m = *impl_;
    auto now = Clock::now();
    std::vector<Batch> out;
    for (auto& p : m.orphans) {
        Batch b;
        b.file_key = p.key;
        b.position = std::move(p);
        b.finished = true;
        out.push_back(std::move(b));
    }
    m.orphans.clear();
    if (max_records == 0) return out;

    if (m.watcher && m.watcher->drain().structure) m.dirty = true;
    if ((m.dirty && now - m.last_rescan >= m.opt.poll_interval) ||
        now - m.last_rescan >= m.opt.rescan_interval)
        m.rescan(now);

    Sink sink(max_records, max_bytes);
    m.more = false;
    for (auto& tp : m.files) {
        Tracked& t = *tp;
        if (sink.full()) {
            m.more = true;
            break;
        }
        Batch b;
        sink.target(&b.records, &b.truncated);
        m.read_file(t, sink, now);
        if (b.records.empty() && !t.finished) continue;
        m.counters.records_truncated += b.truncated;
        b.file_key = t.key;
        b.position = m.position_of(t);
        b.finished = t.finished;
        out.push_back(std::move(b));
    }
    std::erase_if(m.files, [&](const std::unique_ptr<Tracked>& t) {
        if (!t->finished) return false;
        ++m.counters.files_finished;
        TRIB_LOG(info, "tail_file_done").kv("path", t->path).kv("offset", t->framer.committed());
        return true;
    });
    m.last_read = now;
    return out;
}

void Tail::Impl::read_file(Tracked& t, Sink& sink, Clock::time_point now) {
    struct stat st;
    if (::fstat(t.fd, &st) != 0) {
        TRIB_LOG(warn, "tail_fstat_failed").kv("path", t.path).kv("error", std::strerror(errno));
        return;
    }
    uint64_t size = uint64_t(st.st_size);
    int64_t mt = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    bool changed = size != t.size || mt != t.mtime_ns;
    if (size > t.size) t.last_growth = now;
    // Copytruncate: the size fell below what we read, or the file was refilled between two
    // looks (its head or the bytes before our position differ).
    if (size < t.framer.read_offset() || (changed && !head_ok(t, size))) {
        if (!truncated(t, sink, now, size)) return;
    }
    t.size = size;
    t.mtime_ns = mt;
    if (changed) refresh_fingerprint(t);

    bool eof = false;
    while (!t.framer.footer_reached()) {
        if (sink.full()) {
            more = true;
            break;
        }
        ssize_t n = ::pread(t.fd, buf.data(), buf.size(), off_t(t.framer.read_offset()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            // EIO and friends: keep the file and try again on the next read().
            TRIB_LOG(warn, "tail_read_failed").kv("path", t.path).kv("error", std::strerror(errno));
            return;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        size_t used = t.framer.feed(std::string_view(buf.data(), size_t(n)), sink);
        if (t.framer.read_offset() > t.size) {  // grew since fstat
            t.size = t.framer.read_offset();
            t.last_growth = now;
        }
        if (used < size_t(n) && !t.framer.footer_reached()) {
            more = true;  // the sink is full
            break;
        }
    }
    if (t.framer.footer_reached()) eof = true;
    if (!eof) return;
    auto quiet = now - t.last_growth;
    if (t.framer.has_pending() && quiet >= opt.multi_line_flush && !t.framer.flush_pending(sink))
        more = true;
    if (t.gone && quiet >= opt.rotated_quiet) {
        if (t.framer.flush_all(sink))
            t.finished = true;
        else
            more = true;
    }
}

bool Tail::Impl::head_ok(Tracked& t, uint64_t size) {
    uint64_t h = 0;
    if (size < t.fp_bytes || !hash_range(t.fd, 0, t.fp_bytes, h) || h != t.fp) return false;
    if (t.marker_bytes == 0) return true;
    return size >= t.marker_at &&
           hash_range(t.fd, t.marker_at - t.marker_bytes, t.marker_bytes, h) && h == t.marker;
}

// Starts the file again from 0 after a truncation. False when a pending multi-line record
// (complete lines from before the truncation) found no room in the sink: try next read().
bool Tail::Impl::truncated(Tracked& t, Sink& sink, Clock::time_point now, uint64_t size) {
    if (!t.framer.flush_pending(sink)) {
        more = true;
        return false;
    }
    t.before_truncation = position_of(t);
    ++counters.truncations;
    TRIB_LOG(warn, "tail_file_truncated")
        .kv("path", t.path)
        .kv("offset", t.framer.read_offset())
        .kv("size", size)
        .kv("action", "reading from 0");
    t.framer.reset(0);
    t.fp_bytes = 0;
    t.fp = fnv1a64({});
    t.marker_bytes = 0;
    t.marker_at = 0;
    t.size = 0;
    t.last_growth = now;
    return true;
}

void Tail::Impl::refresh_fingerprint(Tracked& t) {
    if (t.fp_bytes >= kFingerprintMax || t.size <= t.fp_bytes) return;
    uint32_t n = uint32_t(std::min<uint64_t>(t.size, kFingerprintMax));
    uint64_t h = 0;
    if (hash_range(t.fd, 0, n, h)) {
        t.fp_bytes = n;
        t.fp = h;
    }
}

Position Tail::Impl::position_of(Tracked& t) {
    Position p;
    p.key = t.key;
    p.path = t.path;
    p.dev = t.dev;
    p.ino = t.ino;
    p.offset = t.framer.committed();
    p.fingerprint_bytes = t.fp_bytes;
    p.fingerprint = t.fp;
    if (t.marker_at != p.offset) {
        uint32_t m = uint32_t(std::min<uint64_t>(p.offset, kMarkerMax));
        uint64_t h = 0;
        bool ok = hash_range(t.fd, p.offset - m, m, h);
        t.marker_bytes = ok ? m : 0;
        t.marker = ok ? h : 0;
        t.marker_at = p.offset;
    }
    p.marker_bytes = t.marker_bytes;
    p.marker = t.marker;
    return p;
}

int Tail::wait_fd() const { return impl_->watcher ? impl_->watcher->fd() : -1; }

std::chrono::milliseconds Tail::next_wakeup() const {
    const Impl& m = *impl_;
    if (m.more || !m.orphans.empty()) return std::chrono::milliseconds(0);
    auto deadline = m.last_rescan + m.opt.rescan_interval;
    if (!m.watcher || m.degraded) deadline = std::min(deadline, m.last_read + m.opt.poll_interval);
    if (m.dirty) deadline = std::min(deadline, m.last_rescan + m.opt.poll_interval);
    for (auto& t : m.files) {
        // Files outside every watched directory send no events: poll them until let go.
        if (t->gone) deadline = std::min(deadline, m.last_read + m.opt.poll_interval);
        if (t->framer.has_pending())
            deadline = std::min(deadline, t->last_growth + m.opt.multi_line_flush);
    }
    auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(left);
}

std::vector<Tail::FileStats> Tail::stats() const {
    std::vector<FileStats> out;
    for (auto& t : impl_->files) out.push_back({t->path, t->framer.committed(), t->size});
    return out;
}

const Tail::Counters& Tail::counters() const { return impl_->counters; }

}  // namespace tributary::agent::sources::tail
