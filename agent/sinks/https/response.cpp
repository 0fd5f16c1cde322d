// Response classification for the HTTPS sink (see wire.h and README.md's table).

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "agent/sinks/https/wire.h"

namespace tributary::agent::sinks::https {
namespace {

using nlohmann::json;

// One row per whole-call AWS error type. Retry means the call may succeed unchanged later;
// fatal means it cannot until an operator changes something (the scheduler keeps the data).
struct Row {
    std::string_view type;
    Status status;
    bool throttled;
    std::string_view note;  // appended to the logged error
};

constexpr Row error_table[] = {
    {"ProvisionedThroughputExceededException", Status::retry, true, ""},
    {"ThrottlingException", Status::retry, true, ""},
    {"Throttling", Status::retry, true, ""},
    {"LimitExceededException", Status::retry, true, ""},
    {"KMSThrottlingException", Status::retry, true, ""},
    {"TooManyRequestsException", Status::retry, true, ""},
    {"RequestLimitExceeded", Status::retry, true, ""},
    {"ServiceUnavailableException", Status::retry, true, ""},
    {"ServiceUnavailable", Status::retry, true, ""},
    {"SlowDown", Status::retry, true, ""},
    {"InternalFailure", Status::retry, false, ""},
    {"InternalFailureException", Status::retry, false, ""},
    {"InternalServerError", Status::retry, false, ""},
    {"InternalError", Status::retry, false, ""},
    {"ResourceNotFoundException", Status::retry, false,
     "will retry: the stream may be created later"},
    {"ResourceInUseException", Status::retry, false,
     "will retry: the stream is being created or updated"},
    // A device without a real-time clock signs with a wrong date until NTP syncs; that heals.
    {"RequestExpired", Status::retry, false, "will retry: check the device clock (NTP)"},
    {"RequestTimeTooSkewed", Status::retry, false, "will retry: check the device clock (NTP)"},
    {"UnrecognizedClientException", Status::fatal, false, "check the access key id"},
    {"InvalidSignatureException", Status::fatal, false, "check the secret access key"},
    {"IncompleteSignatureException", Status::fatal, false, ""},
    {"MissingAuthenticationTokenException", Status::fatal, false,
     "the endpoint requires credentials"},
    {"InvalidClientTokenId", Status::fatal, false, "check the access key id"},
    {"SignatureDoesNotMatch", Status::fatal, false, "check the secret access key"},
    {"AccessDeniedException", Status::fatal, false, "check the IAM policy"},
    {"AccessDenied", Status::fatal, false, "check the IAM policy"},
    {"NotAuthorized", Status::fatal, false, "check the IAM policy"},
    {"ExpiredTokenException", Status::fatal, false, "the session token expired"},
    {"ExpiredToken", Status::fatal, false, "the session token expired"},
    {"ValidationException", Status::fatal, false, ""},
    {"SerializationException", Status::fatal, false, ""},
    {"InvalidArgumentException", Status::fatal, false, ""},
    {"KMSDisabledException", Status::fatal, false, "check the stream's KMS key"},
    {"KMSInvalidStateException", Status::fatal, false, "check the stream's KMS key"},
    {"KMSAccessDeniedException", Status::fatal, false, "check the stream's KMS key"},
    {"KMSNotFoundException", Status::fatal, false, "check the stream's KMS key"},
    {"KMSOptInRequired", Status::fatal, false, "check the stream's KMS key"},
    {"InvalidKMSResourceException", Status::fatal, false, "check the stream's KMS key"},
};

const Row* find_row(std::string_view type) {
    for (const Row& r : error_table)
        if (r.type == type) return &r;
    return nullptr;
}

// Keeps a non-JSON body (a proxy's HTML page) readable in one log line.
std::string excerpt(std::string_view body) {
    std::string out;
    for (char c : body.substr(0, 200)) out += (c >= ' ' && c < 0x7f) ? c : ' ';
    if (body.size() > 200) out += "...";
    return out;
}

std::string string_field(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

SendResult classify_error(int http_status, std::string_view error_type_header,
                          std::string_view body) {
    SendResult r;
    r.http_status = http_status;
    json doc = json::parse(body, nullptr, false);
    std::string type = normalize_error_type(error_type_header);
    std::string message;
    if (doc.is_object()) {
        if (type.empty()) type = normalize_error_type(string_field(doc, "__type"));
        message = string_field(doc, "message");
        if (message.empty()) message = string_field(doc, "Message");
    } else if (!body.empty()) {
        message = excerpt(body);
    }
    const Row* row = find_row(type);
    if (row) {
        r.status = row->status;
        r.throttled = row->throttled;
        // AWS words clock skew as an InvalidSignatureException; it heals once NTP syncs.
        if (type == "InvalidSignatureException" &&
            (message.starts_with("Signature expired") ||
             message.starts_with("Signature not yet current"))) {
            r.status = Status::retry;
        }
    } else if (http_status >= 500 || http_status == 408 || http_status == 429) {
        r.status = Status::retry;
        r.throttled = http_status == 429 || http_status == 503;
    } else if (http_status >= 300) {
        // An unknown client error, or a redirect (cpprest does not follow them, and a POST
        // should not be replayed elsewhere silently): resending cannot help; fix the endpoint.
        r.status = Status::fatal;
    } else {
        r.status = Status::retry;  // 1xx or another 2xx: nothing says the records were stored
    }
    r.error = type.empty() ? "HTTP " + std::to_string(http_status) : type;
    if (!message.empty()) r.error += ": " + message;
    if (row && !row->note.empty() && r.status == row->status)
        r.error += " (" + std::string(row->note) + ")";
    else if (r.status == Status::retry && type == "InvalidSignatureException")
        r.error += " (will retry: check the device clock (NTP))";
    return r;
}

SendResult malformed(int http_status, std::string why) {
    SendResult r;
    r.status = Status::retry;
    r.http_status = http_status;
    r.error = "malformed answer to a 200: " + std::move(why);
    return r;
}

}  // namespace

std::string normalize_error_type(std::string_view type) {
    if (auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
    if (auto hash = type.rfind('#'); hash != std::string_view::npos) type = type.substr(hash + 1);
    while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return std::string(type);
}

SendResult parse_response(Api api, int http_status, std::string_view error_type_header,
                          std::string_view body, size_t expected_records) {
    if (http_status != 200) return classify_error(http_status, error_type_header, body);
    // A 200 answers every batch and carries one entry per record: simdjson reads it several
    // times faster than a DOM of nlohmann::json would be built (this was 15 % of the agent's
    // CPU). The parser keeps its buffers between calls, one per sending thread.
    thread_local simdjson::dom::parser parser;
    simdjson::padded_string padded(body);
    simdjson::dom::element doc;
    simdjson::dom::object top;
    if (parser.parse(padded).get(doc) || doc.get_object().get(top))
        return malformed(http_status, "body is not a JSON object");
    const char* list_key = api == Api::kinesis ? "Records" : "RequestResponses";
    simdjson::dom::array list;
    if (top[list_key].get_array().get(list))
        return malformed(http_status, std::string("no ") + list_key + " array");
    size_t entries = list.size();
    if (entries != expected_records)
        return malformed(http_status, std::string(list_key) + " has " + std::to_string(entries) +
                                          " entries for " + std::to_string(expected_records) +
                                          " records");
    SendResult r;
    r.status = Status::ok;
    r.http_status = http_status;
    r.records.reserve(expected_records);
    size_t failed = 0, i = 0;
    std::string first_failure;
    for (simdjson::dom::element e : list) {
        simdjson::dom::object entry;
        if (e.get_object().get(entry))
            return malformed(http_status, "entry " + std::to_string(i) + " is not an object");
        auto field = [&](const char* key) {
            std::string_view v;
            return entry[key].get_string().get(v) ? std::string() : std::string(v);
        };
        RecordResult rr;
        rr.error_code = field("ErrorCode");
        if (!rr.error_code.empty()) {
            // Per-record failures are all transient by AWS's definition (throughput, internal,
            // KMS); the record is resent in a later batch.
            rr.status = Status::retry;
            rr.error_message = field("ErrorMessage");
            if (rr.error_code == "ProvisionedThroughputExceededException" ||
                rr.error_code == "KMSThrottlingException" ||
                rr.error_code == "ServiceUnavailableException")
                r.throttled = true;
            if (failed++ == 0) first_failure = rr.error_code + ": " + rr.error_message;
        } else if (api == Api::kinesis) {
            rr.sequence_number = field("SequenceNumber");
            rr.shard_id = field("ShardId");
            if (rr.sequence_number.empty() || rr.shard_id.empty())
                return malformed(http_status,
                                 "record " + std::to_string(i) +
                                     " has neither SequenceNumber/ShardId nor ErrorCode");
        } else {
            rr.sequence_number = field("RecordId");
            if (rr.sequence_number.empty())
                return malformed(http_status, "record " + std::to_string(i) +
                                                  " has neither RecordId nor ErrorCode");
        }
        r.records.push_back(std::move(rr));
        ++i;
    }
    if (failed)
        r.error = std::to_string(failed) + " of " + std::to_string(expected_records) +
                  " records failed, first " + first_failure;
    return r;
}

}  // namespace tributary::agent::sinks::https
