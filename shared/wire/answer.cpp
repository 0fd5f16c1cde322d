#include "shared/wire/answer.h"

#include <limits>

#include "shared/wire/batch.h"
#include "shared/wire/bytes.h"

namespace tributary::wire {
namespace {

using detail::field_name;
using detail::Reader;

constexpr uint8_t kStatusOk = 0;
constexpr uint8_t kStatusFailed = 1;
// Smallest record result: status, one-byte shard index, length 1, one digit (or status, code
// length, one character, message length 0).
constexpr size_t kMinResultBytes = 4;

bool printable_ascii(std::string_view s) {
    for (char c : s) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

bool digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

Result<void> check_text(std::string_view s, std::string_view field, long i, size_t max) {
    if (s.size() > max)
        return fail(errc::over_limit, field_name(field, i) + " is " + std::to_string(s.size()) +
                                          " bytes; at most " + std::to_string(max) +
                                          " are allowed");
    if (!detail::valid_utf8(s))
        return fail(errc::bad_field, field_name(field, i) + " is not valid UTF-8");
    return {};
}

Result<void> check_code(std::string_view s, std::string_view field, long i) {
    if (s.empty() || s.size() > kMaxErrorCodeBytes || !printable_ascii(s))
        return fail(errc::bad_field, field_name(field, i) + " must be 1 to " +
                                         std::to_string(kMaxErrorCodeBytes) +
                                         " printable ASCII characters");
    return {};
}

Result<void> check_result(const RecordResult& r, long i) {
    if (r.ok) {
        if (!digits(r.sequence_number) || r.sequence_number.size() > kMaxSequenceNumberDigits)
            return fail(errc::bad_field,
                        field_name("sequence_number", i) + " must be 1 to 128 decimal digits");
        return {};
    }
    TRIB_TRY_VOID(check_code(r.error_code, "error_code", i));
    return check_text(r.error_message, "error_message", i, kMaxErrorMessageBytes);
}

Result<void> check_answer(const BatchAnswer& a) {
    if (a.error) {
        if (!a.records.empty())
            return fail(errc::bad_field,
                        "an answer carries record results or a batch error, "
                        "not both");
        TRIB_TRY_VOID(check_code(a.error->type, "error type", -1));
        return check_text(a.error->message, "error message", -1, kMaxErrorMessageBytes);
    }
    if (a.records.empty())
        return fail(errc::bad_field, "an answer without a batch error needs record results");
    if (a.records.size() > kMaxRecords)
        return fail(errc::over_limit, "an answer holds at most 500 record results, not " +
                                          std::to_string(a.records.size()));
    for (size_t i = 0; i < a.records.size(); ++i)
        TRIB_TRY_VOID(check_result(a.records[i], static_cast<long>(i)));
    return {};
}

Result<RecordResult> read_result(Reader& r, long i) {
    RecordResult out;
    TRIB_TRY(uint8_t status, r.byte("status", i));
    if (status == kStatusOk) {
        out.ok = true;
        TRIB_TRY(uint64_t shard, r.varint("shard_index", i));
        if (shard > std::numeric_limits<uint32_t>::max())
            return fail(errc::bad_field, field_name("shard_index", i) + " exceeds 32 bits");
        out.shard_index = static_cast<uint32_t>(shard);
        TRIB_TRY(std::string_view seq, r.sized("sequence_number", 1, kMaxSequenceNumberDigits, i));
        out.sequence_number = seq;
    } else if (status == kStatusFailed) {
        TRIB_TRY(std::string_view code, r.sized("error_code", 1, kMaxErrorCodeBytes, i));
        out.error_code = code;
        TRIB_TRY(std::string_view msg, r.sized("error_message", 0, kMaxErrorMessageBytes, i, true));
        out.error_message = msg;
    } else {
        return fail(errc::bad_field, field_name("status", i) + " is " + std::to_string(status) +
                                         "; it must be 0 (ok) or 1 (failed)");
    }
    TRIB_TRY_VOID(check_result(out, i));
    return out;
}

Result<void> read_records(Reader& r, BatchAnswer& a) {
    TRIB_TRY(uint64_t count, r.varint("record count"));
    TRIB_TRY(uint64_t failed, r.varint("failed count"));
    if (count == 0 || count > kMaxRecords)
        return fail(count ? errc::over_limit : errc::bad_field,
                    "an answer holds 1 to 500 record results, not " + std::to_string(count));
    if (count * kMinResultBytes > r.remaining())
        return fail(errc::truncated, "answer truncated: " + std::to_string(count) +
                                         " record results cannot fit in " +
                                         std::to_string(r.remaining()) + " bytes");
    a.records.reserve(static_cast<size_t>(count));
    for (size_t i = 0; i < count; ++i) {
        TRIB_TRY(RecordResult res, read_result(r, static_cast<long>(i)));
        a.records.push_back(std::move(res));
    }
    if (size_t actual = a.failed_count(); actual != failed)
        return fail(errc::bad_field, "failed count says " + std::to_string(failed) + " but " +
                                         std::to_string(actual) + " record results failed");
    return {};
}

Result<void> read_error(Reader& r, BatchAnswer& a) {
    BatchError e;
    TRIB_TRY(std::string_view type, r.sized("error type", 1, kMaxErrorCodeBytes));
    TRIB_TRY_VOID(check_code(type, "error type", -1));
    e.type = type;
    TRIB_TRY(std::string_view msg, r.sized("error message", 0, kMaxErrorMessageBytes, -1, true));
    TRIB_TRY_VOID(check_text(msg, "error message", -1, kMaxErrorMessageBytes));
    e.message = msg;
    TRIB_TRY(uint8_t retryable, r.byte("retryable"));
    if (retryable > 1)
        return fail(errc::bad_field,
                    "retryable is " + std::to_string(retryable) + "; it must be 0 or 1");
    e.retryable = retryable == 1;
    a.error = std::move(e);
    return {};
}

}  // namespace

size_t BatchAnswer::failed_count() const {
    size_t n = 0;
    for (const RecordResult& r : records) n += !r.ok;
    return n;
}

BatchError batch_error_for(const Error& e) {
    if (e.code.category() != wire_category())
        return {std::string(error_type::internal_failure), e.message, true};
    auto code = static_cast<errc>(e.code.value());
    return {std::string(answer_error_type(code)), e.message, answer_retryable(code)};
}

Result<void> encode_answer(const BatchAnswer& a, std::string& out) {
    out.clear();
    TRIB_TRY_VOID(check_answer(a));
    out.push_back(static_cast<char>(kAnswerMagic));
    out.push_back(static_cast<char>(kVersion));
    if (a.error) {
        out.push_back(static_cast<char>(kAnswerKindBatchError));
        detail::put_bytes(out, a.error->type);
        detail::put_bytes(out, a.error->message);
        out.push_back(a.error->retryable ? 1 : 0);
    } else {
        out.push_back(static_cast<char>(kAnswerKindRecords));
        detail::put_varint(out, a.records.size());
        detail::put_varint(out, a.failed_count());
        for (const RecordResult& r : a.records) {
            if (r.ok) {
                out.push_back(static_cast<char>(kStatusOk));
                detail::put_varint(out, r.shard_index);
                detail::put_bytes(out, r.sequence_number);
            } else {
                out.push_back(static_cast<char>(kStatusFailed));
                detail::put_bytes(out, r.error_code);
                detail::put_bytes(out, r.error_message);
            }
        }
    }
    detail::put_crc_trailer(out);
    return {};
}

Result<BatchAnswer> decode_answer(std::string_view payload) {
    if (payload.empty()) return fail(errc::truncated, "empty payload");
    if (static_cast<uint8_t>(payload[0]) != kAnswerMagic)
        return fail(errc::bad_magic, "not a Tributary answer: it starts with byte " +
                                         std::to_string(static_cast<uint8_t>(payload[0])) +
                                         ", a version 1 answer starts with 0x41 ('A')");
    if (payload.size() < 2) return fail(errc::truncated, "answer truncated after its first byte");
    if (auto v = static_cast<uint8_t>(payload[1]); v != kVersion)
        return fail(errc::unsupported_version, "answer payload version " + std::to_string(v) +
                                                   " is not supported; this agent speaks "
                                                   "version 1");
    if (payload.size() < 2 + 4)
        return fail(errc::truncated, "payload of " + std::to_string(payload.size()) +
                                         " bytes is too short for an answer");
    TRIB_TRY_VOID(detail::check_crc_trailer(payload));
    Reader r(payload.substr(2, payload.size() - 2 - 4), "answer");
    BatchAnswer a;
    TRIB_TRY(uint8_t kind, r.byte("kind"));
    if (kind == kAnswerKindRecords) {
        TRIB_TRY_VOID(read_records(r, a));
    } else if (kind == kAnswerKindBatchError) {
        TRIB_TRY_VOID(read_error(r, a));
    } else {
        return fail(errc::bad_field, "answer kind " + std::to_string(kind) +
                                         " is unknown; version 1 has 0 (records) and 1 (batch "
                                         "error)");
    }
    if (!r.at_end())
        return fail(errc::bad_field,
                    std::to_string(r.remaining()) + " unexpected byte(s) at the end of the answer");
    return a;
}

}  // namespace tributary::wire
