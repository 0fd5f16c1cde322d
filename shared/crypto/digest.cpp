#include "shared/crypto/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tributary::crypto {
namespace {
std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}
}  // namespace

std::string md5(std::string_view data) {
    std::array<unsigned char, 16> d = md5_bytes(data);
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// Partition-key routing hashes every record: with OpenSSL 3, EVP_Digest(EVP_md5()) fetches the
// algorithm and allocates a context on each call, which cost more than the hash of a short
// key. The algorithm is fetched once and each thread reuses one context.
std::array<unsigned char, 16> md5_bytes(std::string_view data) {
    static EVP_MD* const kMd5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    struct Ctx {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        ~Ctx() { EVP_MD_CTX_free(ctx); }
    };
    thread_local Ctx t;
    std::array<unsigned char, 16> out{};
    unsigned int len = 0;
    bool ok = kMd5 && t.ctx && EVP_DigestInit_ex2(t.ctx, kMd5, nullptr) &&
              EVP_DigestUpdate(t.ctx, data.data(), data.size()) &&
              EVP_DigestFinal_ex(t.ctx, out.data(), &len) && len == out.size();
    if (!ok) EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr);
    return out;
}
std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace tributary::crypto
