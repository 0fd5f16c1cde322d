#pragma once
// Protocol-level errors of the Kinesis API layer (the operation-level ones come from the store's
// errc, the authentication ones from shared/aws/errc.h). errors.cpp maps all three to AWS
// shapes in one table.

#include <system_error>

namespace tributary::collector::api {

enum class errc {
    serialization = 1,   // body not parseable, or a member of the wrong type
    unknown_operation,   // X-Amz-Target names no operation
    validation,          // Coral constraint failures ("N validation errors detected: ...")
    invalid_argument,
    internal_failure,
};

const std::error_category& api_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), api_category()}; }

}  // namespace tributary::collector::api

template <>
struct std::is_error_code_enum<tributary::collector::api::errc> : std::true_type {};
