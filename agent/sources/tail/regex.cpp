#include "agent/sources/tail/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "agent/sources/tail/errc.h"

namespace tributary::agent::sources::tail {

struct Regex::Impl {
    pcre2_code* code = nullptr;
    pcre2_match_data* data = nullptr;
    bool jit = false;
    ~Impl() {
        pcre2_match_data_free(data);
        pcre2_code_free(code);
    }
};

Regex::Regex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

Result<Regex> Regex::compile(std::string_view pattern) {
    auto impl = std::make_unique<Impl>();
    int err = 0;
    PCRE2_SIZE err_at = 0;
    // UTF so that `.` and classes see characters as Java does; MATCH_INVALID_UTF so log lines
    // with stray bytes are still matched instead of failing.
    impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                               PCRE2_ANCHORED | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err,
                               &err_at, nullptr);
    if (!impl->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return fail(errc::invalid_option, "bad regular expression '" + std::string(pattern) +
                                              "' at offset " + std::to_string(err_at) + ": " +
                                              reinterpret_cast<const char*>(msg));
    }
    // JIT is an optimisation only: some armhf builds lack it, and the interpreter still works.
    impl->jit = pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE) == 0;
    impl->data = pcre2_match_data_create_from_pattern(impl->code, nullptr);
    if (!impl->data) return fail(errc::invalid_option, "out of memory compiling a regex");
    return Regex(std::move(impl));
}

bool Regex::looking_at(std::string_view line) const {
    auto subject = reinterpret_cast<PCRE2_SPTR>(line.data());
    int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, line.size(), 0, 0, impl_->data,
                                          nullptr)
                        : pcre2_match(impl_->code, subject, line.size(), 0, 0, impl_->data,
                                      nullptr);
    return rc >= 0;
}

}  // namespace tributary::agent::sources::tail
