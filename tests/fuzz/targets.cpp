// The fuzz targets fuzz_replay knows: one line each, named like their corpus folder.

#include "tests/fuzz/fuzz_target.h"

namespace tributary::fuzz {

int codec_json(const uint8_t*, size_t);
int codec_cbor(const uint8_t*, size_t);
int api_request(const uint8_t*, size_t);
int iterator(const uint8_t*, size_t);
int sigv4(const uint8_t*, size_t);
int sequence(const uint8_t*, size_t);
int wire_batch(const uint8_t*, size_t);
int agent_config(const uint8_t*, size_t);
int log_formats(const uint8_t*, size_t);
int tail_position(const uint8_t*, size_t);
int https_response(const uint8_t*, size_t);

namespace {
constexpr TargetInfo kTargets[] = {
    {"codec_json", codec_json},
    {"codec_cbor", codec_cbor},
    {"api_request", api_request},
    {"iterator", iterator},
    {"sigv4", sigv4},
    {"sequence", sequence},
    {"wire_batch", wire_batch},
    {"agent_config", agent_config},
    {"log_formats", log_formats},
    {"tail_position", tail_position},
    {"https_response", https_response},
};
}  // namespace

std::span<const TargetInfo> targets() { return kTargets; }

}  // namespace tributary::fuzz
