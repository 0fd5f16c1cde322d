#pragma once
// Api: the Kinesis Data Streams endpoint, independent of the HTTP library that carries it.
// It takes one request (method, target, headers, body) and returns the reply AWS would send:
// pre-dispatch checks in AWS's order (CORS, method, content type, target, authentication, body
// syntax), then the operation handler, with every error in the protocol's own shape.
// Thread-safe; handle() blocks while a write waits for its group commit.

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collector/api/context.h"
#include "collector/api/iterator.h"
#include "shared/buffer_pool.h"

namespace tributary::collector::api {

struct HttpExchange {
    std::string method;
    std::string target;  // path and query as received
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // capacity >= size() + 64 lets the JSON fast path parse in place
    const std::string* header(std::string_view name) const;  // case-insensitive
};

struct HttpReply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

class Api {
public:
    // Loads (or creates and stores) the iterator key. Errors: internal_failure from the store.
    static Result<std::unique_ptr<Api>> create(store::ShardStore& store, ApiOptions options);

    HttpReply handle(const HttpExchange& request);
    void render_metrics(std::string& out) const;

    // Large strings for the transport to reuse: request bodies (take one for a body of known
    // length) and answers (hand each back once it is written). See shared/buffer_pool.h.
    BufferPool& body_buffers() { return body_buffers_; }
    void recycle(std::string&& reply_body) { reply_buffers_.give(std::move(reply_body)); }

private:
    Api(store::ShardStore& store, ApiOptions options, std::string key_material);
    HttpReply reply(int status, std::string_view content_type, std::string body) const;
    HttpReply error_reply(const Error& e, Format format, std::string_view content_type) const;

    store::ShardStore& store_;
    ApiOptions options_;
    IteratorCodec iterators_;

    static constexpr size_t kBuckets = 12;
    struct OpStats {
        std::atomic<uint64_t> ok{0}, errors{0}, micros_sum{0};
        std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    };
    std::unique_ptr<OpStats[]> stats_;
    // A PutRecords body is ~0.7 MB; a GetRecords answer up to ~16 MB.
    BufferPool body_buffers_{32, 64 << 10, 12 << 20};
    BufferPool reply_buffers_{4, 1 << 20, 32 << 20};
};

}  // namespace tributary::collector::api
