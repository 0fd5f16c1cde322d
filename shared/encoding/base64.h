#pragma once
// Standard base64 (RFC 4648 §4, with padding), as AWS JSON protocols encode blobs.

#include <optional>
#include <string>
#include <string_view>

namespace tributary::encoding {

std::string base64_encode(std::string_view bytes);
void base64_encode_append(std::string_view bytes, std::string& out);

// Strict decoding: the length must be a multiple of 4 and only the alphabet and trailing '='
// padding are allowed. Returns nullopt on any violation.
std::optional<std::string> base64_decode(std::string_view text);
bool base64_decode_append(std::string_view text, std::string& out);

std::string hex_encode(std::string_view bytes);

}  // namespace tributary::encoding
