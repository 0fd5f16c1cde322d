#pragma once
// Coral-style constraint validation, producing AWS's exact ValidationException text:
//   "2 validation errors detected: Value 'x!' at 'streamName' failed to satisfy constraint:
//    Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value null at ..."
// Clauses are listed in the order they were found, at most 10.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.h"

namespace tributary::collector::api {

// Character-class patterns the Kinesis model uses, checked without std::regex on the hot path.
enum class Pattern { none, name, hash_key, sequence_number, stream_arn, consumer_arn, resource_arn,
                     key_id };
std::string_view pattern_text(Pattern p);
bool matches(Pattern p, std::string_view value);

struct StringRule {
    bool required = false;
    size_t min = 0, max = SIZE_MAX;
    Pattern pattern = Pattern::none;
    bool count_chars = false;  // lengths in Unicode characters (PartitionKey) instead of bytes
};

class Validator {
public:
    void string(std::string_view path, const std::optional<std::string>& v, const StringRule& r);
    void integer(std::string_view path, const std::optional<int64_t>& v, bool required,
                 std::optional<int64_t> min, std::optional<int64_t> max);
    void one_of(std::string_view path, const std::optional<std::string>& v, bool required,
                std::initializer_list<std::string_view> values);
    void required(std::string_view path, bool present);
    void clause(std::string value_repr, std::string_view path, std::string_view constraint);

    // An error to report only if no constraint clause was found: Coral validates members
    // before an operation looks at how they combine.
    void defer(Error e) {
        if (!deferred_) deferred_ = std::move(e);
    }

    bool ok() const { return clauses_.empty() && !deferred_; }
    // validation errc with the joined message when any clause was added, else the deferred
    // error, else success.
    Result<void> result() const;

private:
    std::vector<std::string> clauses_;
    std::optional<Error> deferred_;
};

size_t utf8_length(std::string_view s);

}  // namespace tributary::collector::api
