// Tags: AddTagsToStream / RemoveTagsFromStream / ListTagsForStream (a stream by name or ARN) and
// TagResource / UntagResource / ListTagsForResource (a stream or a consumer by ARN; consumer tags
// live on store::Consumer::tags). Also the tag rules RegisterStreamConsumer shares, in `detail`.
//
// AWS's order, as kinesalite's suite recorded it: SerializationException, then Coral clauses
// (the tag member's before the stream's), then ResourceNotFoundException, then the character
// rules, then the 50-tags-per-resource rule (checked on the writer thread against the latest
// tags, so two concurrent calls cannot together exceed it).

#include <algorithm>

#include "collector/api/errc.h"
#include "collector/api/handlers.h"
#include "collector/api/handlers_detail.h"

namespace tributary::collector::api::handlers {

// Helpers shared by the tag, consumer and settings handlers. Each is defined once, in the file
// named; the files that use another's declare it here. (They belong in a header of their own.)
namespace detail {

namespace {

// Coral words a constraint on a map's keys or values differently from one on a member
// ("Map keys must satisfy constraint: [...]"), but Validator::clause always writes "Member must".
// These markers stand in for the constraint's subject and validation_result() rewrites them.
constexpr std::string_view kKeysMarker = "\x1fkeys\x1f";
constexpr std::string_view kValueMarker = "\x1fvalue\x1f";

constexpr std::string_view kInvalidCharacters =
    "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white "
    "space, _ . / = + - % @.";
constexpr size_t kMaxTagsPerResource = 50;

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

// Java's AbstractMap/AbstractCollection toString, which Coral uses to print a value.
std::string java_map(const TagMap& tags) {
    std::string out = "{";
    for (const auto& [k, v] : tags) {
        if (out.size() > 1) out += ", ";
        out += k + "=" + v;
    }
    return out + "}";
}

std::string java_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& s : items) {
        if (out.size() > 1) out += ", ";
        out += s;
    }
    return out + "]";
}

// Next code point of UTF-8 text, or UINT32_MAX for a malformed sequence.
uint32_t next_code_point(std::string_view s, size_t& i) {
    unsigned char c = static_cast<unsigned char>(s[i++]);
    if (c < 0x80) return c;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
    if (extra < 0) return UINT32_MAX;
    uint32_t cp = c & (0x3F >> extra);
    for (int k = 0; k < extra; ++k) {
        if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return UINT32_MAX;
        cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
    }
    return cp;
}

// "Unicode letters, digits, white space, _ . / = + - % @", as AWS applied it when kinesalite's
// tests were recorded: ASCII letters and digits, the space character only (tab and newline are
// rejected), and the letter blocks U+00C0..U+1FFF and U+2C00..U+D7FF. ':' is accepted too, as
// the TagResource documentation lists it.
bool tag_character(uint32_t cp) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
        return true;
    if (cp < 0x80) return std::string_view("_./=+-%@: ").find(char(cp)) != std::string_view::npos;
    return (cp >= 0xC0 && cp <= 0x1FFF) || (cp >= 0x2C00 && cp <= 0xD7FF);
}

bool valid_tag_text(std::string_view s) {
    for (size_t i = 0; i < s.size();)
        if (!tag_character(next_code_point(s, i))) return false;
    return true;
}

}  // namespace

// Validator::result() with the map-constraint clauses in Coral's wording.
// Errors: api::errc::validation when any clause was added.
Result<void> validation_result(const Validator& v) {
    auto r = v.result();
    if (r) return r;
    Error e = r.error();
    replace_all(e.message, "Member must " + std::string(kKeysMarker), "Map keys must ");
    replace_all(e.message, "Member must " + std::string(kValueMarker), "Map value must ");
    return tl::unexpected(std::move(e));
}

// The stream named by ctx.stream_name's result. Coral checks constraints before the service
// looks at which of StreamName/StreamARN was given, so `v`'s clauses win over that result's own
// errors; a SerializationException still comes first. Errors: serialization, validation,
// invalid_argument (neither name nor ARN, or the two disagree).
Result<std::string> resolve_stream(const Validator& v, Result<std::optional<std::string>> name) {
    if (!name && name.error().code == make_error_code(errc::serialization))
        return tl::unexpected(name.error());
    TRIB_TRY_VOID(validation_result(v));
    if (!name) return tl::unexpected(name.error());
    if (!*name)
        return fail(store::errc::invalid_argument,
                    "Either StreamName or StreamARN should be provided.");
    return **name;
}

// Reads the TagMap member `key`, adding Coral's clauses for it under `path` to `v`. A null value
// counts as "". Errors: serialization (not a map, or a value that is not a string).
Result<std::optional<TagMap>> read_tags(const Input& in, std::string_view key,
                                        std::string_view path, bool required, Validator& v) {
    TRIB_TRY(const json* obj, in.object(key));
    if (required) v.required(path, obj != nullptr);
    if (!obj) return std::optional<TagMap>{};
    TagMap tags;
    bool bad_key = false, bad_value = false;
    for (auto it = obj->begin(); it != obj->end(); ++it) {
        TRIB_TRY(auto value, Input::string_of(it.value()));
        size_t key_chars = utf8_length(it.key());
        bad_key |= key_chars < 1 || key_chars > 128;
        bad_value |= value && utf8_length(*value) > 256;
        tags[it.key()] = value.value_or("");
    }
    std::string repr = "'" + java_map(tags) + "'";
    if (tags.empty()) v.clause(repr, path, "have length greater than or equal to 1");
    if (tags.size() > 200) v.clause(repr, path, "have length less than or equal to 200");
    if (bad_key)
        v.clause(repr, path,
                 std::string(kKeysMarker) +
                     "satisfy constraint: [Member must have length less than or equal to 128, "
                     "Member must have length greater than or equal to 1]");
    if (bad_value)
        v.clause(repr, path,
                 std::string(kValueMarker) +
                     "satisfy constraint: [Member must have length less than or equal to 256, "
                     "Member must have length greater than or equal to 0]");
    return std::optional<TagMap>(std::move(tags));
}

// Reads the required TagKeys list (1..50 keys of 1..128 characters) into `v`'s clauses.
// Errors: serialization (not a list, or a key that is not a string).
Result<std::optional<std::vector<std::string>>> read_tag_keys(const Input& in, Validator& v) {
    TRIB_TRY(const json* list, in.list("TagKeys"));
    v.required("tagKeys", list != nullptr);
    if (!list) return std::optional<std::vector<std::string>>{};
    std::vector<std::string> keys;
    bool bad = false;
    for (const auto& e : *list) {
        TRIB_TRY(auto key, Input::string_of(e));
        size_t chars = key ? utf8_length(*key) : 0;
        bad |= chars < 1 || chars > 128;
        keys.push_back(key.value_or("null"));
    }
    std::string repr = "'" + java_list(keys) + "'";
    if (keys.empty()) v.clause(repr, "tagKeys", "have length greater than or equal to 1");
    if (keys.size() > 50) v.clause(repr, "tagKeys", "have length less than or equal to 50");
    if (bad)
        v.clause(repr, "tagKeys",
                 "satisfy constraint: [Member must have length less than or equal to 128, "
                 "Member must have length greater than or equal to 1]");
    return std::optional<std::vector<std::string>>(std::move(keys));
}

// AWS's character rule for tag keys and values. `failed_to` completes AWS's sentence for '%'
// ("add tags to stream s under account a"). Errors: invalid_argument.
Result<void> check_characters(const std::vector<std::string_view>& texts,
                              std::string_view failed_to) {
    for (auto t : texts)
        if (!valid_tag_text(t))
            return fail(store::errc::invalid_argument, std::string(kInvalidCharacters));
    for (auto t : texts)
        if (t.find('%') != std::string_view::npos)
            return fail(store::errc::invalid_argument,
                        "Failed to " + std::string(failed_to) +
                            " because some tags contained illegal characters. The allowed "
                            "characters are Unicode letters, white-spaces, "
                            "'_',',','/','=','+','-','@'.");
    return {};
}

// At most 50 tags per stream or consumer once `added` is merged into `existing`; `noun` is
// "stream" or "consumer". Errors: invalid_argument (AWS's type for it, as kinesalite recorded).
Result<void> check_tag_count(const TagMap& existing, const TagMap& added,
                             std::string_view failed_to, std::string_view noun) {
    size_t total = existing.size();
    for (const auto& [k, _] : added) total += !existing.contains(k);
    if (total <= kMaxTagsPerResource) return {};
    return fail(store::errc::invalid_argument,
                "Failed to " + std::string(failed_to) + " because a given " + std::string(noun) +
                    " cannot have more than " + std::to_string(kMaxTagsPerResource) +
                    " tags associated with it.");
}

// Every key and value, for check_characters.
std::vector<std::string_view> tag_texts(const TagMap& tags) {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : tags) {
        out.push_back(k);
        out.push_back(v);
    }
    return out;
}

}  // namespace detail

namespace {

using store::StreamMeta;
using store::StreamStatus;

// What a tag call acts on: a stream, or a consumer (by its full ARN) within one.
struct Target {
    std::string stream{};
    std::string consumer_arn{};  // empty for the stream itself
    std::string consumer{};      // the consumer's name, for messages
};

Target stream_target(std::string stream) { return {.stream = std::move(stream)}; }

Target resource_target(const std::string& arn) {
    Target t{.stream = detail::stream_of_resource(arn)};
    if (auto c = detail::consumer_of_resource(arn)) {
        t.consumer_arn = arn;
        t.consumer = *c;
    }
    return t;
}

json tag_list(const detail::TagMap& tags) {
    json out = json::array();
    for (const auto& [k, v] : tags) out.push_back({{"Key", k}, {"Value", v}});
    return out;
}

// Tags change on ACTIVE and UPDATING streams (CREATING ones are not found by the store).
Result<void> taggable(const Context& ctx, const StreamMeta& m) {
    if (m.status != StreamStatus::deleting) return {};
    return fail(store::errc::resource_in_use, "Stream " + m.name + " under account " +
                                                  ctx.options.account_id +
                                                  " not ACTIVE, instead in state DELETING");
}

// The phrase AWS's tag errors use for a resource: "stream s under account a".
std::string subject(const Context& ctx, const Target& t) {
    if (t.consumer_arn.empty())
        return "stream " + t.stream + " under account " + ctx.options.account_id;
    return "consumer " + t.consumer + " under stream " + t.stream + " under account " +
           ctx.options.account_id;
}

// The tags of the target in the writer's copy of its stream.
Result<detail::TagMap*> tags_of(const Context& ctx, StreamMeta& m, const Target& t) {
    if (t.consumer_arn.empty()) return &m.tags;
    store::Consumer* c = detail::consumer_by_arn(m, t.consumer_arn);
    if (!c)
        return fail(store::errc::resource_not_found,
                    detail::consumer_not_found(ctx, t.consumer_arn));
    return &c->tags;
}

Result<json> add_tags(Context& ctx, const Target& t, const detail::TagMap& tags) {
    std::string failed_to = "add tags to " + subject(ctx, t);
    TRIB_TRY_VOID(detail::check_characters(detail::tag_texts(tags), failed_to));
    auto updated = ctx.store.update_stream(t.stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(taggable(ctx, m));
        TRIB_TRY(detail::TagMap * current, tags_of(ctx, m, t));
        TRIB_TRY_VOID(detail::check_tag_count(*current, tags, failed_to,
                                              t.consumer_arn.empty() ? "stream" : "consumer"));
        for (const auto& [k, v] : tags) (*current)[k] = v;
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

Result<json> remove_tags(Context& ctx, const Target& t, const std::vector<std::string>& keys) {
    std::vector<std::string_view> texts(keys.begin(), keys.end());
    TRIB_TRY_VOID(detail::check_characters(texts, "remove tags from " + subject(ctx, t)));
    auto updated = ctx.store.update_stream(t.stream, [&](StreamMeta& m) -> Result<void> {
        TRIB_TRY_VOID(taggable(ctx, m));
        TRIB_TRY(detail::TagMap * current, tags_of(ctx, m, t));
        for (const auto& k : keys) current->erase(k);  // absent keys are ignored, as on AWS
        return {};
    });
    if (!updated) return tl::unexpected(updated.error());
    return json::object();
}

Result<std::string> resource_arn(const Input& in, Validator& v) {
    TRIB_TRY(auto arn, in.string("ResourceARN"));
    v.string("resourceARN", arn,
             {.required = true, .min = 1, .max = 2048, .pattern = Pattern::resource_arn});
    return arn.value_or("");
}

}  // namespace

Result<json> add_tags_to_stream(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto tags, detail::read_tags(in, "Tags", "tags", true, v));
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    TRIB_TRY_VOID(ctx.stream(stream));
    return add_tags(ctx, stream_target(stream), *tags);
}

Result<json> remove_tags_from_stream(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto keys, detail::read_tag_keys(in, v));
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    TRIB_TRY_VOID(ctx.stream(stream));
    return remove_tags(ctx, stream_target(stream), *keys);
}

Result<json> list_tags_for_stream(Context& ctx, const Input& in) {
    Validator v;
    auto name = ctx.stream_name(in, v);
    TRIB_TRY(auto start, in.string("ExclusiveStartTagKey"));
    TRIB_TRY(auto limit, in.integer("Limit"));
    v.string("exclusiveStartTagKey", start, {.min = 1, .max = 128, .count_chars = true});
    v.integer("limit", limit, false, 1, 50);
    TRIB_TRY(auto stream, detail::resolve_stream(v, std::move(name)));
    TRIB_TRY(auto m, ctx.stream(stream));
    // The model caps Limit at 50, the most tags a stream can have, so by default all are listed.
    size_t max = static_cast<size_t>(limit.value_or(50));
    detail::TagMap page;
    bool more = false;
    for (auto it = start ? m->tags.upper_bound(*start) : m->tags.begin(); it != m->tags.end();
         ++it) {
        if (page.size() == max) {
            more = true;
            break;
        }
        page.insert(*it);
    }
    return json{{"Tags", tag_list(page)}, {"HasMoreTags", more}};
}

Result<json> tag_resource(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto tags, detail::read_tags(in, "Tags", "tags", true, v));
    TRIB_TRY(auto arn, resource_arn(in, v));
    TRIB_TRY_VOID(detail::validation_result(v));
    TRIB_TRY_VOID(detail::find_resource(ctx, arn));
    return add_tags(ctx, resource_target(arn), *tags);
}

Result<json> untag_resource(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto keys, detail::read_tag_keys(in, v));
    TRIB_TRY(auto arn, resource_arn(in, v));
    TRIB_TRY_VOID(detail::validation_result(v));
    TRIB_TRY_VOID(detail::find_resource(ctx, arn));
    return remove_tags(ctx, resource_target(arn), *keys);
}

Result<json> list_tags_for_resource(Context& ctx, const Input& in) {
    Validator v;
    TRIB_TRY(auto arn, resource_arn(in, v));
    TRIB_TRY_VOID(detail::validation_result(v));
    TRIB_TRY(auto m, detail::find_resource(ctx, arn));
    if (!detail::consumer_of_resource(arn)) return json{{"Tags", tag_list(m->tags)}};
    return json{{"Tags", tag_list(detail::consumer_by_arn(*m, arn)->tags)}};
}

}  // namespace tributary::collector::api::handlers
