#pragma once
// The HTTPS sink's wire format without the HTTP client: endpoint parsing, request building
// (JSON body, headers, SigV4) and response classification. Pure functions, thread-safe, free of
// cpprest so they can be unit-tested byte for byte.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/sinks/https/sink.h"

namespace tributary::agent::sinks::https {

inline constexpr std::string_view content_type = "application/x-amz-json-1.1";
inline constexpr std::string_view producer_id_header = "X-Tributary-Producer-Id";
inline constexpr std::string_view flow_header = "X-Tributary-Flow";
inline constexpr std::string_view sequence_header = "X-Tributary-Batch-Sequence";

struct Endpoint {
    bool tls = true;
    std::string host;         // as written in the URL (an IPv6 literal keeps its brackets)
    uint16_t port = 443;      // explicit or the scheme's default
    bool port_explicit = false;
    std::string path = "/";  // the request target
    std::string base_url;     // "scheme://host[:port]", what the HTTP client connects to
    // The Host header the HTTP client sends (cpprest: host, plus ":port" only if the URL names
    // one) and therefore the one SigV4 must sign.
    std::string host_header() const;
};

// Errors: errc::bad_endpoint naming the problem (scheme other than http/https, empty host,
// user info, query, fragment, a port that is not 1..65535, a region unusable in a hostname).
Result<Endpoint> parse_endpoint(std::string_view endpoint, Api api, std::string_view region);

struct Request {
    std::string target;  // the path
    std::vector<std::pair<std::string, std::string>> headers;  // including Host
    std::string body;
};

// "Kinesis_20131202.PutRecords" or "Firehose_20150804.PutRecordBatch".
std::string_view target_action(Api api);
// The SigV4 service name: "kinesis" or "firehose".
std::string_view signing_service(Api api);

// Builds the signed (when options.credentials has a key id) request for one batch.
// Errors: errc::invalid_batch naming the record or field: empty stream name, more than
// limits().max_records records, a record or the batch over the byte limits, a Kinesis partition
// key empty, over 256 characters or not UTF-8, a producer id that is not 32 lower-case hex
// digits, a flow id empty or over 1024 bytes.
Result<Request> build_request(const Endpoint& endpoint, const Options& options,
                              std::string_view stream, std::span<const OutRecord> records,
                              const BatchTag& tag, aws::Clock::time_point now);

// ListShards (Kinesis only): the first page names the stream and asks for the open shards;
// later pages carry only the NextToken, as the API requires.
Result<Request> build_list_shards_request(const Endpoint& endpoint, const Options& options,
                                          std::string_view stream, std::string_view next_token,
                                          aws::Clock::time_point now);
struct ShardsPage {
    std::vector<ShardInfo> shards;
    std::string next_token;  // empty on the last page
};
// Errors: errc::list_shards_failed for an error answer ("__type: message") or a malformed one.
Result<ShardsPage> parse_list_shards(int http_status, std::string_view error_type_header,
                                     std::string_view body);

// Classifies an HTTP answer. `error_type_header` is x-amzn-ErrorType ("" when absent),
// `expected_records` the batch size. Never throws; a malformed 200 body is retry.
SendResult parse_response(Api api, int http_status, std::string_view error_type_header,
                          std::string_view body, size_t expected_records);

// The bare AWS error type: "com.amazonaws.kinesis.v20131202#ResourceNotFoundException" and
// "UnrecognizedClientException:http://internal.amazon.com/..." both lose their decorations.
std::string normalize_error_type(std::string_view type);

}  // namespace tributary::agent::sinks::https
