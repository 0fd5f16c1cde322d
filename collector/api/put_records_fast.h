#pragma once
// The PutRecords hot path for JSON bodies: simdjson On-Demand reads the request straight into
// one arena (base64 decoded in place of a DOM), and the reply is written as text. It handles
// only requests that are entirely valid; anything else (a wrong type, an escape it does not
// expect, a constraint violation) returns nullopt and the generic handler, which reports
// errors in AWS's exact words, takes the request.

#include <optional>
#include <string>
#include <string_view>

#include "collector/api/context.h"

namespace tributary::collector::api {

// `body` must be readable up to body.size() + 64 bytes (simdjson padding).
std::optional<Result<std::string>> put_records_fast(Context& ctx, std::string_view body);

}  // namespace tributary::collector::api
