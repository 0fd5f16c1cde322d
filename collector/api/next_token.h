#pragma once
// Pagination tokens (ListStreams, ListShards, ListStreamConsumers): base64 of a small JSON
// object {op, at (creation ms), ...position}. They expire after ApiOptions::next_token_ttl_ms
// (ExpiredNextTokenException) and are bound to the operation that issued them.

#include "collector/api/context.h"

namespace tributary::collector::api {

std::string encode_next_token(const Context& ctx, std::string_view op, json position);
// Errors: store::errc::invalid_argument for a token that is not ours or for another
// operation; store::errc::expired_next_token once it is too old.
Result<json> decode_next_token(const Context& ctx, std::string_view token, std::string_view op);

}  // namespace tributary::collector::api
