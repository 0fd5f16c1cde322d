#include "shared/wire/errc.h"

#include <string>

namespace tributary::wire {
namespace {

struct Row {
    errc code;
    std::string_view message;  // the category's text; Errors carry a more specific one
    std::string_view answer_type;
    bool retryable;
};

// Every payload problem is a ValidationException, as Kinesis answers a malformed PutRecords.
// Only a checksum mismatch is retryable: the agent re-encodes the batch from its spool, so a
// payload damaged in transit goes through on the next attempt; the others would fail again.
constexpr Row table[] = {
    {errc::bad_magic, "not a Tributary MQTT payload", "ValidationException", false},
    {errc::unsupported_version, "unsupported payload version", "ValidationException", false},
    {errc::bad_checksum, "payload checksum mismatch", "ValidationException", true},
    {errc::truncated, "payload truncated", "ValidationException", false},
    {errc::over_limit, "batch over a PutRecords limit", "ValidationException", false},
    {errc::bad_field, "malformed payload field", "ValidationException", false},
    {errc::decompression_failed, "zstd records section invalid", "ValidationException", false},
    {errc::bad_topic, "malformed topic", "ValidationException", false},
};

const Row* find(errc e) noexcept {
    for (const Row& r : table) {
        if (r.code == e) return &r;
    }
    return nullptr;
}

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "wire"; }
    std::string message(int ev) const override {
        const Row* r = find(static_cast<errc>(ev));
        return r ? std::string(r->message) : "unknown wire error";
    }
};

}  // namespace

const std::error_category& wire_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), wire_category()}; }

std::string_view answer_error_type(errc e) noexcept {
    const Row* r = find(e);
    return r ? r->answer_type : "InternalFailure";
}

bool answer_retryable(errc e) noexcept {
    const Row* r = find(e);
    return r ? r->retryable : true;
}

}  // namespace tributary::wire
