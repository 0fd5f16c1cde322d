// The HTTPS sink as the engine sees it: one Sink per API (Kinesis, Firehose), created when the
// first flow needs it and shared by every flow of that API.

#include <mutex>

#include "agent/sinks/https/sink.h"
#include "agent/sinks/sink.h"

namespace tributary::agent::sinks {
namespace {

engine::SendFn send_fn(std::shared_ptr<https::Sink> sink, std::string producer_id) {
    return [sink = std::move(sink), producer_id = std::move(producer_id)](
               std::string_view stream, std::span<const engine::OutRecord> records,
               std::string_view tag, uint64_t sequence) {
        std::vector<https::OutRecord> out;
        out.reserve(records.size());
        for (const auto& r : records) out.push_back({r.partition_key, r.data});
        return to_outcome(sink->put(stream, out, {producer_id, std::string(tag), sequence}));
    };
}

// The stream's open shards as hash ranges, for the flow's lanes.
engine::ShardsFn shards_fn(std::shared_ptr<https::Sink> sink) {
    return [sink = std::move(sink)](std::string_view stream) -> Result<std::vector<engine::HashRange>> {
        TRIB_TRY(auto shards, sink->list_shards(stream));
        std::vector<engine::HashRange> out;
        for (const auto& s : shards) {
            auto start = engine::parse_hash_key(s.starting_hash_key);
            auto end = engine::parse_hash_key(s.ending_hash_key);
            if (!start || !end)
                return fail(https::errc::list_shards_failed,
                            "shard " + s.shard_id + " has a hash key range out of bounds");
            out.push_back({*start, *end});
        }
        return out;
    };
}

class HttpsTransport : public Transport {
public:
    explicit HttpsTransport(const SinkContext& ctx) : config_(ctx.agent), producer_(ctx.producer_id) {}

    Result<Delivery> delivery(const config::FlowConfig& flow) override {
        bool kinesis = flow.destination == config::Destination::kinesis;
        auto& slot = kinesis ? kinesis_ : firehose_;
        if (!slot) {
            https::Options o;
            o.api = kinesis ? https::Api::kinesis : https::Api::firehose;
            o.endpoint = kinesis ? config_.kinesis_endpoint : config_.firehose_endpoint;
            o.region = kinesis ? config_.kinesis_region : config_.firehose_region;
            o.credentials.access_key_id = config_.credentials.access_key_id;
            o.credentials.secret_access_key = config_.credentials.secret_access_key;
            o.credentials.session_token = config_.credentials.session_token;
            o.ca_file = config_.tls.ca_file;
            o.verify_tls = config_.tls.verify;
            o.connect_timeout = config_.connection_timeout;
            o.request_timeout = config_.socket_timeout;
            o.user_agent = config_.user_agent_override.value_or(
                (config_.user_agent.empty() ? "" : config_.user_agent + " ") + "tributary-agent/0.1");
            TRIB_TRY(auto s, https::Sink::create(std::move(o)));
            slot = std::shared_ptr<https::Sink>(std::move(s));
        }
        // Firehose delivery streams have no shards: one batch at a time.
        return Delivery{send_fn(slot, producer_), kinesis ? shards_fn(slot) : engine::ShardsFn{}};
    }

private:
    const config::AgentConfig& config_;
    std::string producer_;
    std::shared_ptr<https::Sink> kinesis_, firehose_;
};

Result<std::unique_ptr<Transport>> make(const SinkContext& ctx) {
    return std::unique_ptr<Transport>(std::make_unique<HttpsTransport>(ctx));
}

constexpr KeySpec kKeys[] = {
    {"kinesis.endpoint", "string", "AWS's", "Kinesis API endpoint: the collector (http://host:4567) or AWS"},
    {"firehose.endpoint", "string", "AWS's", "Firehose API endpoint"},
    {"kinesis.region", "string", "from the endpoint, else us-east-1", "SigV4 region"},
    {"awsAccessKeyId", "string", "AWS_ACCESS_KEY_ID", "SigV4 credentials (none: unsigned requests)"},
    {"awsSecretAccessKey", "string", "AWS_SECRET_ACCESS_KEY", ""},
    {"tls.caFile", "string", "system store", "CAs to trust"},
    {"tls.verify", "boolean", "true", "verify the server certificate and name"},
    {"connectionTimeoutMillis", "integer", "10000", "connect and TLS handshake"},
    {"socketTimeoutMillis", "integer", "50000", "a whole request"},
};

}  // namespace

const SinkDescriptor kHttps = {
    "https",
    "Kinesis PutRecords / Firehose PutRecordBatch over HTTP(S) with SigV4, to the collector or "
    "to AWS, with the idempotence headers of docs/agent-delivery.md",
    config::Sink::https,
    kKeys,
    make,
};

}  // namespace tributary::agent::sinks
