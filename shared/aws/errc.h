#pragma once
// Errors of AWS request authentication (SigV4), one per AWS error type the server sends.
//
// The table in errc.cpp is the single place that maps a code to its AWS `__type`, HTTP status and
// default message; handlers never spell these strings themselves. The message carried in an
// Error is the exact text AWS returns for that case (it varies within one type, e.g. skew).

#include <string_view>
#include <system_error>

namespace tributary::aws {

enum class errc {
    // Neither an Authorization header nor an X-Amz-Algorithm query parameter.
    missing_authentication_token = 1,
    // Authorization header or presigned query parameters malformed or incomplete.
    incomplete_signature,
    // Signature mismatch, clock skew, expired presigned URL, bad credential scope.
    invalid_signature,
    // Access key id not known to the server.
    unrecognized_client,
};

const std::error_category& aws_auth_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// The `__type` of the JSON error body, e.g. "InvalidSignatureException".
std::string_view aws_error_type(errc e) noexcept;
// The HTTP status AWS JSON protocols (Kinesis, Firehose) answer with.
int http_status(errc e) noexcept;
// The message to use when a case has no more specific text.
std::string_view default_message(errc e) noexcept;

}  // namespace tributary::aws

template <>
struct std::is_error_code_enum<tributary::aws::errc> : std::true_type {};
