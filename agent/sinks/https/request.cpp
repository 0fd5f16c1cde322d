// Endpoint parsing and request building for the HTTPS sink (see wire.h).

#include <cctype>
#include <charconv>

#include "agent/sinks/https/wire.h"
#include "shared/encoding/base64.h"

namespace tributary::agent::sinks::https {
namespace {

constexpr size_t max_partition_key_chars = 256;
constexpr size_t max_flow_bytes = 1024;  // docs/agent-delivery.md

tl::unexpected<Error> bad_endpoint(std::string_view endpoint, std::string_view why) {
    return fail(errc::bad_endpoint,
                "endpoint '" + std::string(endpoint) + "': " + std::string(why));
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
}

// Printable ASCII without space: what a request target may hold once percent-encoded.
bool is_path_char(char c) { return c > ' ' && c < 0x7f && c != '?' && c != '#'; }

// Counts the code points of valid UTF-8, or returns npos: AWS rejects malformed strings with a
// SerializationException, which would be fatal after a round trip; failing here names the key.
size_t utf8_length(std::string_view s) {
    size_t n = 0;
    for (size_t i = 0; i < s.size(); ++n) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
        if (len == 0 || i + len > s.size()) return std::string_view::npos;
        uint32_t cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return std::string_view::npos;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        constexpr uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return std::string_view::npos;
        i += len;
    }
    return n;
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    out += '"';
}

bool is_producer_id(std::string_view id) {
    if (id.size() != 32) return false;
    for (char c : id)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

tl::unexpected<Error> invalid(std::string message) {
    return fail(errc::invalid_batch, std::move(message));
}

Result<void> check_batch(Api api, std::string_view stream, std::span<const OutRecord> records,
                         const BatchTag& tag) {
    if (stream.empty()) return invalid("empty stream name");
    if (utf8_length(stream) == std::string_view::npos) return invalid("stream name is not UTF-8");
    if (!is_producer_id(tag.producer_id))
        return invalid("producer id '" + tag.producer_id + "' is not 32 lower-case hex digits");
    if (tag.flow.empty() || tag.flow.size() > max_flow_bytes)
        return invalid("flow id must be 1..1024 bytes");
    const Limits lim = limits(api);
    if (records.size() > lim.max_records)
        return invalid("batch of " + std::to_string(records.size()) + " records exceeds " +
                       std::to_string(lim.max_records));
    size_t total = 0;
    for (size_t i = 0; i < records.size(); ++i) {
        const OutRecord& r = records[i];
        size_t bytes = r.data.size();
        if (api == Api::kinesis) {
            size_t chars = utf8_length(r.partition_key);
            if (chars == 0 || chars == std::string_view::npos || chars > max_partition_key_chars)
                return invalid("record " + std::to_string(i) +
                               ": partition key must be 1..256 characters of UTF-8");
            bytes += r.partition_key.size();
        }
        if (bytes > lim.max_record_bytes)
            return invalid("record " + std::to_string(i) + " is " + std::to_string(bytes) +
                           " bytes, over the limit of " + std::to_string(lim.max_record_bytes));
        total += bytes;
    }
    if (total > lim.max_batch_bytes)
        return invalid("batch is " + std::to_string(total) + " bytes, over the limit of " +
                       std::to_string(lim.max_batch_bytes));
    return {};
}

std::string build_body(Api api, std::string_view stream, std::span<const OutRecord> records) {
    size_t size = 64 + stream.size();
    for (const OutRecord& r : records)
        size += (r.data.size() + 2) / 3 * 4 + 48 + r.partition_key.size();
    std::string body;
    body.reserve(size);
    body += api == Api::kinesis ? R"({"StreamName":)" : R"({"DeliveryStreamName":)";
    append_json_string(body, stream);
    body += R"(,"Records":[)";
    for (size_t i = 0; i < records.size(); ++i) {
        if (i) body += ',';
        body += R"({"Data":")";
        encoding::base64_encode_append(records[i].data, body);
        body += '"';
        if (api == Api::kinesis) {
            body += R"(,"PartitionKey":)";
            append_json_string(body, records[i].partition_key);
        }
        body += '}';
    }
    body += "]}";
    return body;
}

}  // namespace

std::string Endpoint::host_header() const {
    return port_explicit ? host + ":" + std::to_string(port) : host;
}

Result<Endpoint> parse_endpoint(std::string_view endpoint, Api api, std::string_view region) {
    std::string defaulted;
    if (endpoint.empty()) {
        if (region.empty()) return bad_endpoint(endpoint, "empty, and no region to derive it");
        for (char c : region)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return bad_endpoint(endpoint, "region '" + std::string(region) +
                                                  "' cannot form an AWS hostname");
        defaulted = "https://" + std::string(signing_service(api)) + "." + std::string(region) +
                    ".amazonaws.com" + (region.starts_with("cn-") ? ".cn" : "");
        endpoint = defaulted;
    }
    Endpoint ep;
    std::string_view rest = endpoint;
    if (auto sep = rest.find("://"); sep != std::string_view::npos) {
        std::string scheme(rest.substr(0, sep));
        for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (scheme != "http" && scheme != "https")
            return bad_endpoint(endpoint, "scheme must be http or https");
        ep.tls = scheme == "https";
        rest.remove_prefix(sep + 3);
    }
    if (rest.find_first_of("?#") != std::string_view::npos)
        return bad_endpoint(endpoint, "a query or fragment is not allowed");
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) ep.path = std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos)
        return bad_endpoint(endpoint, "user info is not allowed (use credentials)");
    std::string_view port_text;
    if (authority.starts_with('[')) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_endpoint(endpoint, "unclosed '['");
        std::string_view inner = authority.substr(1, close - 1);
        if (inner.empty() || inner.find_first_not_of("0123456789abcdefABCDEF:.") != inner.npos)
            return bad_endpoint(endpoint, "bad IPv6 address");
        ep.host = std::string(authority.substr(0, close + 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':'))
            return bad_endpoint(endpoint, "unexpected text after ']'");
        if (!after.empty()) port_text = after.substr(1);
        if (after == ":") return bad_endpoint(endpoint, "empty port");
    } else {
        size_t colon = authority.find(':');
        ep.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return bad_endpoint(endpoint, "empty port");
        }
        if (ep.host.empty()) return bad_endpoint(endpoint, "empty host");
        for (char c : ep.host)
            if (!is_host_char(c)) return bad_endpoint(endpoint, "bad character in host");
    }
    ep.port = ep.tls ? 443 : 80;
    if (!port_text.empty()) {
        unsigned port = 0;
        const char* last = port_text.data() + port_text.size();
        auto [end, ec] = std::from_chars(port_text.data(), last, port);
        if (ec != std::errc() || end != last || port == 0 || port > 65535)
            return bad_endpoint(endpoint, "port must be 1..65535");
        ep.port = static_cast<uint16_t>(port);
        ep.port_explicit = true;
    }
    for (char c : ep.path)
        if (!is_path_char(c))
            return bad_endpoint(endpoint, "the path must be printable ASCII without spaces");
    ep.base_url = (ep.tls ? "https://" : "http://") + ep.host_header();
    return ep;
}

std::string_view target_action(Api api) {
    return api == Api::kinesis ? "Kinesis_20131202.PutRecords" : "Firehose_20150804.PutRecordBatch";
}

std::string_view signing_service(Api api) { return api == Api::kinesis ? "kinesis" : "firehose"; }

Result<Request> build_request(const Endpoint& endpoint, const Options& options,
                              std::string_view stream, std::span<const OutRecord> records,
                              const BatchTag& tag, aws::Clock::time_point now) {
    TRIB_TRY_VOID(check_batch(options.api, stream, records, tag));
    Request out;
    out.target = endpoint.path;
    out.body = build_body(options.api, stream, records);
    aws::HttpRequest req{"POST", endpoint.path, {}, out.body};
    req.headers = {
        {"Host", endpoint.host_header()},
        {"Content-Type", std::string(content_type)},
        {"X-Amz-Target", std::string(target_action(options.api))},
        {"User-Agent", options.user_agent},
        // Not x-amz-*: sign() leaves them out of SignedHeaders, and AWS ignores them.
        {std::string(producer_id_header), tag.producer_id},
        {std::string(flow_header), aws::uri_encode(tag.flow, false)},
        {std::string(sequence_header), std::to_string(tag.sequence)},
    };
    if (!options.credentials.access_key_id.empty())
        aws::sign(req, options.credentials, options.region, signing_service(options.api), now);
    out.headers = std::move(req.headers);
    return out;
}

}  // namespace tributary::agent::sinks::https
