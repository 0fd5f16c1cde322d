#include "collector/api/iterator.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstring>
#include <memory>

#include "collector/api/errc.h"
#include "shared/encoding/base64.h"

namespace tributary::collector::api {
namespace {

constexpr unsigned char kPrefix[8] = {0, 0, 0, 0, 0, 0, 0, 1};

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

bool crypt(bool enc, const unsigned char* key, const unsigned char* iv, std::string_view in,
           std::string& out) {
    std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key, iv, enc ? 1 : 0) != 1)
        return false;
    out.resize(in.size() + 32);
    int n1 = 0, n2 = 0;
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (EVP_CipherUpdate(ctx.get(), o, &n1, reinterpret_cast<const unsigned char*>(in.data()),
                         static_cast<int>(in.size())) != 1)
        return false;
    if (EVP_CipherFinal_ex(ctx.get(), o + n1, &n2) != 1) return false;
    out.resize(size_t(n1 + n2));
    return true;
}

template <class T>
bool parse_num(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

IteratorCodec::IteratorCodec(std::string_view km) {
    std::memcpy(key_.data(), km.data(), 32);
    std::memcpy(iv_.data(), km.data() + 32, 16);
}

std::string IteratorCodec::encode(const IteratorPosition& p) const {
    std::string plain = std::to_string(p.created_ms) + "/" + std::to_string(p.stream_id) + "/" +
                        std::to_string(p.shard_index) + "/" + std::to_string(p.seq_index) + "/" +
                        p.stream_name;
    std::string cipher;
    crypt(true, key_.data(), iv_.data(), plain, cipher);
    std::string raw(reinterpret_cast<const char*>(kPrefix), 8);
    raw += cipher;
    return encoding::base64_encode(raw);
}

Result<IteratorPosition> IteratorCodec::decode(std::string_view token) const {
    auto invalid = [] { return fail(errc::invalid_argument, "Invalid ShardIterator."); };
    auto raw = encoding::base64_decode(token);
    if (!raw || raw->size() < 24 || (raw->size() - 8) % 16 != 0 ||
        std::memcmp(raw->data(), kPrefix, 8) != 0)
        return invalid();
    std::string plain;
    if (!crypt(false, key_.data(), iv_.data(), std::string_view(*raw).substr(8), plain))
        return invalid();
    IteratorPosition p;
    std::string_view rest = plain;
    std::string_view parts[4];
    for (auto& part : parts) {
        auto slash = rest.find('/');
        if (slash == std::string_view::npos) return invalid();
        part = rest.substr(0, slash);
        rest.remove_prefix(slash + 1);
    }
    if (!parse_num(parts[0], p.created_ms) || !parse_num(parts[1], p.stream_id) ||
        !parse_num(parts[2], p.shard_index) || !parse_num(parts[3], p.seq_index) || rest.empty())
        return invalid();
    p.stream_name = std::string(rest);
    return p;
}

}  // namespace tributary::collector::api
