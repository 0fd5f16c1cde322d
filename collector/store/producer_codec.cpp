#include "collector/store/producer_codec.h"

#include <algorithm>

#include "shared/crypto/digest.h"
#include "shared/lmdb/lmdb.h"

namespace tributary::collector::store {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kFlagEncrypted = 1;
constexpr size_t kHeadSize = 1 + 1 + 8 + 4 + 8;

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

void put_bytes(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out += s;
}

// A bounds-checked reader: every call fails (and keeps failing) once the input runs short.
class Reader {
public:
    explicit Reader(std::string_view v) : v_(v) {}
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == v_.size(); }
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= v_.size()) return fail();
            auto b = static_cast<unsigned char>(v_[pos_++]);
            v |= uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        return fail();
    }
    std::string_view bytes() {
        uint64_t n = varint();
        if (!ok_ || n > v_.size() - pos_) {
            fail();
            return {};
        }
        auto s = v_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    uint8_t byte() {
        if (pos_ >= v_.size()) return static_cast<uint8_t>(fail());
        return static_cast<uint8_t>(v_[pos_++]);
    }

private:
    uint64_t fail() {
        ok_ = false;
        pos_ = v_.size();
        return 0;
    }
    std::string_view v_;
    size_t pos_ = kHeadSize;
    bool ok_ = true;
};

}  // namespace

std::string producer_key(const BatchKey& key) {
    std::string k(reinterpret_cast<const char*>(key.producer.data()), key.producer.size());
    k += crypto::sha256(key.flow);
    return k;
}

std::string printable_flow(std::string_view flow) {
    bool printable = true;
    for (size_t i = 0; i < flow.size() && printable;) {
        auto c = static_cast<unsigned char>(flow[i]);
        if (c < 0x80) {
            printable = c >= 0x20 && c != 0x7f;
            ++i;
            continue;
        }
        size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        printable = n && i + n <= flow.size();
        for (size_t k = 1; printable && k < n; ++k)
            printable = (static_cast<unsigned char>(flow[i + k]) & 0xc0) == 0x80;
        i += n;
    }
    if (printable) return std::string(flow);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : flow) {
        auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::string producer_time_key(uint64_t stored_ms, std::string_view producer_key) {
    std::string k(8, '\0');
    lmdb::put_be64(k.data(), stored_ms);
    k += producer_key;
    return k;
}

// Layout (version 1):
//   version u8 = 1 | flags u8 (bit 0: encrypted) | sequence u64 BE | stream_id u32 BE
//   | stored_ms u64 BE | stream (varint length, bytes) | flow (varint length, bytes)
//   | count varint | shards: n varint, n × (shard_index varint, create_secs varint)
//   | messages: n varint, n × (varint length, bytes) | base_secs varint
//   | count × outcome:
//       ok:    varint (shard table index << 1) | seq_index varint | (time_secs - base) varint
//       error: varint (message table index << 1 | 1) | errc u8
// A record's ~56-digit sequence number thus costs 3 to 12 bytes.
std::string encode_producer_entry(const ProducerEntry& e) {
    std::vector<std::pair<uint32_t, uint64_t>> shards;  // (index, create_secs), first use order
    std::vector<std::string_view> messages;
    uint64_t base = UINT64_MAX;
    for (const auto& o : e.outcomes) {
        if (o.ok) {
            std::pair<uint32_t, uint64_t> s{o.shard, o.sequence.shard_create_secs};
            if (std::find(shards.begin(), shards.end(), s) == shards.end()) shards.push_back(s);
            base = std::min(base, o.sequence.seq_time_secs);
        } else if (std::find(messages.begin(), messages.end(), o.error_message) == messages.end()) {
            messages.push_back(o.error_message);
        }
    }
    if (base == UINT64_MAX) base = 0;
    std::string out(kHeadSize, '\0');
    out[0] = static_cast<char>(kVersion);
    out[1] = static_cast<char>(e.encrypted ? kFlagEncrypted : 0);
    lmdb::put_be64(out.data() + 2, e.sequence);
    lmdb::put_be32(out.data() + 10, e.stream_id);
    lmdb::put_be64(out.data() + 14, e.stored_ms);
    put_bytes(out, e.stream);
    put_bytes(out, e.flow);
    put_varint(out, e.outcomes.size());
    put_varint(out, shards.size());
    for (auto [index, secs] : shards) {
        put_varint(out, index);
        put_varint(out, secs);
    }
    put_varint(out, messages.size());
    for (auto m : messages) put_bytes(out, m);
    put_varint(out, base);
    for (const auto& o : e.outcomes) {
        if (o.ok) {
            std::pair<uint32_t, uint64_t> s{o.shard, o.sequence.shard_create_secs};
            auto ix = std::find(shards.begin(), shards.end(), s) - shards.begin();
            put_varint(out, uint64_t(ix) << 1);
            put_varint(out, o.sequence.seq_index);
            put_varint(out, o.sequence.seq_time_secs - base);
        } else {
            auto ix = std::find(messages.begin(), messages.end(), o.error_message) - messages.begin();
            put_varint(out, (uint64_t(ix) << 1) | 1);
            out += static_cast<char>(o.error);
        }
    }
    return out;
}

bool decode_producer_head(std::string_view v, ProducerEntryHead& out) {
    if (v.size() < kHeadSize || static_cast<uint8_t>(v[0]) != kVersion) return false;
    out.sequence = lmdb::get_be64(v.data() + 2);
    out.stream_id = lmdb::get_be32(v.data() + 10);
    out.stored_ms = lmdb::get_be64(v.data() + 14);
    return true;
}

bool decode_producer_entry(std::string_view v, ProducerEntry& out) {
    ProducerEntryHead head;
    if (!decode_producer_head(v, head)) return false;
    out.sequence = head.sequence;
    out.stream_id = head.stream_id;
    out.stored_ms = head.stored_ms;
    out.encrypted = (static_cast<uint8_t>(v[1]) & kFlagEncrypted) != 0;
    Reader r(v);
    out.stream = r.bytes();
    out.flow = r.bytes();
    uint64_t count = r.varint();
    // Every outcome takes at least two bytes: a count beyond that is corruption, not a reason
    // to allocate.
    if (!r.ok() || count > v.size()) return false;
    std::vector<std::pair<uint32_t, uint64_t>> shards(r.varint());
    if (!r.ok() || shards.size() > v.size()) return false;
    for (auto& s : shards) {
        uint64_t index = r.varint();
        s = {static_cast<uint32_t>(index), r.varint()};
        if (index > UINT32_MAX) return false;
    }
    std::vector<std::string_view> messages(r.varint());
    if (!r.ok() || messages.size() > v.size()) return false;
    for (auto& m : messages) m = r.bytes();
    uint64_t base = r.varint();
    out.outcomes.assign(count, PutOutcome{});
    for (auto& o : out.outcomes) {
        uint64_t tag = r.varint();
        uint64_t ix = tag >> 1;
        if (tag & 1) {
            if (ix >= messages.size()) return false;
            o.ok = false;
            o.error_message = messages[ix];
            uint8_t code = r.byte();
            if (code < static_cast<uint8_t>(errc::resource_not_found) ||
                code > static_cast<uint8_t>(errc::internal_failure))
                return false;
            o.error = static_cast<errc>(code);
        } else {
            if (ix >= shards.size()) return false;
            o.ok = true;
            o.shard = shards[ix].first;
            o.sequence.shard_index = shards[ix].first;
            o.sequence.shard_create_secs = shards[ix].second;
            o.sequence.seq_index = r.varint();
            o.sequence.seq_time_secs = base + r.varint();
        }
    }
    return r.ok() && r.at_end();
}

}  // namespace tributary::collector::store
