// The data plane: PutRecord, PutRecords, GetShardIterator, GetRecords.

#include <charconv>
#include <ctime>

#include "collector/api/errc.h"
#include "collector/api/handlers.h"
#include "shared/encoding/base64.h"

namespace tributary::collector::api::handlers {
namespace {

using store::errc;
using store::HashKey;
using store::ShardMeta;
using store::StreamMeta;

constexpr size_t kMaxRecordsPerRequest = 500;
constexpr size_t kMaxRequestBytes = 10 << 20;
constexpr size_t kMaxGetRecordsBytes = 10 << 20;

std::string blob_repr(size_t n) {
    return "'java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(n) + " cap=" +
           std::to_string(n) + "]'";
}

// One record's members, validated with Coral paths under `prefix` ("" or "records.N.member.").
struct RecordInput {
    std::optional<std::string> data, partition_key, explicit_hash_key;
};

Result<RecordInput> read_record(const Input& in, const json& obj, const std::string& prefix,
                                size_t max_data, Validator& v) {
    RecordInput r;
    if (auto it = obj.find("Data"); it != obj.end()) {
        TRIB_TRY(r.data, in.blob_of(*it));
    }
    if (auto it = obj.find("PartitionKey"); it != obj.end()) {
        TRIB_TRY(r.partition_key, Input::string_of(*it));
    }
    if (auto it = obj.find("ExplicitHashKey"); it != obj.end()) {
        TRIB_TRY(r.explicit_hash_key, Input::string_of(*it));
    }
    if (!r.data)
        v.required(prefix + "data", false);
    else if (r.data->size() > max_data)
        v.clause(blob_repr(r.data->size()), prefix + "data",
                 "have length less than or equal to " + std::to_string(max_data));
    v.string(prefix + "partitionKey", r.partition_key,
             {.required = true, .min = 1, .max = 256, .count_chars = true});
    v.string(prefix + "explicitHashKey", r.explicit_hash_key, {.pattern = Pattern::hash_key});
    return r;
}

Result<std::optional<HashKey>> explicit_key(const RecordInput& r) {
    if (!r.explicit_hash_key) return std::optional<HashKey>{};
    auto k = HashKey::parse(*r.explicit_hash_key);
    if (!k)
        return fail(errc::invalid_argument,
                    "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                    "Specified value was " + *r.explicit_hash_key);
    return std::optional<HashKey>(*k);
}

size_t max_data_size(const Context& ctx, const std::optional<std::string>& name) {
    if (name)
        if (auto m = ctx.store.find(*name)) return size_t(m->max_record_kib) * 1024;
    return 1 << 20;
}

std::string shard_missing(const Context& ctx, std::string_view shard, std::string_view stream) {
    return "Shard " + std::string(shard) + " in stream " + std::string(stream) + " under account " +
           ctx.options.account_id + " does not exist";
}

std::string java_date(uint64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
    return buf;
}

json child_shards(const StreamMeta& m, uint32_t parent) {
    json out = json::array();
    for (const auto& s : m.shards) {
        if (s.parent != parent && s.adjacent_parent != parent) continue;
        json parents = json::array({store::ShardId(*s.parent).to_string()});
        if (s.adjacent_parent) parents.push_back(store::ShardId(*s.adjacent_parent).to_string());
        out.push_back({{"ShardId", s.id().to_string()},
                       {"ParentShards", std::move(parents)},
                       {"HashKeyRange",
                        {{"StartingHashKey", s.start.to_string()},
                         {"EndingHashKey", s.end.to_string()}}}});
    }
    return out;
}

}  // namespace

Result<json> put_record(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto ordering, in.string("SequenceNumberForOrdering"));
    TRIB_TRY(auto rec, read_record(in, in.raw(), "", max_data_size(ctx, name), v));
    v.string("sequenceNumberForOrdering", ordering, {.pattern = Pattern::sequence_number});
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto key, explicit_key(rec));
    if (ordering && !store::SequenceNumber::parse(*ordering))
        return fail(errc::invalid_argument,
                    "ExclusiveMinimumSequenceNumber " + *ordering + " used in PutRecord on stream " +
                        *name + " under account " + ctx.options.account_id + " is invalid.");
    store::PutEntry e{*rec.partition_key, key, *rec.data};
    TRIB_TRY(auto out, ctx.store.put_records(*name, std::span(&e, 1)));
    const auto& o = out.front();
    if (!o.ok) return fail(o.error, o.error_message);
    json r = {{"ShardId", store::ShardId(o.shard).to_string()},
              {"SequenceNumber", o.sequence_number}};
    if (auto m = ctx.store.find(*name); m && m->encryption_type == "KMS")
        r["EncryptionType"] = "KMS";
    return r;
}

Result<json> put_records(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(const json* list, in.list("Records"));
    size_t max_data = max_data_size(ctx, name);
    std::vector<RecordInput> recs;
    if (!list) {
        v.required("records", false);
    } else if (list->empty()) {
        v.clause("'[]'", "records", "have length greater than or equal to 1");
    } else if (list->size() > kMaxRecordsPerRequest) {
        v.clause("'[...]'", "records",
                 "have length less than or equal to " + std::to_string(kMaxRecordsPerRequest));
    } else {
        recs.reserve(list->size());
        for (size_t i = 0; i < list->size(); ++i) {
            const json& item = (*list)[i];
            if (!item.is_object())
                return fail(api::errc::serialization,
                            "Start of list found where not expected.");
            TRIB_TRY(auto r, read_record(in, item, "records." + std::to_string(i + 1) + ".member.",
                                         max_data, v));
            recs.push_back(std::move(r));
        }
    }
    TRIB_TRY_VOID(v.result());
    size_t total = 0;
    std::vector<store::PutEntry> entries;
    entries.reserve(recs.size());
    for (const auto& r : recs) {
        total += r.data->size() + r.partition_key->size();
        TRIB_TRY(auto key, explicit_key(r));
        entries.push_back({*r.partition_key, key, *r.data});
    }
    if (total > kMaxRequestBytes)
        return fail(errc::invalid_argument,
                    "Records size exceeds 10 MB limit: " + std::to_string(total) + " bytes.");
    TRIB_TRY(auto batch, ctx.batch_key);
    TRIB_TRY(auto out, ctx.store.put_records(*name, entries, batch ? &*batch : nullptr));
    // A replayed batch is rendered from the same outcomes as the original, so its answer is
    // the same bytes (put_records_fast writes this very text).
    json results = json::array();
    size_t failed = 0;
    for (const auto& o : out.outcomes) {
        if (o.ok) {
            results.push_back({{"SequenceNumber", o.sequence_number},
                               {"ShardId", store::ShardId(o.shard).to_string()}});
        } else {
            ++failed;
            results.push_back({{"ErrorCode", o.error == errc::provisioned_throughput_exceeded
                                                 ? "ProvisionedThroughputExceededException"
                                                 : "InternalFailure"},
                               {"ErrorMessage", o.error_message}});
        }
    }
    json r = {{"FailedRecordCount", failed}, {"Records", std::move(results)}};
    if (out.encrypted) r["EncryptionType"] = "KMS";
    return r;
}

Result<json> get_shard_iterator(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto name, ctx.stream_name(in, v));
    TRIB_TRY(auto shard_text, in.string("ShardId"));
    TRIB_TRY(auto type, in.string("ShardIteratorType"));
    TRIB_TRY(auto seq_text, in.string("StartingSequenceNumber"));
    TRIB_TRY(auto ts, in.timestamp_ms("Timestamp"));
    v.string("shardId", shard_text, {.required = true, .min = 1, .max = 128, .pattern = Pattern::name});
    v.one_of("shardIteratorType", type, true,
             // Coral prints the set in its own (hash) order, which clients see.
             {"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER",
              "TRIM_HORIZON"});
    v.string("startingSequenceNumber", seq_text, {.pattern = Pattern::sequence_number});
    TRIB_TRY_VOID(v.result());
    bool by_seq = *type == "AT_SEQUENCE_NUMBER" || *type == "AFTER_SEQUENCE_NUMBER";
    if (by_seq != seq_text.has_value() && *type != "AT_TIMESTAMP")
        return fail(errc::invalid_argument,
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                    "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                    "StartingSequenceNumber. Request specified " + *type + " and " +
                    (seq_text ? "also a" : "no") + " StartingSequenceNumber.");
    uint64_t now = ctx.now_ms();
    if (*type == "AT_TIMESTAMP") {
        if (!ts)
            return fail(errc::invalid_argument,
                        "Must specify timestampInMillis parameter for iterator of type "
                        "AT_TIMESTAMP. Current request has no timestamp parameter.");
        if (*ts > now)
            return fail(errc::invalid_argument,
                        "The timestampInMillis parameter cannot be greater than the "
                        "currentTimestampInMillis. timestampInMillis: " + std::to_string(*ts) +
                        ", currentTimestampInMillis: " + std::to_string(now));
    }
    auto m = ctx.store.find(*name);
    auto id = store::ShardId::parse(*shard_text);
    const ShardMeta* shard = (m && id && m->status != store::StreamStatus::creating)
                                 ? m->shard(id->index()) : nullptr;
    if (!m) return fail(errc::resource_not_found, ctx.not_found(*name));
    if (!shard) return fail(errc::resource_not_found, shard_missing(ctx, *shard_text, *name));
    uint64_t pos = 0;
    if (*type == "TRIM_HORIZON") {
        pos = shard->trim_index;
    } else if (*type == "LATEST") {
        TRIB_TRY(pos, ctx.store.latest_index(*m, *shard));
    } else if (*type == "AT_TIMESTAMP") {
        TRIB_TRY(pos, ctx.store.index_at(*m, *shard, *ts));
    } else {
        auto seq = store::SequenceNumber::parse(*seq_text);
        if (!seq)
            return fail(errc::invalid_argument,
                        "StartingSequenceNumber " + *seq_text + " used in GetShardIterator on shard " +
                            shard->id().to_string() + " in stream " + m->name + " under account " +
                            ctx.options.account_id + " is invalid.");
        if (seq->shard_index != shard->index)
            return fail(errc::invalid_argument,
                        "Invalid StartingSequenceNumber. It encodes " +
                            store::ShardId(seq->shard_index).to_string() +
                            ", while it was used in a call to a shard with " +
                            shard->id().to_string());
        if (seq->shard_create_secs != shard->create_secs)
            return fail(errc::invalid_argument,
                        "StartingSequenceNumber " + *seq_text + " used in GetShardIterator on shard " +
                            shard->id().to_string() + " in stream " + m->name + " under account " +
                            ctx.options.account_id +
                            " is invalid because it did not come from this stream.");
        if (seq->seq_index == store::SequenceNumber::kMaxSeqIndex) {
            TRIB_TRY(pos, ctx.store.latest_index(*m, *shard));
        } else {
            pos = seq->seq_index + (*type == "AFTER_SEQUENCE_NUMBER");
        }
    }
    IteratorPosition p{now, m->id, shard->index, pos, m->name};
    return json{{"ShardIterator", ctx.iterators.encode(p)}};
}

namespace {

struct GetRecordsPlan {
    std::shared_ptr<const StreamMeta> stream;
    const ShardMeta* shard = nullptr;
    uint64_t from = 0;
    size_t limit = 10000;
    uint64_t now = 0;
};

Result<GetRecordsPlan> plan_get_records(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto token, in.string("ShardIterator"));
    TRIB_TRY(auto limit, in.integer("Limit"));
    TRIB_TRY(auto arn, in.string("StreamARN"));
    v.string("shardIterator", token, {.required = true, .min = 1, .max = 512});
    v.integer("limit", limit, false, 1, 10000);
    v.string("streamARN", arn, {.min = 1, .max = 2048, .pattern = Pattern::stream_arn});
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto pos, ctx.iterators.decode(*token));
    uint64_t now = ctx.now_ms();
    if (pos.created_ms > now + 1000) return fail(errc::invalid_argument, "Invalid ShardIterator.");
    if (now - std::min(now, pos.created_ms) > ctx.options.iterator_ttl_ms)
        return fail(errc::expired_iterator,
                    "Iterator expired. The iterator was created at time " +
                        java_date(pos.created_ms) + " while right now it is " + java_date(now) +
                        " which is further in the future than the tolerated delay of " +
                        std::to_string(ctx.options.iterator_ttl_ms) + " milliseconds.");
    auto m = ctx.store.find(pos.stream_name);
    const ShardMeta* shard = (m && m->id == pos.stream_id) ? m->shard(pos.shard_index) : nullptr;
    if (!shard)
        return fail(errc::resource_not_found,
                    shard_missing(ctx, store::ShardId(pos.shard_index).to_string(),
                                  pos.stream_name));
    return GetRecordsPlan{std::move(m), shard, pos.seq_index,
                          static_cast<size_t>(limit.value_or(10000)), now};
}

// MillisBehindLatest, and either NextShardIterator or, at the end of a closed shard,
// ChildShards and no iterator (how KCL knows to move on to the children).
json get_records_tail(Context& ctx, const GetRecordsPlan& p, const store::ReadResult& rr) {
    json out = {{"MillisBehindLatest", rr.millis_behind}};
    if (!p.shard->open() && rr.at_end) {
        out["ChildShards"] = child_shards(*p.stream, p.shard->index);
    } else {
        IteratorPosition next{p.now, p.stream->id, p.shard->index, rr.next_index, p.stream->name};
        out["NextShardIterator"] = ctx.iterators.encode(next);
    }
    return out;
}

// Epoch milliseconds as JSON seconds with three decimals (1795712571.123).
void append_epoch_seconds(std::string& out, uint64_t ms) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + 24, ms / 1000);
    unsigned frac = static_cast<unsigned>(ms % 1000);
    *end++ = '.';
    *end++ = static_cast<char>('0' + frac / 100);
    *end++ = static_cast<char>('0' + frac / 10 % 10);
    *end++ = static_cast<char>('0' + frac % 10);
    out.append(buf, end);
}

// JSON string body of `s`, with invalid UTF-8 (possible from CBOR clients) as U+FFFD.
void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
            } else {
                out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool valid = n && i + n <= s.size();
        for (size_t k = 1; valid && k < n; ++k)
            valid = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (valid) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
}

}  // namespace

Result<json> get_records(Context& ctx, const Input& in) {
    TRIB_TRY(auto p, plan_get_records(ctx, in));
    TRIB_TRY(auto rr, ctx.store.read(*p.stream, *p.shard, p.from, p.limit, kMaxGetRecordsBytes));
    json records = json::array();
    for (auto& r : rr.records) {
        records.push_back({{"SequenceNumber", std::move(r.sequence_number)},
                           {"ApproximateArrivalTimestamp", r.arrival_ms},
                           {"Data", json::binary(std::vector<std::uint8_t>(r.data.begin(),
                                                                           r.data.end()))},
                           {"PartitionKey", std::move(r.partition_key)}});
        if (p.stream->encryption_type == "KMS") records.back()["EncryptionType"] = "KMS";
    }
    json out = get_records_tail(ctx, p, rr);
    out["Records"] = std::move(records);
    return out;
}

Result<std::string> get_records_json_text(Context& ctx, const Input& in) {
    TRIB_TRY(auto p, plan_get_records(ctx, in));
    bool kms = p.stream->encryption_type == "KMS";
    // Room for the largest answer this request allows (base64 of the data, ~160 bytes of JSON
    // around each record), so the string never regrows; from the pool its pages are mapped
    // already. A full answer of 1 KiB records is ~15.6 MB.
    size_t max_data = std::min<size_t>(kMaxGetRecordsBytes,
                                       p.limit * size_t(p.stream->max_record_kib) * 1024);
    size_t estimate = p.limit * 160 + (max_data + 2) / 3 * 4 + 64;
    std::string out = ctx.reply_buffers ? ctx.reply_buffers->take(estimate) : std::string();
    out.reserve(estimate);
    out += "{\"Records\":[";
    bool first = true;
    auto rr = ctx.store.visit(*p.stream, *p.shard, p.from, p.limit, kMaxGetRecordsBytes,
                              [&](const store::RecordRef& r) {
        out += first ? "{\"SequenceNumber\":\"" : ",{\"SequenceNumber\":\"";
        first = false;
        r.sequence.append_to(out);
        out += "\",\"ApproximateArrivalTimestamp\":";
        append_epoch_seconds(out, r.arrival_ms);
        out += ",\"Data\":\"";
        encoding::base64_encode_append(r.data, out);
        out += "\",\"PartitionKey\":";
        append_json_string(out, r.partition_key);
        if (kms) out += ",\"EncryptionType\":\"KMS\"";
        out += '}';
    });
    if (!rr) return tl::unexpected(rr.error());
    std::string tail = get_records_tail(ctx, p, *rr).dump();
    out += "],";
    out.append(tail, 1);  // the tail's members, without its opening brace
    return out;
}

}  // namespace tributary::collector::api::handlers
