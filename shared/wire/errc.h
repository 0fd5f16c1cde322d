#pragma once
// Errors of the MQTT wire codec (docs/mqtt.md): what is wrong with a payload or a topic.
//
// The table in errc.cpp is the one place that maps a code to the whole-batch error an answer
// carries (error type and retryable flag); the ingest side never spells those itself. The
// message in an Error names the field and the numbers involved, for a device operator.

#include <string_view>
#include <system_error>

namespace tributary::wire {

enum class errc {
    bad_magic = 1,         // first byte is not a Tributary request/answer: not our payload at all
    unsupported_version,   // our magic, but a protocol version this build does not speak
    bad_checksum,          // CRC-32 trailer does not match: corrupted in transit or by the encoder
    truncated,             // a field runs past the end of the payload or of its section
    over_limit,            // a PutRecords limit: records, record size, batch size, payload size
    bad_field,             // a field's value breaks its grammar (UTF-8, digits, flags, counts)
    decompression_failed,  // the zstd records section is not a valid frame of the declared size
    bad_topic,             // a topic, device id, stream name or share group breaks the grammar
};

const std::error_category& wire_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// The whole-batch error an answer carries for a request rejected with `e`: an AWS-style type
// (docs/mqtt.md, "Error types") and whether resending the same batch can succeed.
std::string_view answer_error_type(errc e) noexcept;
bool answer_retryable(errc e) noexcept;

}  // namespace tributary::wire

template <>
struct std::is_error_code_enum<tributary::wire::errc> : std::true_type {};
