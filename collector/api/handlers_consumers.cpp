// Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer,
// ListStreamConsumers, DeregisterStreamConsumer. Also the resource-ARN helpers (a stream or a
// consumer named by ResourceARN) that the tag and resource-policy handlers share, in `detail`.
//
// Consumers live in their stream's metadata (store::StreamMeta::consumers), so registering and
// deregistering are update_stream changes: durable when they return, and checked against the
// latest metadata on the writer thread (the name is unique, at most 20 per stream).
// A consumer is ACTIVE as soon as it is registered and gone as soon as it is deregistered: the
// store's status delay (which makes streams CREATING/UPDATING for a while) is not applied to
// consumers, because nothing would later move a consumer on to ACTIVE or remove it.

#include <algorithm>

#include "collector/api/errc.h"
#include "collector/api/handlers.h"
#include "collector/api/handlers_detail.h"
#include "collector/api/next_token.h"

namespace tributary::collector::api::handlers {

// Helpers shared by the tag, consumer and settings handlers. Each is defined once, in the file
// named; the files that use another's declare it here. (They belong in a header of their own.)
namespace detail {

namespace {

// "arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<creation seconds>"
struct ConsumerArnParts {
    std::string stream, consumer;
};

std::optional<ConsumerArnParts> split_consumer_arn(std::string_view arn) {
    if (!matches(Pattern::consumer_arn, arn)) return std::nullopt;
    size_t c = arn.rfind("/consumer/");
    size_t s = arn.substr(0, c).rfind("stream/");
    std::string_view tail = arn.substr(c + 10);
    return ConsumerArnParts{std::string(arn.substr(s + 7, c - s - 7)),
                            std::string(tail.substr(0, tail.rfind(':')))};
}

}  // namespace

// The stream a ResourceARN (pattern-checked) names or whose consumer it names.
std::string stream_of_resource(std::string_view arn) {
    if (auto parts = split_consumer_arn(arn)) return parts->stream;
    size_t at = arn.find(":stream/");
    at = at == std::string_view::npos ? arn.find("stream/") + 7 : at + 8;
    return std::string(arn.substr(at));
}

// The consumer name when a ResourceARN names a consumer; nullopt for a stream.
std::optional<std::string> consumer_of_resource(std::string_view arn) {
    if (auto parts = split_consumer_arn(arn)) return parts->consumer;
    return std::nullopt;
}

// The consumer with exactly this ARN (so also this creation time), or nullptr.
store::Consumer* consumer_by_arn(store::StreamMeta& m, std::string_view arn) {
    for (auto& c : m.consumers)
        if (c.arn == arn) return &c;
    return nullptr;
}

const store::Consumer* consumer_by_arn(const store::StreamMeta& m, std::string_view arn) {
    for (const auto& c : m.consumers)
        if (c.arn == arn) return &c;
    return nullptr;
}

// The ResourceNotFoundException message for a consumer. AWS's exact text is unverified; this
// follows its "Consumer c ... under stream s and account a" wording for consumer states.
std::string consumer_not_found(const Context& ctx, std::string_view stream,
                               std::string_view consumer) {
    return "Consumer " + std::string(consumer) + " under stream " + std::string(stream) +
           " and account " + ctx.options.account_id + " not found.";
}

std::string consumer_not_found(const Context& ctx, std::string_view consumer_arn) {
    auto parts = split_consumer_arn(consumer_arn);
    return parts ? consumer_not_found(ctx, parts->stream, parts->consumer)
                 : consumer_not_found(ctx, "", consumer_arn);
}

// The snapshot of the stream a ResourceARN names, after checking that the stream (and the
// consumer, for a consumer ARN; its creation time must match too) exists.
// Errors: resource_not_found.
Result<std::shared_ptr<const store::StreamMeta>> find_resource(Context& ctx,
                                                               const std::string& arn) {
    TRIB_TRY(auto m, ctx.stream(stream_of_resource(arn)));
    if (consumer_of_resource(arn) && !consumer_by_arn(*m, arn))
        return fail(store::errc::resource_not_found, consumer_not_found(ctx, arn));
    return m;
}

}  // namespace detail

namespace {

using store::Consumer;
using store::StreamMeta;
using store::StreamStatus;

constexpr size_t kMaxConsumersPerStream = 20;

std::string stream_of_arn(const std::string& stream_arn) {
    return stream_arn.substr(stream_arn.find(":stream/") + 8);
}

json consumer_json(const Consumer& c) {
    return {{"ConsumerName", c.name},
            {"ConsumerARN", c.arn},
            {"ConsumerStatus", to_string(c.status)},
            {"ConsumerCreationTimestamp", c.created_ms}};
}

void stream_arn_rule(Validator& v, const std::optional<std::string>& arn, bool required) {
    v.string("streamARN", arn,
             {.required = required, .min = 1, .max = 2048, .pattern = Pattern::stream_arn});
}

// Which consumer DescribeStreamConsumer / DeregisterStreamConsumer mean: ConsumerARN, or
// StreamARN + ConsumerName, or all three when they agree.
struct ConsumerRef {
    std::string stream, name;
    std::optional<std::string> arn;

    const Consumer* in(const StreamMeta& m) const {
        return arn ? detail::consumer_by_arn(m, *arn) : m.consumer(name);
    }
};

Result<ConsumerRef> consumer_ref(const Input& in) {
    Validator v;
    TRIB_TRY(auto stream_arn, in.string("StreamARN"));
    TRIB_TRY(auto name, in.string("ConsumerName"));
    TRIB_TRY(auto arn, in.string("ConsumerARN"));
    stream_arn_rule(v, stream_arn, false);
    v.string("consumerName", name, {.min = 1, .max = 128, .pattern = Pattern::name});
    v.string("consumerARN", arn, {.min = 1, .max = 2048, .pattern = Pattern::consumer_arn});
    TRIB_TRY_VOID(v.result());
    if (arn) {
        ConsumerRef ref{detail::stream_of_resource(*arn), *detail::consumer_of_resource(*arn), arn};
        if (stream_arn && stream_of_arn(*stream_arn) != ref.stream)
            return fail(store::errc::invalid_argument,
                        "ConsumerARN " + *arn + " does not match StreamARN " + *stream_arn + ".");
        if (name && *name != ref.name)
            return fail(store::errc::invalid_argument,
                        "ConsumerARN " + *arn + " does not match ConsumerName " + *name + ".");
        return ref;
    }
    if (!stream_arn || !name)
        return fail(store::errc::invalid_argument,
                    "Either ConsumerARN or both StreamARN and ConsumerName should be provided.");
    return ConsumerRef{stream_of_arn(*stream_arn), *name, std::nullopt};
}

// Consumers are added to and removed from ACTIVE and UPDATING streams.
Result<void> consumers_changeable(const Context& ctx, const StreamMeta& m) {
    if (m.status == StreamStatus::active || m.status == StreamStatus::updating) return {};
    return fail(store::errc::resource_in_use,
                "Stream " + m.name + " under account " + ctx.options.account_id +
                    " not ACTIVE, instead in state " + std::string(to_string(m.status)));
}

}  // namespace

Result<json> register_stream_consumer(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto stream_arn, in.string("StreamARN"));
    TRIB_TRY(auto name, in.string("ConsumerName"));
    stream_arn_rule(v, stream_arn, true);
    v.string("consumerName", name,
             {.required = true, .min = 1, .max = 128, .pattern = Pattern::name});
    TRIB_TRY(auto tags, detail::read_tags(in, "Tags", "tags", false, v));
    TRIB_TRY_VOID(detail::validation_result(v));
    std::string stream = stream_of_arn(*stream_arn);
    TRIB_TRY_VOID(ctx.stream(stream));
    std::string failed_to = "add tags to consumer " + *name + " under stream " + stream +
                            " under account " + ctx.options.account_id;
    if (tags) {
        TRIB_TRY_VOID(detail::check_characters(detail::tag_texts(*tags), failed_to));
        TRIB_TRY_VOID(detail::check_tag_count({}, *tags, failed_to, "consumer"));
    }
    // The ARN carries the creation time in seconds; the timestamp reported agrees with it.
    uint64_t created_ms = ctx.now_ms() / 1000 * 1000;
    Consumer added;
    auto updated = ctx.store.update_stream(stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(consumers_changeable(ctx, m));
        if (m.consumer(*name))
            return fail(store::errc::resource_in_use,
                        "Consumer " + *name + " under stream " + m.name + " and account " +
                            ctx.options.account_id + " already exists.");
        if (m.consumers.size() >= kMaxConsumersPerStream)
            return fail(store::errc::limit_exceeded, "This request would exceed the limit of " +
                                                         std::to_string(kMaxConsumersPerStream) +
                                                         " consumers registered to stream " +
                                                         m.name + " under account " +
                                                         ctx.options.account_id + ".");
        added = Consumer{.name = *name,
                         .arn = ctx.consumer_arn(m.name, *name, created_ms),
                         .status = StreamStatus::active,
                         .created_ms = created_ms,
                         .tags = tags.value_or(detail::TagMap{}),
                         .policy = std::nullopt};
        m.consumers.push_back(added);
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json{{"Consumer", consumer_json(added)}};
}

Result<json> describe_stream_consumer(Context& ctx, const Input& in) {
    TRIB_TRY(auto ref, consumer_ref(in));
    TRIB_TRY(auto m, ctx.stream(ref.stream));
    const Consumer* c = ref.in(*m);
    if (!c)
        return fail(store::errc::resource_not_found,
                    detail::consumer_not_found(ctx, ref.stream, ref.name));
    json d = consumer_json(*c);
    d["StreamARN"] = m->arn;
    return json{{"ConsumerDescription", std::move(d)}};
}

Result<json> list_stream_consumers(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto stream_arn, in.string("StreamARN"));
    TRIB_TRY(auto token, in.string("NextToken"));
    TRIB_TRY(auto max_results, in.integer("MaxResults"));
    TRIB_TRY(auto created, in.timestamp_ms("StreamCreationTimestamp"));
    stream_arn_rule(v, stream_arn, true);
    v.string("nextToken", token, {.min = 1, .max = 1048576});
    v.integer("maxResults", max_results, false, 1, 10000);
    TRIB_TRY_VOID(v.result());
    std::string stream = stream_of_arn(*stream_arn);
    std::optional<std::string> after;
    if (token) {
        if (created)
            return fail(store::errc::invalid_argument,
                        "NextToken and StreamCreationTimestamp cannot be provided together.");
        TRIB_TRY(auto pos, decode_next_token(ctx, *token, "ListStreamConsumers"));
        auto at = pos.find("after");
        if (pos.value("stream", std::string()) != stream || at == pos.end() || !at->is_string())
            return fail(store::errc::invalid_argument, "Invalid NextToken: " + *token);
        after = at->get<std::string>();
    }
    TRIB_TRY(auto m, ctx.stream(stream));
    if (created && *created / 1000 != m->created_ms / 1000)
        return fail(store::errc::resource_not_found, ctx.not_found(stream));
    // Listed by name, so a position survives consumers coming and going between pages.
    std::vector<const Consumer*> all;
    for (const auto& c : m->consumers) all.push_back(&c);
    std::sort(all.begin(), all.end(),
              [](const Consumer* a, const Consumer* b) { return a->name < b->name; });
    size_t max = static_cast<size_t>(std::min<int64_t>(max_results.value_or(100), 100));
    json consumers = json::array();
    bool more = false;
    for (const Consumer* c : all) {
        if (after && c->name <= *after) continue;
        if (consumers.size() == max) {
            more = true;
            break;
        }
        consumers.push_back(consumer_json(*c));
    }
    json out = {{"Consumers", consumers}};
    if (more)
        out["NextToken"] =
            encode_next_token(ctx, "ListStreamConsumers",
                              {{"stream", stream}, {"after", consumers.back()["ConsumerName"]}});
    return out;
}

Result<json> deregister_stream_consumer(Context& ctx, const Input& in) {
    TRIB_TRY(auto ref, consumer_ref(in));
    TRIB_TRY_VOID(ctx.stream(ref.stream));
    auto updated = ctx.store.update_stream(ref.stream, [&](StreamMeta& m) -> Result<void> {
        const Consumer* c = ref.in(m);
        if (!c)
            return fail(store::errc::resource_not_found,
                        detail::consumer_not_found(ctx, ref.stream, ref.name));
        m.consumers.erase(m.consumers.begin() + (c - m.consumers.data()));
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

}  // namespace tributary::collector::api::handlers
