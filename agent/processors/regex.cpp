#include "agent/processors/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "agent/processors/errc.h"
#include "agent/processors/json_writer.h"

namespace tributary::agent::processors {

void Regex::CodeFree::operator()(pcre2_code* p) const { pcre2_code_free(p); }
void Regex::MatchDataFree::operator()(pcre2_match_data* p) const { pcre2_match_data_free(p); }

Regex::Regex() = default;
Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

Result<Regex> Regex::compile(std::string_view pattern, Options opts) {
    uint32_t flags = 0;
    if (opts.mode == Mode::utf) flags |= PCRE2_UTF;
    // Java's matches() backtracks until the whole subject is consumed; PCRE2 does the same with
    // both anchors set at compile time (JIT supports them only there, not per match).
    if (opts.whole) flags |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;

    pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
    if (cctx == nullptr) return fail(errc::invalid_pattern, "out of memory compiling pattern");
    // Java's `.` stops at \r as well as \n; ANYCRLF is the PCRE2 setting closest to that.
    pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
    int err = 0;
    PCRE2_SIZE err_off = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     flags, &err, &err_off, cctx);
    pcre2_compile_context_free(cctx);
    if (code == nullptr) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(err, buf, sizeof buf);
        return fail(errc::invalid_pattern, std::string(reinterpret_cast<char*>(buf)) +
                                               " at offset " + std::to_string(err_off));
    }
    Regex r;
    r.code_.reset(code);
    // JIT is unavailable on some builds and architectures; the interpreter then gives the same
    // results, only slower, so a JIT failure is not an error.
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    uint32_t n = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
    r.captures_ = n;
    r.md_.reset(pcre2_match_data_create_from_pattern(code, nullptr));
    if (!r.md_) return fail(errc::invalid_pattern, "out of memory creating match data");
    r.mode_ = opts.mode;
    return r;
}

std::string_view Regex::prepare(std::string_view subject) {
    if (mode_ != Mode::utf || is_valid_utf8(subject)) return subject;
    sanitized_.clear();
    sanitize_utf8(subject, sanitized_);
    return sanitized_;
}

bool Regex::match(std::string_view subject, size_t start) {
    // In utf mode prepare() has validated the subject once, so PCRE2 need not on every call.
    uint32_t flags = mode_ == Mode::utf ? PCRE2_NO_UTF_CHECK : 0;
    subject_ = subject;
    int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                         start, flags, md_.get(), nullptr);
    return rc >= 0;
}

bool Regex::is_set(size_t i) const {
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md_.get());
    return ov[2 * i] != PCRE2_UNSET;
}

size_t Regex::group_begin(size_t i) const { return pcre2_get_ovector_pointer(md_.get())[2 * i]; }
size_t Regex::group_end(size_t i) const { return pcre2_get_ovector_pointer(md_.get())[2 * i + 1]; }

std::string_view Regex::group(size_t i) const {
    if (!is_set(i)) return {};
    return subject_.substr(group_begin(i), group_end(i) - group_begin(i));
}

}  // namespace tributary::agent::processors
