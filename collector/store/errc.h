#pragma once
// Errors of the shard store. Each value corresponds to one AWS Kinesis error type, so the API
// layer's single error table can map them without guessing; messages carry the exact AWS text.

#include <system_error>

namespace tributary::collector::store {

enum class errc {
    resource_not_found = 1,
    resource_in_use,
    invalid_argument,
    limit_exceeded,
    provisioned_throughput_exceeded,
    expired_iterator,
    expired_next_token,
    validation,
    access_denied,
    internal_failure,  // storage failure (LMDB error, map full, I/O)
};

const std::error_category& store_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), store_category()}; }

}  // namespace tributary::collector::store

template <>
struct std::is_error_code_enum<tributary::collector::store::errc> : std::true_type {};
