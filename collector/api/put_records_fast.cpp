#include "collector/api/put_records_fast.h"

#include <simdjson.h>

#include <cstdio>

#include "shared/encoding/base64.h"

namespace tributary::collector::api {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kMaxRecords = 500;
constexpr size_t kMaxRequestBytes = 10 << 20;

struct Span {
    size_t pk_off = 0, pk_len = 0, data_off = 0, data_len = 0;
    std::optional<store::HashKey> explicit_hash_key;
};

void append_shard_id(std::string& out, uint32_t index) {
    char buf[24];
    int n = std::snprintf(buf, sizeof buf, "shardId-%012u", index);
    out.append(buf, static_cast<size_t>(n));
}

}  // namespace

std::optional<Result<std::string>> put_records_fast(Context& ctx, std::string_view body) {
    thread_local od::parser parser;
    od::document doc;
    if (parser.iterate(simdjson::padded_string_view(body.data(), body.size(),
                                                    body.size() + simdjson::SIMDJSON_PADDING))
            .get(doc))
        return std::nullopt;
    od::object root;
    if (doc.get_object().get(root)) return std::nullopt;

    std::string_view name, arn;
    std::string arena;  // partition keys and decoded data, back to back
    std::vector<Span> spans;
    bool have_records = false;
    for (auto field : root) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return std::nullopt;
        od::value v;
        if (field.value().get(v)) return std::nullopt;
        if (key == "StreamName") {
            if (v.get_string().get(name)) return std::nullopt;
        } else if (key == "StreamARN") {
            if (v.get_string().get(arn)) return std::nullopt;
        } else if (key == "Records") {
            od::array list;
            if (v.get_array().get(list)) return std::nullopt;
            have_records = true;
            arena.reserve(body.size() * 3 / 4);
            for (auto item : list) {
                od::object rec;
                if (item.get_object().get(rec)) return std::nullopt;
                if (spans.size() == kMaxRecords) return std::nullopt;
                Span s;
                bool has_pk = false, has_data = false;
                for (auto f : rec) {
                    std::string_view k, text;
                    if (f.unescaped_key().get(k) || f.value().get_string().get(text))
                        return std::nullopt;
                    if (k == "Data") {
                        s.data_off = arena.size();
                        if (!encoding::base64_decode_append(text, arena)) return std::nullopt;
                        s.data_len = arena.size() - s.data_off;
                        has_data = true;
                    } else if (k == "PartitionKey") {
                        if (text.empty() || utf8_length(text) > 256) return std::nullopt;
                        s.pk_off = arena.size();
                        s.pk_len = text.size();
                        arena.append(text);
                        has_pk = true;
                    } else if (k == "ExplicitHashKey") {
                        s.explicit_hash_key = store::HashKey::parse(text);
                        if (!s.explicit_hash_key) return std::nullopt;
                    } else {
                        return std::nullopt;
                    }
                }
                if (!has_pk || !has_data) return std::nullopt;
                spans.push_back(s);
            }
        } else {
            return std::nullopt;
        }
    }
    const char* trailing = nullptr;  // anything after the object: let the generic path judge
    if (!doc.current_location().get(trailing) || !have_records || spans.empty())
        return std::nullopt;

    // Stream: by name, or by an ARN of this account's form.
    std::string stream;
    if (!name.empty()) {
        if (name.size() > 128 || !matches(Pattern::name, name)) return std::nullopt;
        stream = name;
    }
    if (!arn.empty()) {
        auto at = arn.find(":stream/");
        if (at == std::string_view::npos || !matches(Pattern::stream_arn, arn)) return std::nullopt;
        if (!stream.empty() && stream != arn.substr(at + 8)) return std::nullopt;
        stream = arn.substr(at + 8);
    }
    if (stream.empty()) return std::nullopt;
    auto meta = ctx.store.find(stream);
    size_t max_data = meta ? size_t(meta->max_record_kib) * 1024 : size_t(1) << 20;
    if (arena.size() > kMaxRequestBytes) return std::nullopt;
    std::vector<store::PutEntry> entries;
    entries.reserve(spans.size());
    std::string_view a = arena;
    for (const auto& s : spans) {
        if (s.data_len > max_data) return std::nullopt;
        entries.push_back({a.substr(s.pk_off, s.pk_len), s.explicit_hash_key,
                           a.substr(s.data_off, s.data_len)});
    }

    if (!ctx.batch_key) return Result<std::string>(tl::unexpected(ctx.batch_key.error()));
    const auto& batch = *ctx.batch_key;
    auto out = ctx.store.put_records(stream, entries, batch ? &*batch : nullptr);
    if (!out) return Result<std::string>(tl::unexpected(out.error()));
    // The members in the generic handler's (nlohmann's sorted) order, so that both paths answer
    // a batch, and its replay, with the same bytes.
    const auto& outcomes = out->outcomes;
    size_t failed = 0;
    for (const auto& o : outcomes) failed += !o.ok;
    std::string reply;
    reply.reserve(60 + outcomes.size() * 110);
    reply += out->encrypted ? "{\"EncryptionType\":\"KMS\",\"FailedRecordCount\":"
                            : "{\"FailedRecordCount\":";
    reply += std::to_string(failed);
    reply += ",\"Records\":[";
    for (size_t i = 0; i < outcomes.size(); ++i) {
        const auto& o = outcomes[i];
        if (i) reply += ',';
        if (o.ok) {
            reply += "{\"SequenceNumber\":\"";
            reply += o.sequence_number;
            reply += "\",\"ShardId\":\"";
            append_shard_id(reply, o.shard);
            reply += "\"}";
        } else {
            // Messages are built by the store from validated names: no JSON escaping needed.
            reply += "{\"ErrorCode\":\"";
            reply += o.error == store::errc::provisioned_throughput_exceeded
                         ? "ProvisionedThroughputExceededException"
                         : "InternalFailure";
            reply += "\",\"ErrorMessage\":\"";
            reply += o.error_message;
            reply += "\"}";
        }
    }
    reply += "]}";
    return Result<std::string>(std::move(reply));
}

}  // namespace tributary::collector::api
