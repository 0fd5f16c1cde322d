#include "collector/api/batch_headers.h"

#include "collector/api/errc.h"

namespace tributary::collector::api {
namespace {

int hex_digit(char c, bool upper_only) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F' && upper_only) return c - 'A' + 10;
    if (c >= 'a' && c <= 'f' && !upper_only) return c - 'a' + 10;
    return -1;
}

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

tl::unexpected<Error> invalid(std::string_view header, std::string_view expected) {
    return fail(errc::validation,
                "Invalid header " + std::string(header) + ": expected " + std::string(expected));
}

std::optional<std::string> decode_flow(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (unreserved(text[i])) {
            out += text[i];
            continue;
        }
        if (text[i] != '%' || i + 2 >= text.size()) return std::nullopt;
        int hi = hex_digit(text[i + 1], true), lo = hex_digit(text[i + 2], true);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

}  // namespace

Result<std::optional<store::BatchKey>> parse_batch_key(const std::string* producer_id,
                                                       const std::string* flow,
                                                       const std::string* sequence) {
    if (!producer_id && !flow && !sequence) return std::optional<store::BatchKey>{};
    for (auto [value, name] : {std::pair{producer_id, kProducerIdHeader}, std::pair{flow, kFlowHeader},
                               std::pair{sequence, kBatchSequenceHeader}})
        if (!value)
            return fail(errc::validation,
                        "Missing header " + std::string(name) + ": " +
                            std::string(kProducerIdHeader) + ", " + std::string(kFlowHeader) +
                            " and " + std::string(kBatchSequenceHeader) + " go together");
    store::BatchKey key;
    if (producer_id->size() != 32) return invalid(kProducerIdHeader, "32 lower-case hex digits");
    for (size_t i = 0; i < 16; ++i) {
        int hi = hex_digit((*producer_id)[2 * i], false), lo = hex_digit((*producer_id)[2 * i + 1], false);
        if (hi < 0 || lo < 0) return invalid(kProducerIdHeader, "32 lower-case hex digits");
        key.producer[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    auto decoded = decode_flow(*flow);
    if (!decoded || decoded->empty() || decoded->size() > 1024)
        return invalid(kFlowHeader,
                       "1 to 1024 bytes, every byte but A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex)");
    key.flow = std::move(*decoded);
    const std::string& s = *sequence;
    constexpr std::string_view kSequenceGrammar =
        "a decimal number from 0 to 18446744073709551615, without sign or leading zeros";
    if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0'))
        return invalid(kBatchSequenceHeader, kSequenceGrammar);
    uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return invalid(kBatchSequenceHeader, kSequenceGrammar);
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (n > (UINT64_MAX - d) / 10) return invalid(kBatchSequenceHeader, kSequenceGrammar);
        n = n * 10 + d;
    }
    key.sequence = n;
    return std::optional<store::BatchKey>(std::move(key));
}

}  // namespace tributary::collector::api
