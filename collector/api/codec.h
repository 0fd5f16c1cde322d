#pragma once
// Body codecs for the two AWS JSON-protocol encodings Kinesis clients send:
//   application/x-amz-json-1.1  blobs as base64 strings, timestamps as epoch seconds (float)
//   application/x-amz-cbor-1.1  blobs as byte strings, timestamps as epoch milliseconds
//                               (Java SDK: optionally under tag 1), indefinite-length items
// Requests are decoded into one nlohmann::json tree whatever the format; Input hides the two
// representations of blobs and timestamps from handlers. Handlers build responses with
// blobs as json::binary and timestamps as integer epoch ms under the member names in
// kTimestampMembers; encode() renders both for the wire format of the request.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/result.h"

namespace tributary::collector::api {

using json = nlohmann::json;

enum class Format { json, cbor };

// Errors: api::errc::serialization when the body is not a JSON object / CBOR map.
Result<json> decode(std::string_view body, Format format);
std::string encode(const json& value, Format format);

// Reads members of a request object with AWS's type rules; a member of the wrong type is a
// SerializationException, reported with Coral's wording.
class Input {
public:
    Input(const json& body, Format format) : body_(body), format_(format) {}

    Format format() const { return format_; }
    const json& raw() const { return body_; }
    bool has(std::string_view key) const;

    Result<std::optional<std::string>> string(std::string_view key) const;
    Result<std::optional<int64_t>> integer(std::string_view key) const;
    Result<std::optional<bool>> boolean(std::string_view key) const;
    Result<std::optional<uint64_t>> timestamp_ms(std::string_view key) const;
    // A member that must be an object / list when present.
    Result<const json*> object(std::string_view key) const;
    Result<const json*> list(std::string_view key) const;

    // For members of nested objects (records of PutRecords, ShardFilter...).
    static Result<std::optional<std::string>> string_of(const json& v);
    Result<std::optional<std::string>> blob_of(const json& v) const;
    Result<std::optional<uint64_t>> timestamp_of(const json& v) const;

private:
    const json* find(std::string_view key) const;
    const json& body_;
    Format format_;
};

}  // namespace tributary::collector::api
