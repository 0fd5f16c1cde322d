#include "collector/api/api.h"

#include <openssl/rand.h>
#include <strings.h>

#include <chrono>
#include <cstdio>

#include "collector/api/batch_headers.h"
#include "collector/api/errc.h"
#include "collector/api/errors.h"
#include "collector/api/handlers.h"
#include "collector/api/put_records_fast.h"
#include "shared/aws/sigv4.h"
#include "shared/encoding/base64.h"
#include "shared/log/log.h"

namespace tributary::collector::api {
namespace {

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr std::string_view kJson = "application/x-amz-json-1.1";
constexpr std::string_view kCbor = "application/x-amz-cbor-1.1";
constexpr double kBucketBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

std::string random_bytes(size_t n) {
    std::string s(n, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(n));
    return s;
}

std::string uuid() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
    std::string h = encoding::hex_encode(b);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string xml_error(std::string_view type, std::string_view message) {
    std::string s = "<" + std::string(type) + ">\n";
    if (!message.empty()) s += "  <Message>" + std::string(message) + "</Message>\n";
    return s + "</" + std::string(type) + ">\n";
}

}  // namespace

const std::string* HttpExchange::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
    return nullptr;
}

Result<std::unique_ptr<Api>> Api::create(store::ShardStore& store, ApiOptions options) {
    TRIB_TRY(auto key, store.get_setting("iterator_key"));
    if (!key || key->size() != 48) {
        key = random_bytes(48);
        TRIB_TRY_VOID(store.put_setting("iterator_key", *key));
    }
    return std::unique_ptr<Api>(new Api(store, std::move(options), *key));
}

Api::Api(store::ShardStore& store, ApiOptions options, std::string key_material)
    : store_(store),
      options_(std::move(options)),
      iterators_(key_material),
      stats_(new OpStats[operations().size()]) {}

HttpReply Api::reply(int status, std::string_view content_type, std::string body) const {
    HttpReply r;
    r.status = status;
    r.headers = {{"x-amzn-RequestId", uuid()},
                 {"x-amz-id-2", encoding::base64_encode(random_bytes(72))},
                 {"Content-Type", std::string(content_type)}};
    r.body = std::move(body);
    return r;
}

HttpReply Api::error_reply(const Error& e, Format format, std::string_view content_type) const {
    AwsError a = aws_error(e.code);
    json body = {{"__type", a.type}};
    if (!e.message.empty() || a.type != "InternalFailure")
        body[std::string(a.message_key)] = e.message;
    HttpReply r = reply(a.status, content_type, encode(body, format));
    r.headers.emplace_back("x-amzn-ErrorType", std::string(a.type));
    return r;
}

HttpReply Api::handle(const HttpExchange& req) {
    // 1. CORS preflight.
    if (req.method == "OPTIONS" && req.header("Origin")) {
        HttpReply r = reply(200, "text/plain", "");
        r.headers.emplace_back("Access-Control-Allow-Origin", "*");
        r.headers.emplace_back("Access-Control-Max-Age", "172800");
        if (auto h = req.header("Access-Control-Request-Headers"))
            r.headers.emplace_back("Access-Control-Allow-Headers", *h);
        if (auto m = req.header("Access-Control-Request-Method"))
            r.headers.emplace_back("Access-Control-Allow-Methods", *m);
        return r;
    }
    // 2. Only POST carries operations.
    if (req.method != "POST")
        return reply(403, "application/xml",
                     xml_error("AccessDeniedException",
                               "Unable to determine service/operation name to be authorized"));
    const std::string* ct_header = req.header("Content-Type");
    std::string_view ct = ct_header ? trim(std::string_view(*ct_header).substr(
                                          0, std::string_view(*ct_header).find(';')))
                                    : std::string_view{};
    const std::string* target_header = req.header("X-Amz-Target");
    std::string_view target = target_header ? std::string_view(*target_header) : "";
    Handler handler = nullptr;
    size_t op_index = 0;
    if (target.starts_with(kTargetPrefix)) {
        auto name = target.substr(kTargetPrefix.size());
        handler = find_operation(name);
        for (size_t i = 0; handler && i < operations().size(); ++i)
            if (operations()[i].name == name) op_index = i;
    }
    Format format = ct == kCbor ? Format::cbor : Format::json;
    std::string_view reply_ct = ct == kCbor ? kCbor : kJson;
    // 3. Empty body.
    if (req.body.empty() && (ct == kJson || ct == kCbor || ct.empty())) {
        Format f = ct == kJson ? Format::json : Format::cbor;
        return error_reply(Error{handler ? make_error_code(errc::serialization)
                                         : make_error_code(errc::unknown_operation),
                                 ""},
                           f, f == Format::json ? kJson : kCbor);
    }
    // 4-6. Content types other than the two AWS JSON protocols.
    if (ct != kJson && ct != kCbor) {
        if (target.find('.') == std::string_view::npos)
            return reply(403, "application/xml",
                         xml_error("AccessDeniedException",
                                   "Unable to determine service/operation name to be authorized"));
        return reply(404, "application/xml", "<UnknownOperationException/>\n");
    }
    // 7. Unknown operation.
    if (!handler)
        return error_reply(Error{make_error_code(errc::unknown_operation), ""}, format, reply_ct);
    // 8. Authentication.
    if (!options_.credentials.empty()) {
        aws::HttpRequest areq{req.method, req.target, req.headers, req.body};
        auto lookup = [this](std::string_view id) -> std::optional<std::string> {
            auto it = options_.credentials.find(std::string(id));
            if (it == options_.credentials.end()) return std::nullopt;
            return it->second;
        };
        auto who = aws::verify(areq, lookup, std::chrono::system_clock::now());
        if (!who) return error_reply(who.error(), format, reply_ct);
    }
    // The batch headers are judged by the handler, after the body (docs/agent-delivery.md).
    Result<std::optional<store::BatchKey>> batch_key;
    if (target == "Kinesis_20131202.PutRecords")
        batch_key = parse_batch_key(req.header(kProducerIdHeader), req.header(kFlowHeader),
                                    req.header(kBatchSequenceHeader));
    // 9-11. Body, validation, action.
    auto started = std::chrono::steady_clock::now();
    OpStats& st = stats_[op_index];
    auto account = [&](bool ok) {
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        (ok ? st.ok : st.errors)++;
        st.micros_sum += static_cast<uint64_t>(secs * 1e6);
        for (size_t b = 0; b < kBuckets; ++b)
            if (secs <= kBucketBounds[b]) st.buckets[b]++;
    };
    if (format == Format::json && target == "Kinesis_20131202.PutRecords" &&
        req.body.capacity() >= req.body.size() + 64) {
        Context ctx(store_, options_, iterators_);
        ctx.batch_key = batch_key;
        if (auto fast = put_records_fast(ctx, req.body)) {
            account(fast->has_value());
            if (!*fast) return error_reply(fast->error(), format, reply_ct);
            return reply(200, reply_ct, std::move(**fast));
        }
    }
    auto body = decode(req.body, format);
    if (body && format == Format::json && target == "Kinesis_20131202.GetRecords") {
        Context ctx(store_, options_, iterators_);
        ctx.reply_buffers = &reply_buffers_;
        auto text = handlers::get_records_json_text(ctx, Input(*body, format));
        account(text.has_value());
        if (!text) return error_reply(text.error(), format, reply_ct);
        return reply(200, reply_ct, std::move(*text));
    }
    Result<json> out = body ? [&]() -> Result<json> {
        Context ctx(store_, options_, iterators_);
        ctx.batch_key = batch_key;
        try {
            return handler(ctx, Input(*body, format));
        } catch (const std::exception& e) {
            // A handler bug must not take the server down; the client sees InternalFailure.
            TRIB_LOG(error, "handler_exception").kv("target", target).kv("what", e.what());
            return fail(errc::internal_failure, "");
        }
    }()
                            : Result<json>(tl::unexpected(body.error()));
    account(out.has_value());
    if (!out) {
        AwsError a = aws_error(out.error().code);
        if (a.status >= 500)
            TRIB_LOG(error, "request_failed").kv("target", target).kv("error", out.error().message);
        return error_reply(out.error(), format, reply_ct);
    }
    if (out->empty() && out->is_object()) return reply(200, reply_ct, "");
    return reply(200, reply_ct, encode(*out, format));
}

void Api::render_metrics(std::string& out) const {
    auto ops = operations();
    out += "# HELP tributary_api_requests_total Kinesis API requests by operation and outcome\n";
    out += "# TYPE tributary_api_requests_total counter\n";
    for (size_t i = 0; i < ops.size(); ++i) {
        std::string op(ops[i].name);
        out += "tributary_api_requests_total{operation=\"" + op + "\",outcome=\"success\"} " +
               std::to_string(stats_[i].ok.load()) + "\n";
        out += "tributary_api_requests_total{operation=\"" + op + "\",outcome=\"error\"} " +
               std::to_string(stats_[i].errors.load()) + "\n";
    }
    out += "# HELP tributary_api_request_duration_seconds Time to answer, as <Operation>.Latency\n";
    out += "# TYPE tributary_api_request_duration_seconds histogram\n";
    for (size_t i = 0; i < ops.size(); ++i) {
        uint64_t count = stats_[i].ok.load() + stats_[i].errors.load();
        if (count == 0) continue;
        std::string labels = "operation=\"" + std::string(ops[i].name) + "\",aws_metric=\"" +
                             std::string(ops[i].name) + ".Latency\"";
        for (size_t b = 0; b < kBuckets; ++b) {
            char le[32];
            std::snprintf(le, sizeof le, "%g", kBucketBounds[b]);
            out += "tributary_api_request_duration_seconds_bucket{" + labels + ",le=\"" + le +
                   "\"} " + std::to_string(stats_[i].buckets[b].load()) + "\n";
        }
        out += "tributary_api_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
               std::to_string(count) + "\n";
        char sum[32];
        std::snprintf(sum, sizeof sum, "%.6f", double(stats_[i].micros_sum.load()) / 1e6);
        out += "tributary_api_request_duration_seconds_sum{" + labels + "} " + sum + "\n";
        out += "tributary_api_request_duration_seconds_count{" + labels + "} " +
               std::to_string(count) + "\n";
    }
}

}  // namespace tributary::collector::api
