#include "shared/aws/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "shared/crypto/digest.h"
#include "shared/encoding/base64.h"

namespace tributary::aws {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::seconds;

constexpr std::string_view terminator = "aws4_request";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes %XX escapes; a '%' not followed by two hex digits stays literal (it is re-encoded as
// %25 later), and '+' stays '+' as SigV4 requires.
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (true) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, end - start));
        start = end + 1;
    }
}

struct Target {
    std::string_view path;
    std::string_view query;
};

// Splits a request-target into path and query; an absolute-form target ("http://host/p?q", as
// proxies send) is reduced to its path first.
Target split_target(std::string_view target) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
            size_t slash = target.find_first_of("/?", scheme.size());
            target = slash == std::string_view::npos ? std::string_view{} : target.substr(slash);
            break;
        }
    }
    size_t q = target.find('?');
    if (q == std::string_view::npos) return {target, {}};
    return {target.substr(0, q), target.substr(q + 1)};
}

// RFC 3986 dot-segment removal as botocore does it: empty segments are dropped too, a leading
// and a trailing '/' are kept.
std::string remove_dot_segments(std::string_view path) {
    if (path.empty()) return "/";
    std::vector<std::string_view> kept;
    for (std::string_view seg : split(path, '/')) {
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!kept.empty()) kept.pop_back();
        } else {
            kept.push_back(seg);
        }
    }
    std::string out = path.front() == '/' ? "/" : "";
    for (size_t i = 0; i < kept.size(); ++i) {
        if (i > 0) out += '/';
        out += kept[i];
    }
    if (path.back() == '/' && !kept.empty()) out += '/';
    return out;
}

std::vector<std::pair<std::string, std::string>> decode_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    for (std::string_view piece : split(query, '&')) {
        if (piece.empty()) continue;
        size_t eq = piece.find('=');
        std::string_view name = piece.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
        params.emplace_back(percent_decode(name), percent_decode(value));
    }
    return params;
}

const std::string* find_param(const std::vector<std::pair<std::string, std::string>>& params,
                              std::string_view name) {
    for (const auto& [k, v] : params) {
        if (k == name) return &v;
    }
    return nullptr;
}

std::string canonical_query(std::string_view raw_query, bool skip_signature) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (auto& [name, value] : decode_query(raw_query)) {
        if (skip_signature && name == "X-Amz-Signature") continue;
        pairs.emplace_back(uri_encode(name, false), uri_encode(value, false));
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

std::optional<std::string_view> find_header(const HttpRequest& req, std::string_view name) {
    for (const auto& [k, v] : req.headers) {
        if (iequals(k, name)) return trim(v);
    }
    return std::nullopt;
}

void remove_header(HttpRequest& req, std::string_view name) {
    std::erase_if(req.headers, [&](const auto& h) { return iequals(h.first, name); });
}

// Trims a header value and collapses each run of whitespace inside it to one space.
void append_canonical_value(std::string_view value, std::string& out) {
    bool pending_space = false;
    for (char c : trim(value)) {
        if (is_space(c)) {
            pending_space = true;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
}

std::string build_canonical_request(const HttpRequest& req, std::string_view signed_headers,
                                    std::string_view payload_hash, std::string_view service,
                                    bool skip_signature) {
    Target t = split_target(req.target);
    std::string out = req.method;
    out += '\n';
    out += canonical_uri(t.path, service);
    out += '\n';
    out += canonical_query(t.query, skip_signature);
    out += '\n';
    for (std::string_view name : split(signed_headers, ';')) {
        out += lower(name);
        out += ':';
        bool first = true;
        for (const auto& [k, v] : req.headers) {
            if (!iequals(k, name)) continue;
            if (!first) out += ',';
            first = false;
            append_canonical_value(v, out);
        }
        out += '\n';
    }
    out += '\n';
    out += signed_headers;
    out += '\n';
    out += payload_hash;
    return out;
}

bool parse_number(std::string_view s, int& out) {
    if (s.empty() || s.size() > 9) return false;
    out = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        out = out * 10 + (c - '0');
    }
    return true;
}

// RFC 7231 IMF-fixdate, the form of the Date header: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view s) {
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
        return std::nullopt;
    }
    auto month_it = std::find(months.begin(), months.end(), s.substr(8, 3));
    int d = 0, y = 0, h = 0, mi = 0, se = 0;
    if (month_it == months.end() || !parse_number(s.substr(5, 2), d) ||
        !parse_number(s.substr(12, 4), y) || !parse_number(s.substr(17, 2), h) ||
        !parse_number(s.substr(20, 2), mi) || !parse_number(s.substr(23, 2), se)) {
        return std::nullopt;
    }
    auto mo = static_cast<unsigned>(month_it - months.begin() + 1);
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                    std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
    return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
           seconds{se};
}

std::string duration_text(seconds d) {
    if (d.count() % 60 == 0) return std::to_string(d.count() / 60) + " min";
    return std::to_string(d.count()) + " sec";
}

bool is_sha256_hex(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return is_digit(c) || (c >= 'a' && c <= 'f');
           });
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// What the request says about its own signature, from either form.
struct AuthParams {
    std::string credential;
    std::string signed_headers;
    std::string signature;
    std::string date;  // X-Amz-Date (header or query) or Date header, as sent
    std::optional<seconds> expires;
    // X-Amz-Content-Sha256 query parameter; points into the decoded query verify() holds.
    const std::string* content_sha256_param = nullptr;
    bool presigned = false;
};

Result<AuthParams> parse_header_auth(const HttpRequest& req, std::string_view authz) {
    size_t sp = authz.find_first_of(" \t");
    std::string_view alg = authz.substr(0, sp);
    if (alg != algorithm) {
        return fail(errc::incomplete_signature,
                    "Unsupported AWS 'algorithm': '" + std::string(alg) + "'.");
    }
    AuthParams p;
    std::string_view rest = sp == std::string_view::npos ? "" : authz.substr(sp + 1);
    size_t i = 0;
    while (i < rest.size()) {
        size_t end = rest.find_first_of(", \t", i);
        if (end == std::string_view::npos) end = rest.size();
        std::string_view item = rest.substr(i, end - i);
        i = end + 1;
        if (item.empty()) continue;
        size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
            return fail(errc::incomplete_signature,
                        "'" + std::string(item) +
                            "' not a valid key=value pair (missing equal-sign) in Authorization "
                            "header: '" +
                            std::string(authz) + "'");
        }
        std::string_view key = item.substr(0, eq);
        std::string_view value = item.substr(eq + 1);
        if (key == "Credential") p.credential = value;
        if (key == "SignedHeaders") p.signed_headers = value;
        if (key == "Signature") p.signature = value;
    }
    if (auto d = find_header(req, "x-amz-date")) {
        p.date = *d;
    } else if (auto d = find_header(req, "date")) {
        p.date = *d;
    }
    std::string msg;
    if (p.credential.empty()) msg += "Authorization header requires 'Credential' parameter. ";
    if (p.signature.empty()) msg += "Authorization header requires 'Signature' parameter. ";
    if (p.signed_headers.empty()) {
        msg += "Authorization header requires 'SignedHeaders' parameter. ";
    }
    if (p.date.empty()) {
        msg +=
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. ";
    }
    if (!msg.empty()) {
        return fail(errc::incomplete_signature, msg + "Authorization=" + std::string(authz));
    }
    return p;
}

Result<AuthParams> parse_query_auth(const std::vector<std::pair<std::string, std::string>>& q) {
    static constexpr std::array<std::string_view, 5> required = {
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders",
        "X-Amz-Date"};
    std::string msg;
    for (std::string_view name : required) {
        const std::string* v = find_param(q, name);
        if (v == nullptr || v->empty()) {
            msg += "AWS query-string parameters must include '" + std::string(name) + "'. ";
        }
    }
    if (!msg.empty()) {
        return fail(errc::incomplete_signature, msg + "Re-examine the query-string parameters.");
    }
    const std::string& alg = *find_param(q, "X-Amz-Algorithm");
    if (alg != algorithm) {
        return fail(errc::incomplete_signature, "Unsupported AWS 'algorithm': '" + alg + "'.");
    }
    AuthParams p;
    p.presigned = true;
    p.credential = *find_param(q, "X-Amz-Credential");
    p.signature = *find_param(q, "X-Amz-Signature");
    p.signed_headers = *find_param(q, "X-Amz-SignedHeaders");
    p.date = *find_param(q, "X-Amz-Date");
    p.content_sha256_param = find_param(q, "X-Amz-Content-Sha256");
    if (const std::string* e = find_param(q, "X-Amz-Expires")) {
        int n = 0;
        if (!parse_number(*e, n)) {
            return fail(errc::incomplete_signature, "X-Amz-Expires should be a number");
        }
        if (seconds{n} > max_presign_expiry) {
            return fail(errc::incomplete_signature,
                        "X-Amz-Expires must be less than a week (in seconds); that is, the given "
                        "X-Amz-Expires must be less than 604800 seconds");
        }
        p.expires = seconds{n};
    }
    return p;
}

// In whole seconds throughout: a client's date may be any year 0000-9999, and only seconds
// since the epoch hold that range (the clock's nanoseconds overflow outside 1678-2261).
Result<void> check_time(std::chrono::sys_seconds date, const AuthParams& p, Clock::time_point now) {
    std::chrono::sys_seconds server = floor<seconds>(now);
    std::string d = format_amz_date(date);
    seconds window = p.expires ? *p.expires : seconds{max_clock_skew};
    if (date < server - window) {
        return fail(errc::invalid_signature, "Signature expired: " + d + " is now earlier than " +
                                                 format_amz_date(server - window) + " (" +
                                                 format_amz_date(server) + " - " +
                                                 duration_text(window) + ".)");
    }
    if (date > server + max_clock_skew) {
        return fail(errc::invalid_signature,
                    "Signature not yet current: " + d + " is still later than " +
                        format_amz_date(server + max_clock_skew) + " (" + format_amz_date(server) +
                        " + " + duration_text(seconds{max_clock_skew}) + ".)");
    }
    return {};
}

// The payload hash to put in the canonical request, after checking a declared one.
Result<std::string> resolve_payload_hash(const HttpRequest& req, const AuthParams& p,
                                         std::string_view service) {
    std::optional<std::string_view> declared = find_header(req, "x-amz-content-sha256");
    if (!declared && p.content_sha256_param != nullptr) declared = *p.content_sha256_param;
    if (!declared) {
        if (p.presigned && service == "s3") return std::string(unsigned_payload);
        return payload_hash(req.body);
    }
    if (*declared == unsigned_payload) return std::string(unsigned_payload);
    if (!is_sha256_hex(*declared)) {
        return fail(errc::incomplete_signature,
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, or a valid sha256 value.");
    }
    if (*declared != payload_hash(req.body)) {
        return fail(errc::invalid_signature,
                    "The provided 'x-amz-content-sha256' header does not match what was "
                    "computed.");
    }
    return std::string(*declared);
}

bool lists_header(std::string_view signed_headers, std::string_view name) {
    for (std::string_view h : split(signed_headers, ';')) {
        if (iequals(h, name)) return true;
    }
    return false;
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        }
    }
    return out;
}

std::string canonical_uri(std::string_view raw_path, std::string_view service) {
    if (service != "s3") return uri_encode(remove_dot_segments(raw_path), true);
    // S3 signs each segment encoded once, so an escaped '/' inside a key stays %2F.
    if (raw_path.empty()) return "/";
    std::string out;
    bool first = true;
    for (std::string_view seg : split(raw_path, '/')) {
        if (!first) out += '/';
        first = false;
        out += uri_encode(percent_decode(seg), false);
    }
    return out;
}

std::string canonical_query_string(std::string_view raw_query) {
    return canonical_query(raw_query, false);
}

std::string canonical_request(const HttpRequest& req, std::string_view signed_headers,
                              std::string_view payload_hash, std::string_view service) {
    return build_canonical_request(req, signed_headers, payload_hash, service, false);
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
    std::string out(algorithm);
    out += '\n';
    out += amz_date;
    out += '\n';
    out += scope;
    out += '\n';
    out += encoding::hex_encode(crypto::sha256(canonical_request));
    return out;
}

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
    std::string out(date);
    out += '/';
    out += region;
    out += '/';
    out += service;
    out += '/';
    out += terminator;
    return out;
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
    std::string k = crypto::hmac_sha256("AWS4" + std::string(secret), date);
    k = crypto::hmac_sha256(k, region);
    k = crypto::hmac_sha256(k, service);
    return crypto::hmac_sha256(k, terminator);
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
    return encoding::hex_encode(crypto::hmac_sha256(signing_key, string_to_sign));
}

std::string payload_hash(std::string_view body) {
    return encoding::hex_encode(crypto::sha256(body));
}

std::string signed_headers_of(const HttpRequest& req) {
    std::vector<std::string> names;
    for (const auto& [k, v] : req.headers) {
        std::string name = lower(k);
        if (name == "host" || name == "content-type" || name.starts_with("x-amz-")) {
            names.push_back(std::move(name));
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string out;
    for (const std::string& n : names) {
        if (!out.empty()) out += ';';
        out += n;
    }
    return out;
}

std::string format_amz_date(Clock::time_point t) { return format_amz_date(floor<seconds>(t)); }

std::string format_amz_date(std::chrono::sys_seconds secs) {
    auto day = floor<days>(secs);
    std::chrono::year_month_day ymd{day};
    std::chrono::hh_mm_ss hms{secs - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::optional<std::chrono::sys_seconds> parse_amz_date(std::string_view s) {
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!parse_number(s.substr(0, 4), y) || !parse_number(s.substr(4, 2), mo) ||
        !parse_number(s.substr(6, 2), d) || !parse_number(s.substr(9, 2), h) ||
        !parse_number(s.substr(11, 2), mi) || !parse_number(s.substr(13, 2), se)) {
        return std::nullopt;
    }
    std::chrono::year_month_day ymd{std::chrono::year{y},
                                    std::chrono::month{static_cast<unsigned>(mo)},
                                    std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
    return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
           seconds{se};
}

void sign(HttpRequest& req, const Credentials& creds, std::string_view region,
          std::string_view service, Clock::time_point now, bool add_content_sha256) {
    remove_header(req, "authorization");
    remove_header(req, "x-amz-date");
    std::string amz_date = format_amz_date(now);
    req.headers.emplace_back("X-Amz-Date", amz_date);
    if (!creds.session_token.empty()) {
        remove_header(req, "x-amz-security-token");
        req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
    }
    if (add_content_sha256) {
        remove_header(req, "x-amz-content-sha256");
        req.headers.emplace_back("X-Amz-Content-Sha256", payload_hash(req.body));
    }
    std::optional<std::string_view> declared = find_header(req, "x-amz-content-sha256");
    std::string hash = declared ? std::string(*declared) : payload_hash(req.body);

    std::string headers = signed_headers_of(req);
    std::string scope = credential_scope(amz_date.substr(0, 8), region, service);
    std::string sts =
        string_to_sign(amz_date, scope, canonical_request(req, headers, hash, service));
    std::string sig = signature(
        signing_key(creds.secret_access_key, amz_date.substr(0, 8), region, service), sts);
    req.headers.emplace_back("Authorization",
                             std::string(algorithm) + " Credential=" + creds.access_key_id + "/" +
                                 scope + ", SignedHeaders=" + headers + ", Signature=" + sig);
}

void presign(HttpRequest& req, const Credentials& creds, std::string_view region,
             std::string_view service, Clock::time_point now, std::chrono::seconds expires) {
    std::string amz_date = format_amz_date(now);
    std::string scope = credential_scope(amz_date.substr(0, 8), region, service);
    std::string headers = signed_headers_of(req);

    std::string params = "X-Amz-Algorithm=" + std::string(algorithm);
    params += "&X-Amz-Credential=" + uri_encode(creds.access_key_id + "/" + scope, false);
    params += "&X-Amz-Date=" + amz_date;
    params += "&X-Amz-Expires=" + std::to_string(expires.count());
    params += "&X-Amz-SignedHeaders=" + uri_encode(headers, false);
    if (!creds.session_token.empty()) {
        params += "&X-Amz-Security-Token=" + uri_encode(creds.session_token, false);
    }
    // A '?' after the first one is part of the query, so "/?a=b?" still needs its '&'.
    size_t q = req.target.find('?');
    if (q == std::string::npos) {
        req.target += '?';
    } else if (q + 1 < req.target.size() && req.target.back() != '&') {
        req.target += '&';
    }
    req.target += params;

    std::string hash = service == "s3" ? std::string(unsigned_payload) : payload_hash(req.body);
    std::string sts =
        string_to_sign(amz_date, scope, canonical_request(req, headers, hash, service));
    req.target +=
        "&X-Amz-Signature=" +
        signature(signing_key(creds.secret_access_key, amz_date.substr(0, 8), region, service),
                  sts);
}

Result<VerifiedIdentity> verify(const HttpRequest& req, const SecretLookup& lookup,
                                Clock::time_point now) {
    auto query = decode_query(split_target(req.target).query);
    std::optional<std::string_view> authz = find_header(req, "authorization");
    if (authz && authz->empty()) authz.reset();
    bool query_auth = find_param(query, "X-Amz-Algorithm") != nullptr;
    if (authz && query_auth) {
        return fail(errc::invalid_signature,
                    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                    "HTTP header.");
    }
    if (!authz && !query_auth) {
        return fail(errc::missing_authentication_token, "Missing Authentication Token");
    }
    TRIB_TRY(AuthParams p, authz ? parse_header_auth(req, *authz) : parse_query_auth(query));

    if (!lists_header(p.signed_headers, "host")) {
        return fail(errc::invalid_signature,
                    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    std::optional<std::chrono::sys_seconds> date = parse_amz_date(p.date);
    if (!date && !p.presigned) date = parse_http_date(p.date);
    if (!date) {
        return fail(errc::incomplete_signature, "Date must be in ISO-8601 'basic format'. Got '" +
                                                    p.date +
                                                    "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    TRIB_TRY_VOID(check_time(*date, p, now));

    std::vector<std::string_view> cred = split(p.credential, '/');
    if (cred.size() != 5) {
        return fail(errc::incomplete_signature,
                    "Credential must have exactly 5 slash-delimited elements, e.g. "
                    "keyid/date/region/service/term, got '" +
                        p.credential + "'");
    }
    std::string amz_date = format_amz_date(*date);
    std::string scope_errors;
    if (cred[4] != terminator) {
        scope_errors +=
            "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
            std::string(cred[4]) + "'. ";
    }
    if (cred[1] != std::string_view(amz_date).substr(0, 8)) {
        scope_errors +=
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
            "date from HTTP: '" +
            std::string(cred[1]) + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date +
            "'. ";
    }
    if (!scope_errors.empty()) {
        scope_errors.pop_back();
        return fail(errc::invalid_signature, std::move(scope_errors));
    }
    VerifiedIdentity id{std::string(cred[0]), std::string(cred[2]), std::string(cred[3])};
    TRIB_TRY(std::string hash, resolve_payload_hash(req, p, id.service));

    std::optional<std::string> secret =
        lookup ? lookup(id.access_key_id) : std::optional<std::string>{};
    if (!secret) {
        return fail(errc::unrecognized_client,
                    "The security token included in the request is invalid.");
    }
    std::string scope = credential_scope(cred[1], id.region, id.service);
    std::string creq =
        build_canonical_request(req, p.signed_headers, hash, id.service, p.presigned);
    std::string expected = signature(signing_key(*secret, cred[1], id.region, id.service),
                                     string_to_sign(amz_date, scope, creq));
    if (!constant_time_equal(expected, p.signature)) {
        return fail(errc::invalid_signature, std::string(default_message(errc::invalid_signature)));
    }
    return id;
}

Result<void> check_scope(const VerifiedIdentity& id, std::string_view region,
                         std::string_view service) {
    std::string msg;
    if (id.region != region) {
        msg += "Credential should be scoped to a valid region, not '" + id.region + "'. ";
    }
    if (id.service != service) {
        msg += "Credential should be scoped to correct service: '" + std::string(service) + "'. ";
    }
    if (msg.empty()) return {};
    msg.pop_back();
    return fail(errc::invalid_signature, std::move(msg));
}

}  // namespace tributary::aws
