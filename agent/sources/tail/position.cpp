#include "agent/sources/tail/position.h"

#include <unistd.h>

#include <cerrno>

#include "agent/sources/tail/errc.h"

namespace tributary::agent::sources::tail {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kFixed = 1 + 8 * 3 + (4 + 8) * 2 + 2 + 2;  // see README.md, "Position layout"

void put_u16(std::string& s, uint16_t v) {
    s.push_back(char(v >> 8));
    s.push_back(char(v));
}
void put_u32(std::string& s, uint32_t v) {
    for (int i = 3; i >= 0; --i) s.push_back(char(v >> (8 * i)));
}
void put_u64(std::string& s, uint64_t v) {
    for (int i = 7; i >= 0; --i) s.push_back(char(v >> (8 * i)));
}

class Reader {
public:
    explicit Reader(std::string_view b) : b_(b) {}
    template <class T>
    T get() {
        T v = 0;
        for (size_t i = 0; i < sizeof(T); ++i) v = T(v << 8) | T(uint8_t(b_[pos_ + i]));
        pos_ += sizeof(T);
        return v;
    }
    std::string_view take(size_t n) {
        auto v = b_.substr(pos_, n);
        pos_ += n;
        return v;
    }
    size_t left() const { return b_.size() - pos_; }

private:
    std::string_view b_;
    size_t pos_ = 0;
};

}  // namespace

uint64_t fnv1a64(std::string_view data) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : data) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

bool hash_range(int fd, uint64_t from, uint32_t len, uint64_t& out) {
    char buf[kFingerprintMax];
    if (len > sizeof buf) return false;
    size_t got = 0;
    while (got < len) {
        ssize_t n = ::pread(fd, buf + got, len - got, off_t(from + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += size_t(n);
    }
    out = fnv1a64(std::string_view(buf, len));
    return true;
}

std::string Position::encode() const {
    TRIB_ASSERT(key.size() <= 0xffff && path.size() <= 0xffff, "tail position field too long");
    std::string s;
    s.reserve(kFixed + key.size() + path.size());
    s.push_back(char(kVersion));
    put_u64(s, dev);
    put_u64(s, ino);
    put_u64(s, offset);
    put_u32(s, fingerprint_bytes);
    put_u64(s, fingerprint);
    put_u32(s, marker_bytes);
    put_u64(s, marker);
    put_u16(s, uint16_t(key.size()));
    s += key;
    put_u16(s, uint16_t(path.size()));
    s += path;
    return s;
}

Result<Position> Position::decode(std::string_view bytes) {
    if (bytes.empty()) return fail(errc::bad_position, "tail position is empty");
    if (uint8_t(bytes[0]) != kVersion)
        return fail(errc::bad_position,
                    "tail position has unknown version " + std::to_string(uint8_t(bytes[0])));
    if (bytes.size() < kFixed)
        return fail(errc::bad_position, "tail position is truncated (" +
                                            std::to_string(bytes.size()) + " bytes)");
    Reader r(bytes.substr(1));
    Position p;
    p.dev = r.get<uint64_t>();
    p.ino = r.get<uint64_t>();
    p.offset = r.get<uint64_t>();
    p.fingerprint_bytes = r.get<uint32_t>();
    p.fingerprint = r.get<uint64_t>();
    p.marker_bytes = r.get<uint32_t>();
    p.marker = r.get<uint64_t>();
    uint16_t key_len = r.get<uint16_t>();
    if (r.left() < size_t(key_len) + 2)
        return fail(errc::bad_position, "tail position is truncated in its key");
    p.key = std::string(r.take(key_len));
    uint16_t path_len = r.get<uint16_t>();
    if (r.left() != path_len)
        return fail(errc::bad_position, "tail position has a path of the wrong length");
    p.path = std::string(r.take(path_len));
    if (p.fingerprint_bytes > kFingerprintMax || p.marker_bytes > kMarkerMax ||
        p.marker_bytes > p.offset)
        return fail(errc::bad_position, "tail position has inconsistent fingerprint fields");
    return p;
}

}  // namespace tributary::agent::sources::tail
