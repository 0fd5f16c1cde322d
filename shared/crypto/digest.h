#pragma once
// Message digests from OpenSSL, as raw bytes (use encoding::hex_encode for hex).

#include <array>
#include <string>
#include <string_view>

namespace tributary::crypto {

std::string md5(std::string_view data);
std::array<unsigned char, 16> md5_bytes(std::string_view data);  // no allocation
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace tributary::crypto
