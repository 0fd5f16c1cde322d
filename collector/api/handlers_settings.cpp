// Stream and account settings: enhanced monitoring, server-side encryption (metadata only; no
// KMS is involved), DescribeLimits, the account's minimum throughput billing commitment, the
// maximum record size, warm throughput, the capacity mode, and resource policies on streams and
// consumers.
//
// Stream changes go through ShardStore::update_stream, so they are durable when the call
// returns and are checked against the latest metadata on the writer thread. AWS applies them
// asynchronously (the stream is UPDATING for a while); with StoreOptions::status_delay_ms set the
// store shows the same, otherwise the change is visible at once.

#include <algorithm>
#include <set>

#include "collector/api/errc.h"
#include "collector/api/handlers.h"
#include "collector/api/handlers_detail.h"

namespace tributary::collector::api::handlers {

// Helpers shared by the tag, consumer and settings handlers. Each is defined once, in the file
// named; the files that use another's declare it here. (They belong in a header of their own.)
namespace {

using store::StreamMeta;
using store::StreamStatus;

// The seven shard-level metrics in the model's order; "ALL" stands for all of them.
constexpr std::string_view kMetrics[] = {"IncomingBytes",
                                         "IncomingRecords",
                                         "OutgoingBytes",
                                         "OutgoingRecords",
                                         "WriteProvisionedThroughputExceeded",
                                         "ReadProvisionedThroughputExceeded",
                                         "IteratorAgeMilliseconds"};

constexpr std::string_view kCommitmentSetting = "minimum_throughput_billing_commitment";
constexpr int kCommitmentHours = 24;  // a commitment can end 24 hours after it started
constexpr int kMaxWarmThroughputMiBps = 10240;

Result<void> require_active(const Context& ctx, const StreamMeta& m) {
    if (m.status == StreamStatus::active) return {};
    return fail(store::errc::resource_in_use,
                "Stream " + m.name + " under account " + ctx.options.account_id +
                    " not ACTIVE, instead in state " + std::string(to_string(m.status)));
}

// Marks `m` UPDATING for the store's status delay, as AWS does while it applies a change.
void begin_update(const Context& ctx, StreamMeta& m) {
    int64_t delay = ctx.store.options().status_delay_ms;
    if (delay <= 0) return;
    m.status = StreamStatus::updating;
    m.status_until_ms = ctx.now_ms() + static_cast<uint64_t>(delay);
}

json metric_list(const std::set<std::string>& metrics) {
    json out = json::array();
    for (auto name : kMetrics)
        if (metrics.contains(std::string(name))) out.push_back(name);
    return out;
}

Result<json> change_monitoring(Context& ctx, const Input& in, bool enable) {
    Validator v;
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(const json* list, in.list("ShardLevelMetrics"));
    v.required("shardLevelMetrics", list != nullptr);
    std::set<std::string> change;
    if (list) {
        std::string repr;
        bool bad = false;
        for (const auto& e : *list) {
            TRIB_TRY(auto metric, Input::string_of(e));
            std::string m = metric.value_or("null");
            repr += (repr.empty() ? "" : ", ") + m;
            if (m == "ALL") {
                for (auto all : kMetrics) change.emplace(all);
            } else if (std::find(std::begin(kMetrics), std::end(kMetrics), m) !=
                       std::end(kMetrics)) {
                change.insert(m);
            } else {
                bad = true;
            }
        }
        repr = "'[" + repr + "]'";
        if (list->empty())
            v.clause(repr, "shardLevelMetrics", "have length greater than or equal to 1");
        if (list->size() > 7)
            v.clause(repr, "shardLevelMetrics", "have length less than or equal to 7");
        if (bad)
            v.clause(repr, "shardLevelMetrics",
                     "satisfy constraint: [Member must satisfy enum value set: [IncomingBytes, "
                     "IncomingRecords, OutgoingBytes, OutgoingRecords, "
                     "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
                     "IteratorAgeMilliseconds, ALL]]");
    }
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    TRIB_TRY_VOID(ctx.stream(stream));
    std::set<std::string> before, after;
    auto updated = ctx.store.update_stream(stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(require_active(ctx, m));
        before = m.shard_level_metrics;
        for (const auto& metric : change) {
            if (enable) {
                m.shard_level_metrics.insert(metric);
            } else {
                m.shard_level_metrics.erase(metric);
            }
        }
        after = m.shard_level_metrics;
        if (after != before) begin_update(ctx, m);
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json{{"StreamName", (*updated)->name},
                {"StreamARN", (*updated)->arn},
                {"CurrentShardLevelMetrics", metric_list(before)},
                {"DesiredShardLevelMetrics", metric_list(after)}};
}

Result<json> change_encryption(Context& ctx, const Input& in, bool start) {
    Validator v;
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(auto type, in.string("EncryptionType"));
    TRIB_TRY(auto key, in.string("KeyId"));
    v.one_of("encryptionType", type, true, {"NONE", "KMS"});
    v.string("keyId", key, {.required = true, .min = 1, .max = 2048});
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    // The model's enum admits NONE, but both operations document KMS as the only valid value.
    if (*type != "KMS")
        return fail(store::errc::invalid_argument,
                    "Encryption type " + *type + " is not valid. The only valid value is KMS.");
    TRIB_TRY_VOID(ctx.stream(stream));
    auto updated = ctx.store.update_stream(stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(require_active(ctx, m));
        std::string new_type = start ? "KMS" : "NONE";
        std::string new_key = start ? *key : "";
        if (m.encryption_type == new_type && m.key_id == new_key) return {};
        m.encryption_type = std::move(new_type);
        m.key_id = std::move(new_key);
        begin_update(ctx, m);
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

// The account's MinimumThroughputBillingCommitment, kept as JSON in the store's settings.
// Enabling starts a commitment that can end 24 hours later at the earliest; disabling it sooner
// schedules the end (ENABLED_UNTIL_EARLIEST_ALLOWED_END), and enabling again before then
// cancels the scheduled end (the rules of the MinimumThroughputBillingCommitmentInput docs).
struct Commitment {
    std::string status = "DISABLED";
    std::optional<uint64_t> started_ms, ended_ms, earliest_end_ms;

    static Result<Commitment> load(Context& ctx) {
        TRIB_TRY(auto text, ctx.store.get_setting(kCommitmentSetting));
        Commitment c;
        if (!text) return c;
        json j = json::parse(*text, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("status") || !j["status"].is_string())
            return fail(store::errc::internal_failure,
                        "Unreadable account setting " + std::string(kCommitmentSetting));
        c.status = j["status"].get<std::string>();
        auto ms = [&](const char* key, std::optional<uint64_t>& out) {
            if (j.contains(key) && j[key].is_number_unsigned()) out = j[key].get<uint64_t>();
        };
        ms("started_ms", c.started_ms);
        ms("ended_ms", c.ended_ms);
        ms("earliest_end_ms", c.earliest_end_ms);
        // A scheduled end that has passed has happened.
        if (c.status == "ENABLED_UNTIL_EARLIEST_ALLOWED_END" && c.earliest_end_ms &&
            ctx.now_ms() >= *c.earliest_end_ms) {
            c.status = "DISABLED";
            c.ended_ms = c.earliest_end_ms;
        }
        return c;
    }

    Result<void> save(Context& ctx) const {
        json j = {{"status", status}};
        if (started_ms) j["started_ms"] = *started_ms;
        if (ended_ms) j["ended_ms"] = *ended_ms;
        if (earliest_end_ms) j["earliest_end_ms"] = *earliest_end_ms;
        return ctx.store.put_setting(kCommitmentSetting, j.dump());
    }

    void apply(const std::string& requested, uint64_t now, uint64_t hour_ms) {
        if (requested == "ENABLED") {
            if (status == "DISABLED") {
                *this = {.status = "ENABLED",
                         .started_ms = now,
                         .ended_ms = std::nullopt,
                         .earliest_end_ms = now + kCommitmentHours * hour_ms};
            } else {
                status = "ENABLED";
                ended_ms.reset();
            }
        } else if (status == "ENABLED") {
            if (earliest_end_ms && now < *earliest_end_ms) {
                status = "ENABLED_UNTIL_EARLIEST_ALLOWED_END";
            } else {
                status = "DISABLED";
                ended_ms = now;
            }
        }
    }

    json to_json() const {
        json j = {{"Status", status}};
        if (started_ms) j["StartedAt"] = *started_ms;
        if (ended_ms) j["EndedAt"] = *ended_ms;
        if (earliest_end_ms) j["EarliestAllowedEndAt"] = *earliest_end_ms;
        return j;
    }
};

Result<std::string> resource_arn(const Input& in, Validator& v) {
    TRIB_TRY(auto arn, in.string("ResourceARN"));
    v.string("resourceARN", arn,
             {.required = true, .min = 1, .max = 2048, .pattern = Pattern::resource_arn});
    return arn.value_or("");
}

// The policy slot of the stream or consumer `arn` names, in the writer's copy of the stream.
Result<std::optional<std::string>*> policy_of(const Context& ctx, StreamMeta& m,
                                              const std::string& arn) {
    if (!detail::consumer_of_resource(arn)) return &m.policy;
    store::Consumer* c = detail::consumer_by_arn(m, arn);
    if (!c) return fail(store::errc::resource_not_found, detail::consumer_not_found(ctx, arn));
    return &c->policy;
}

// Policies change on ACTIVE and UPDATING streams.
Result<void> policy_changeable(const Context& ctx, const StreamMeta& m) {
    if (m.status != StreamStatus::deleting) return {};
    return require_active(ctx, m);
}

}  // namespace

Result<json> enable_enhanced_monitoring(Context& ctx, const Input& in) {
    return change_monitoring(ctx, in, true);
}

Result<json> disable_enhanced_monitoring(Context& ctx, const Input& in) {
    return change_monitoring(ctx, in, false);
}

Result<json> start_stream_encryption(Context& ctx, const Input& in) {
    return change_encryption(ctx, in, true);
}

Result<json> stop_stream_encryption(Context& ctx, const Input& in) {
    return change_encryption(ctx, in, false);
}

Result<json> describe_limits(Context& ctx, const Input&) {
    size_t open = 0, on_demand = 0;
    for (const auto& m : ctx.store.list()) {
        open += m->open_shard_count();
        on_demand += m->on_demand;
    }
    const auto& o = ctx.store.options();
    return json{{"ShardLimit", o.shard_limit},
                {"OpenShardCount", open},
                {"OnDemandStreamCount", on_demand},
                {"OnDemandStreamCountLimit", o.on_demand_stream_limit}};
}

Result<json> describe_account_settings(Context& ctx, const Input&) {
    TRIB_TRY(auto c, Commitment::load(ctx));
    return json{{"MinimumThroughputBillingCommitment", c.to_json()}};
}

// Read-modify-write of one setting: two concurrent calls can race (the last write wins), which
// the store's settings API does not let us prevent; the outcome is still a valid state.
Result<json> update_account_settings(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(const json* commitment, in.object("MinimumThroughputBillingCommitment"));
    v.required("minimumThroughputBillingCommitment", commitment != nullptr);
    std::optional<std::string> status;
    if (commitment) {
        if (auto it = commitment->find("Status"); it != commitment->end()) {
            TRIB_TRY(status, Input::string_of(*it));
        }
        v.one_of("minimumThroughputBillingCommitment.status", status, true,
                 {"ENABLED", "DISABLED"});
    }
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto c, Commitment::load(ctx));
    // A test store shortens hours (StoreOptions::hour_ms); the commitment window follows it.
    c.apply(*status, ctx.now_ms(), static_cast<uint64_t>(ctx.store.options().hour_ms));
    TRIB_TRY_VOID(c.save(ctx));
    return json{{"MinimumThroughputBillingCommitment", c.to_json()}};
}

Result<json> update_max_record_size(Context& ctx, const Input& in) {
    Validator v;
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(auto kib, in.integer("MaxRecordSizeInKiB"));
    v.integer("maxRecordSizeInKiB", kib, true, 1024, 10240);
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    TRIB_TRY_VOID(ctx.stream(stream));
    auto updated = ctx.store.update_stream(stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(require_active(ctx, m));
        if (m.max_record_kib == *kib) return {};
        m.max_record_kib = static_cast<int>(*kib);
        begin_update(ctx, m);
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

Result<json> update_stream_warm_throughput(Context& ctx, const Input& in) {
    Validator v;
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(auto mibps, in.integer("WarmThroughputMiBps"));
    v.integer("warmThroughputMiBps", mibps, true, 0, std::nullopt);
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    TRIB_TRY_VOID(ctx.stream(stream));
    int target = static_cast<int>(*mibps), previous = 0;
    auto updated = ctx.store.update_stream(stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(require_active(ctx, m));
        if (!m.on_demand)
            return fail(store::errc::invalid_argument,
                        "Warm throughput is only supported for streams in ON_DEMAND capacity "
                        "mode. Stream " +
                            m.name + " under account " + ctx.options.account_id +
                            " is in PROVISIONED capacity mode.");
        if (target > kMaxWarmThroughputMiBps)
            return fail(store::errc::limit_exceeded,
                        "Requested warm throughput of " + std::to_string(target) +
                            " MiBps exceeds the limit of " +
                            std::to_string(kMaxWarmThroughputMiBps) + " MiBps.");
        previous = m.warm_throughput_mibps;
        if (previous == target) return {};
        m.warm_throughput_mibps = target;
        begin_update(ctx, m);
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    // While the stream is UPDATING the previous throughput is still the current one.
    bool pending = previous != target && ctx.store.options().status_delay_ms > 0;
    return json{{"StreamARN", (*updated)->arn},
                {"StreamName", (*updated)->name},
                {"WarmThroughput",
                 {{"TargetMiBps", target}, {"CurrentMiBps", pending ? previous : target}}}};
}

Result<json> update_stream_mode(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto arn, in.string("StreamARN"));
    TRIB_TRY(const json* details, in.object("StreamModeDetails"));
    TRIB_TRY(auto warm, in.integer("WarmThroughputMiBps"));
    v.string("streamARN", arn,
             {.required = true, .min = 1, .max = 2048, .pattern = Pattern::stream_arn});
    v.required("streamModeDetails", details != nullptr);
    std::optional<std::string> mode;
    if (details) {
        if (auto it = details->find("StreamMode"); it != details->end()) {
            TRIB_TRY(mode, Input::string_of(*it));
        }
        v.one_of("streamModeDetails.streamMode", mode, true, {"PROVISIONED", "ON_DEMAND"});
    }
    v.integer("warmThroughputMiBps", warm, false, 0, std::nullopt);
    TRIB_TRY_VOID(v.result());
    std::string stream = arn->substr(arn->find(":stream/") + 8);
    bool on_demand = *mode == "ON_DEMAND";
    if (warm && !on_demand)
        return fail(store::errc::invalid_argument,
                    "WarmThroughputMiBps can only be specified when updating a stream to "
                    "ON_DEMAND capacity mode.");
    TRIB_TRY(auto current, ctx.stream(stream));
    if (on_demand && !current->on_demand) {
        // Counted from the published snapshots: another stream switching at the same moment
        // could slip past the quota, as with two concurrent CreateStream calls.
        uint32_t count = 0;
        for (const auto& m : ctx.store.list()) count += m->on_demand;
        uint32_t limit = ctx.store.options().on_demand_stream_limit;
        if (count >= limit)
            return fail(store::errc::limit_exceeded,
                        "This request would exceed the on-demand stream limit of " +
                            std::to_string(limit) + " for account " + ctx.options.account_id + ".");
    }
    auto updated = ctx.store.update_stream(stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(require_active(ctx, m));
        int new_warm =
            on_demand ? static_cast<int>(warm.value_or(m.on_demand ? m.warm_throughput_mibps : 0))
                      : 0;
        if (m.on_demand == on_demand && m.warm_throughput_mibps == new_warm) return {};
        m.on_demand = on_demand;
        m.warm_throughput_mibps = new_warm;
        begin_update(ctx, m);
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

Result<json> put_resource_policy(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto arn, resource_arn(in, v));
    TRIB_TRY(auto policy, in.string("Policy"));
    v.required("policy", policy.has_value());
    TRIB_TRY_VOID(v.result());
    TRIB_TRY_VOID(detail::find_resource(ctx, arn));
    json doc = json::parse(*policy, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return fail(store::errc::invalid_argument,
                    "Policy is not a valid JSON policy document: " + *policy);
    auto updated = ctx.store.update_stream(
        detail::stream_of_resource(arn), [&](StreamMeta& m) -> Result<void> {
            TRIB_TRY_VOID(policy_changeable(ctx, m));
            TRIB_TRY(std::optional<std::string> * slot, policy_of(ctx, m, arn));
            *slot = *policy;  // kept as given: GetResourcePolicy returns the caller's text
            return {};
        });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

Result<json> get_resource_policy(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto arn, resource_arn(in, v));
    TRIB_TRY_VOID(v.result());
    TRIB_TRY(auto m, detail::find_resource(ctx, arn));
    const std::optional<std::string>& policy =
        detail::consumer_of_resource(arn) ? detail::consumer_by_arn(*m, arn)->policy : m->policy;
    // Policy is a required member: a resource without one answers with an empty document.
    return json{{"Policy", policy.value_or("{}")}};
}

Result<json> delete_resource_policy(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto arn, resource_arn(in, v));
    TRIB_TRY_VOID(v.result());
    TRIB_TRY_VOID(detail::find_resource(ctx, arn));
    auto updated = ctx.store.update_stream(
        detail::stream_of_resource(arn), [&](StreamMeta& m) -> Result<void> {
            TRIB_TRY_VOID(policy_changeable(ctx, m));
            TRIB_TRY(std::optional<std::string> * slot, policy_of(ctx, m, arn));
            if (!*slot)
                return fail(store::errc::resource_not_found,
                            "No resource policy found for resource ARN " + arn + ".");
            slot->reset();
            return {};
        });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

}  // namespace tributary::collector::api::handlers
