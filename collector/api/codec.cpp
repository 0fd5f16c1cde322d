#include "collector/api/codec.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "collector/api/errc.h"
#include "shared/encoding/base64.h"

namespace tributary::collector::api {
namespace {

constexpr std::string_view kTimestampMembers[] = {
    "StreamCreationTimestamp", "ApproximateArrivalTimestamp", "ConsumerCreationTimestamp",
    "StartedAt", "EndedAt", "EarliestAllowedEndAt"};

bool is_timestamp_member(std::string_view key) {
    for (auto k : kTimestampMembers)
        if (k == key) return true;
    return false;
}

// Coral's wording for a member of the wrong type.
std::string type_error(const json& v, std::string_view wanted) {
    switch (v.type()) {
        case json::value_t::object: return "Start of structure or map found where not expected.";
        case json::value_t::array: return "Start of list found where not expected.";
        case json::value_t::boolean:
            return "class java.lang.Boolean can not be converted to an " + std::string(wanted);
        case json::value_t::string:
            return "class java.lang.String can not be converted to an " + std::string(wanted);
        case json::value_t::binary:
            return "class java.nio.HeapByteBuffer can not be converted to an " + std::string(wanted);
        default:
            return "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                   "converted to an " + std::string(wanted);
    }
}

// Renders a response tree for JSON: binary → base64, timestamps ms → seconds with fraction.
void to_json_wire(json& v) {
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (it.value().is_number_integer() && is_timestamp_member(it.key())) {
                it.value() = double(it.value().get<int64_t>()) / 1000.0;
            } else {
                to_json_wire(it.value());
            }
        }
    } else if (v.is_array()) {
        for (auto& e : v) to_json_wire(e);
    } else if (v.is_binary()) {
        const auto& b = v.get_binary();
        v = encoding::base64_encode(
            std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    }
}

// ISO 8601 forms AWS accepts for timestamp inputs ("2016-04-04T19:58:46.480-00:00", "...Z").
std::optional<uint64_t> parse_iso8601(const std::string& s) {
    std::tm tm{};
    int ms = 0;
    const char* p = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) return std::nullopt;
    if (*p == '.') {
        ++p;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3) ms = ms * 10 + (*p - '0');
            ++digits, ++p;
        }
        for (; digits < 3; ++digits) ms *= 10;
    }
    long offset = 0;
    if (*p == 'Z') {
        ++p;
    } else if (*p == '+' || *p == '-') {
        // Exactly "+HH:MM" or "-HH:MM".
        auto digit = [](char c) { return c >= '0' && c <= '9'; };
        if (!digit(p[1]) || !digit(p[2]) || p[3] != ':' || !digit(p[4]) || !digit(p[5]))
            return std::nullopt;
        int sign = *p == '-' ? -1 : 1;
        int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[4] - '0') * 10 + (p[5] - '0');
        offset = sign * (hh * 3600 + mm * 60);
        p += 6;
    }
    if (*p) return std::nullopt;
    time_t t = timegm(&tm) - offset;
    if (t < 0) return std::nullopt;
    return uint64_t(t) * 1000 + uint64_t(ms);
}

// nlohmann 3.11 rejects the one-byte tag heads 0xc0..0xc5, and the Java SDK writes timestamps
// as tag 1 (0xc1). Copies one CBOR data item from `in` to `out` without its tags; false on a
// malformed item. Depth is bounded so hostile nesting cannot exhaust the stack.
// With `out` null, only checks. Depth is bounded (kMaxDepth) so that no body can make a
// recursive reader exhaust the stack: nlohmann reads CBOR recursively.
constexpr int kMaxDepth = 64;
bool copy_untagged(std::string_view& in, std::string* out, int depth = 0) {
    if (in.empty() || depth > kMaxDepth) return false;
    auto head = static_cast<unsigned char>(in[0]);
    unsigned major = head >> 5, info = head & 31;
    size_t extra = info < 24 ? 0 : info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4
                                 : info == 27 ? 8 : info == 31 ? 0 : SIZE_MAX;
    if (extra == SIZE_MAX || in.size() < 1 + extra) return false;
    uint64_t arg = info < 24 ? info : 0;
    for (size_t i = 0; i < extra; ++i) arg = (arg << 8) | static_cast<unsigned char>(in[1 + i]);
    if (major == 6) {  // tag: drop the head, keep the item
        in.remove_prefix(1 + extra);
        return copy_untagged(in, out, depth + 1);
    }
    if (out) out->append(in.substr(0, 1 + extra));
    in.remove_prefix(1 + extra);
    if (info == 31) {  // indefinite length: items until the break byte
        if (major < 2 || major == 6) return false;
        if (major == 7) return true;  // a stray break: let the parser judge
        while (!in.empty() && static_cast<unsigned char>(in[0]) != 0xff)
            if (!copy_untagged(in, out, depth + 1)) return false;
        if (in.empty()) return false;
        if (out) *out += in[0];
        in.remove_prefix(1);
        return true;
    }
    switch (major) {
        case 2:
        case 3:
            if (in.size() < arg) return false;
            if (out) out->append(in.substr(0, arg));
            in.remove_prefix(arg);
            return true;
        case 4:
        case 5:
            for (uint64_t i = 0; i < arg * (major == 5 ? 2 : 1); ++i)
                if (!copy_untagged(in, out, depth + 1)) return false;
            return true;
        default: return true;
    }
}

// JSON nesting deeper than kMaxDepth is refused before parsing: nlohmann parses iteratively
// but serializes recursively, and no Kinesis shape is deeper than a handful of levels.
bool json_depth_ok(std::string_view body) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : body) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxDepth) return false;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

bool has_small_tag(std::string_view body) {
    for (char c : body) {
        auto b = static_cast<unsigned char>(c);
        if (b >= 0xc0 && b <= 0xc5) return true;
    }
    return false;
}

}  // namespace

Result<json> decode(std::string_view body, Format format) {
    json v;
    if (format == Format::json) {
        if (!json_depth_ok(body))
            return fail(errc::serialization, "JSON nested too deeply.");
        v = json::parse(body, nullptr, false);
    } else {
        std::string untagged;
        std::string_view rest = body;
        bool tagged = has_small_tag(body);
        if (!copy_untagged(rest, tagged ? &untagged : nullptr) || !rest.empty())
            return fail(errc::serialization, "Malformed CBOR body.");
        if (tagged) body = untagged;
        try {
            // nlohmann throws some errors (out_of_range.408 for absurd declared sizes) even
            // with exceptions off; none may leave decode().
            v = json::from_cbor(body, true, false, json::cbor_tag_handler_t::ignore);
        } catch (const std::exception&) {
            return fail(errc::serialization, "Malformed CBOR body.");
        }
    }
    if (v.is_discarded())
        return fail(errc::serialization, format == Format::json
                                             ? "Unexpected character or malformed JSON body."
                                             : "Malformed CBOR body.");
    if (!v.is_object()) return fail(errc::serialization, type_error(v, "Structure"));
    return v;
}

std::string encode(const json& value, Format format) {
    if (format == Format::cbor) {
        std::string out;
        json::to_cbor(value, out);
        return out;
    }
    json copy = value;
    to_json_wire(copy);
    return copy.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* Input::find(std::string_view key) const {
    auto it = body_.find(key);
    if (it == body_.end() || it->is_null()) return nullptr;
    return &*it;
}

bool Input::has(std::string_view key) const { return find(key) != nullptr; }

Result<std::optional<std::string>> Input::string_of(const json& v) {
    if (v.is_null()) return std::optional<std::string>{};
    if (!v.is_string()) return fail(errc::serialization, type_error(v, "String"));
    return std::optional<std::string>(v.get<std::string>());
}

Result<std::optional<std::string>> Input::string(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::optional<std::string>{};
    return string_of(*v);
}

Result<std::optional<int64_t>> Input::integer(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::optional<int64_t>{};
    if (v->is_number_integer() || v->is_number_unsigned()) {
        // Coral clamps integers above 2^31-1 before validation.
        if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX))
            return std::optional<int64_t>(INT32_MAX);
        return std::optional<int64_t>(std::min<int64_t>(v->get<int64_t>(), INT32_MAX));
    }
    if (v->is_number_float()) {
        // Coral truncates, then clamps to the int range; NaN and infinities (CBOR) are not
        // numbers it can read.
        double d = v->get<double>();
        if (!std::isfinite(d)) return fail(errc::serialization, type_error(*v, "Integer"));
        d = std::clamp(std::trunc(d), double(INT32_MIN), double(INT32_MAX));
        return std::optional<int64_t>(static_cast<int64_t>(d));
    }
    return fail(errc::serialization, type_error(*v, "Integer"));
}

Result<std::optional<bool>> Input::boolean(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::optional<bool>{};
    if (v->is_boolean()) return std::optional<bool>(v->get<bool>());
    if (v->is_string())
        return fail(errc::serialization,
                    "'" + v->get<std::string>() + "' can not be converted to an Boolean");
    return fail(errc::serialization, type_error(*v, "Boolean"));
}

Result<std::optional<std::string>> Input::blob_of(const json& v) const {
    if (v.is_null()) return std::optional<std::string>{};
    if (v.is_binary()) {
        const auto& b = v.get_binary();
        return std::optional<std::string>(std::string(b.begin(), b.end()));
    }
    if (!v.is_string()) return fail(errc::serialization, type_error(v, "Blob"));
    const auto& text = v.get_ref<const std::string&>();
    if (format_ == Format::cbor) return std::optional<std::string>(text);
    std::string out;
    if (!encoding::base64_decode_append(text, out)) {
        std::string why = text.size() % 4
                              ? "Base64 encoded length is expected a multiple of 4 bytes but "
                                "found: " + std::to_string(text.size())
                              : "Invalid Base64 character";
        return fail(errc::serialization, "'" + text + "' can not be converted to a Blob: " + why);
    }
    return std::optional<std::string>(std::move(out));
}

Result<std::optional<uint64_t>> Input::timestamp_of(const json& v) const {
    if (v.is_null()) return std::optional<uint64_t>{};
    if (v.is_number()) {
        if (v.is_number_unsigned() && format_ == Format::cbor)
            return std::optional<uint64_t>(v.get<uint64_t>());
        // JSON carries seconds, CBOR (Java SDK) milliseconds. Beyond ~year 292,000,000 (or NaN)
        // it is no timestamp AWS can read.
        double ms = v.get<double>() * (format_ == Format::json ? 1000.0 : 1.0);
        if (!std::isfinite(ms) || ms < 0 || ms >= 9.2e18)
            return fail(errc::serialization,
                        "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                        "converted to milliseconds since epoch");
        return std::optional<uint64_t>(static_cast<uint64_t>(std::llround(ms)));
    }
    if (v.is_string()) {
        if (auto t = parse_iso8601(v.get<std::string>())) return std::optional<uint64_t>(*t);
    }
    return fail(errc::serialization,
                "class java.lang.String can not be converted to milliseconds since epoch");
}

Result<std::optional<uint64_t>> Input::timestamp_ms(std::string_view key) const {
    const json* v = find(key);
    if (!v) return std::optional<uint64_t>{};
    return timestamp_of(*v);
}

Result<const json*> Input::object(std::string_view key) const {
    const json* v = find(key);
    if (v && !v->is_object()) return fail(errc::serialization, type_error(*v, "Structure"));
    return v;
}

Result<const json*> Input::list(std::string_view key) const {
    const json* v = find(key);
    if (v && !v->is_array()) return fail(errc::serialization, "Expected list or null");
    return v;
}

}  // namespace tributary::collector::api
