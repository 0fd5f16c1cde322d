#pragma once
// Helpers that several handler files share (tags, consumers, resource ARNs). Defined in
// handlers_tags.cpp and handlers_consumers.cpp; only handler files include this.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/api/context.h"

namespace tributary::collector::api::handlers::detail {

using TagMap = std::map<std::string, std::string>;

// --- handlers_tags.cpp ---
// v.result(), with Coral's "Map keys/value must" wording for tag map clauses.
Result<void> validation_result(const Validator& v);
// The stream from ctx.stream_name() once `v` holds no clause. Errors: validation, then
// invalid_argument when neither StreamName nor StreamARN was given.
Result<std::string> resolve_stream(const Validator& v, Result<std::optional<std::string>> name);
// Reads the TagMap member `key`, adding Coral's clauses for it under `path` to `v`.
// Errors: serialization (not a map, or a value that is not a string).
Result<std::optional<TagMap>> read_tags(const Input& in, std::string_view key,
                                        std::string_view path, bool required, Validator& v);
// AWS's character rules for tag keys and values. Errors: invalid_argument.
Result<void> check_characters(const std::vector<std::string_view>& texts,
                              std::string_view failed_to);
// At most 50 tags per stream or consumer. Errors: invalid_argument.
Result<void> check_tag_count(const TagMap& existing, const TagMap& added,
                             std::string_view failed_to, std::string_view noun);
std::vector<std::string_view> tag_texts(const TagMap& tags);

// --- handlers_consumers.cpp ---
std::string stream_of_resource(std::string_view arn);
std::optional<std::string> consumer_of_resource(std::string_view arn);
Result<std::shared_ptr<const store::StreamMeta>> find_resource(Context& ctx,
                                                               const std::string& arn);
store::Consumer* consumer_by_arn(store::StreamMeta& m, std::string_view arn);
const store::Consumer* consumer_by_arn(const store::StreamMeta& m, std::string_view arn);
std::string consumer_not_found(const Context& ctx, std::string_view consumer_arn);

}  // namespace tributary::collector::api::handlers::detail
