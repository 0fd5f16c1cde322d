#include "agent/sources/tail/framer.h"

#include <algorithm>
#include <cstring>

namespace tributary::agent::sources::tail {

void Sink::add(std::string record, bool truncated) {
    bytes_ += record.size();
    ++count_;
    if (truncated) ++*truncated_;
    records_->push_back(std::move(record));
}

Framer::Framer(const FramerConfig& cfg, uint64_t offset) : cfg_(&cfg) { reset(offset); }

void Framer::reset(uint64_t offset) {
    read_off_ = line_start_ = done_ = offset;
    carry_.clear();
    carry_.shrink_to_fit();  // a reset file should not keep a 1 MiB line's buffer
    carry_len_ = 0;
    carry_last_ = 0;
    header_left_ = offset == 0 ? cfg_->skip_header_lines : 0;
    footer_ = false;
    pending_.clear();
    pending_active_ = pending_cut_ = false;
    pending_start_ = offset;
}

uint64_t Framer::committed() const {
    if (!footer_ && pending_active_) return pending_start_;
    return done_;
}

std::string Framer::cut(std::string_view text, size_t len) const {
    if (len <= cfg_->max_record_bytes) return std::string(text.substr(0, len));
    std::string r(text.substr(0, cfg_->max_record_bytes - cfg_->terminator.size()));
    r += cfg_->terminator;
    return r;
}

bool Framer::emit_pending(Sink& sink) {
    if (!sink.fits(pending_.size())) return false;
    sink.add(std::move(pending_), pending_cut_);
    pending_.clear();
    pending_active_ = pending_cut_ = false;
    return true;
}

// One complete line: `text` holds its first bytes (at least min(len, max_record_bytes + 1)),
// `len` is its real length without the line ending, [start, end) its bytes in the file.
// Returns false, changing nothing, when the sink has no room for what the line completes.
bool Framer::line(std::string_view text, size_t len, uint64_t start, uint64_t end, Sink& sink) {
    text = text.substr(0, std::min(text.size(), len));
    if (header_left_ > 0) {
        --header_left_;
        done_ = end;
        return true;
    }
    if (cfg_->footer && cfg_->footer->looking_at(text)) {
        if (pending_active_ && !emit_pending(sink)) return false;
        footer_ = true;
        done_ = start;  // a restart reads the footer again and stops there again
        return true;
    }
    const size_t max = cfg_->max_record_bytes;
    if (!cfg_->start) {
        if (!sink.fits(std::min(len, max))) return false;
        sink.add(cut(text, len), len > max);
        done_ = end;
        return true;
    }
    if (!pending_active_ || cfg_->start->looking_at(text)) {
        if (pending_active_ && !emit_pending(sink)) return false;
        pending_ = cut(text, len);
        pending_cut_ = len > max;
        pending_active_ = true;
        pending_start_ = start;
    } else if (!pending_cut_) {
        if (pending_.size() + 1 + len > max) {
            size_t keep = max - cfg_->terminator.size();
            if (pending_.size() < keep) {
                pending_ += '\n';
                pending_.append(text.substr(0, keep - pending_.size()));
            }
            pending_.resize(keep);
            pending_ += cfg_->terminator;
            pending_cut_ = true;
        } else {
            pending_ += '\n';
            pending_.append(text);
        }
    }
    done_ = end;
    return true;
}

size_t Framer::feed(std::string_view data, Sink& sink) {
    const size_t cap = cfg_->max_record_bytes + 1;
    size_t pos = 0;
    while (pos < data.size() && !footer_) {
        const char* p = data.data() + pos;
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', data.size() - pos));
        if (!nl) {
            std::string_view rest = data.substr(pos);
            if (carry_.size() < cap) carry_.append(rest.substr(0, cap - carry_.size()));
            carry_len_ += rest.size();
            carry_last_ = rest.back();
            read_off_ += rest.size();
            return data.size();
        }
        std::string_view piece(p, size_t(nl - p));
        size_t full = carry_len_ + piece.size();
        bool cr = piece.empty() ? carry_len_ > 0 && carry_last_ == '\r' : piece.back() == '\r';
        size_t len = full - (cr ? 1 : 0);
        uint64_t end = line_start_ + full + 1;
        bool ok;
        if (carry_len_ == 0) {
            ok = line(piece, len, line_start_, end, sink);
        } else {
            size_t old = carry_.size();
            if (old < cap) carry_.append(piece.substr(0, cap - old));
            ok = line(carry_, len, line_start_, end, sink);
            if (!ok) carry_.resize(old);
        }
        if (!ok) return pos;
        carry_.clear();
        carry_len_ = 0;
        read_off_ = line_start_ = end;
        pos += piece.size() + 1;
    }
    return pos;
}

bool Framer::flush_pending(Sink& sink) { return !pending_active_ || emit_pending(sink); }

bool Framer::flush_all(Sink& sink) {
    if (carry_len_ > 0 && !footer_) {
        size_t len = carry_len_ - (carry_last_ == '\r' ? 1 : 0);
        if (!line(carry_, len, line_start_, read_off_, sink)) return false;
        carry_.clear();
        carry_len_ = 0;
        line_start_ = read_off_;
    }
    return flush_pending(sink);
}

}  // namespace tributary::agent::sources::tail
