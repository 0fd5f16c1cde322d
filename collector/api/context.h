#pragma once
// What every operation handler gets: the store, the API options, the iterator codec, and the
// helpers that shape common pieces of responses and errors. Handlers are plain functions
// `Result<json> op(Context&, const Input&)`, one per action, listed in operations.cpp.

#include <map>
#include <memory>
#include <span>
#include <string>

#include "collector/api/codec.h"
#include "collector/api/iterator.h"
#include "collector/api/validation.h"
#include "collector/store/shard_store.h"
#include "shared/buffer_pool.h"

namespace tributary::collector::api {

struct ApiOptions {
    std::string region = "us-east-1";
    std::string account_id = "000000000000";
    // access key id → secret; SigV4 is verified when non-empty.
    std::map<std::string, std::string> credentials;
    uint64_t iterator_ttl_ms = 300'000;
    uint64_t next_token_ttl_ms = 300'000;
};

class Context {
public:
    Context(store::ShardStore& s, const ApiOptions& o, const IteratorCodec& it)
        : store(s), options(o), iterators(it) {}

    store::ShardStore& store;
    const ApiOptions& options;
    const IteratorCodec& iterators;
    BufferPool* reply_buffers = nullptr;  // where a large answer may take its string from
    // PutRecords' X-Tributary-* headers (batch_headers.h): nullopt without them, an error when
    // they are malformed. Handlers report that error only once the body has passed validation.
    Result<std::optional<store::BatchKey>> batch_key;

    // Reads StreamName and/or StreamARN (either is enough; both must agree) into `v`'s
    // clauses; returns the stream name, or nullopt when neither was usable.
    Result<std::optional<std::string>> stream_name(const Input& in, Validator& v) const;
    // The stream's current snapshot. Errors: resource_not_found (absent or still CREATING).
    Result<std::shared_ptr<const store::StreamMeta>> stream(const std::string& name) const;
    std::string not_found(std::string_view name) const;
    std::string consumer_arn(std::string_view stream, std::string_view consumer,
                             uint64_t created_ms) const;

    json shard_json(const store::ShardMeta& s) const;
    uint64_t now_ms() const { return store.now_ms(); }
};

using Handler = Result<json> (*)(Context&, const Input&);
struct Operation {
    std::string_view name;
    Handler handler;
};
// Every supported X-Amz-Target operation (without the "Kinesis_20131202." prefix).
std::span<const Operation> operations();
Handler find_operation(std::string_view name);

}  // namespace tributary::collector::api
