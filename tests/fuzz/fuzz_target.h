#pragma once
// One fuzz target = one function `int tributary::fuzz::<name>(const uint8_t*, size_t)`, defined
// with TRIB_FUZZ_TARGET(name) { ... }. The same source builds two ways:
//   - a libFuzzer binary (TRIB_LIBFUZZER defined, clang, -fsanitize=fuzzer): the macro also
//     defines LLVMFuzzerTestOneInput, forwarding to the target;
//   - fuzz_replay (any compiler): every target linked together, each corpus file run through
//     its target as an ordinary test (targets.cpp lists them).
// A target returns 0, and signals a broken property with TRIB_FUZZ_CHECK, which aborts: both
// libFuzzer and the replay report an abort as a failure with the input that caused it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace tributary::fuzz {

using Target = int (*)(const uint8_t* data, size_t size);

struct TargetInfo {
    std::string_view name;  // also the corpus folder: tests/fuzz/corpus/<name>/
    Target run;
};
// Every target, in the order fuzz_replay runs them.
std::span<const TargetInfo> targets();

[[noreturn]] inline void check_failed(const char* file, int line, const char* cond,
                                      const char* what) {
    std::fprintf(stderr, "%s:%d: fuzz check failed: %s (%s)\n", file, line, what, cond);
    std::abort();
}

}  // namespace tributary::fuzz

// Always on, like TRIB_ASSERT: a fuzz target's properties are the point of running it.
#define TRIB_FUZZ_CHECK(cond, what)                                                   \
    do {                                                                              \
        if (!(cond)) ::tributary::fuzz::check_failed(__FILE__, __LINE__, #cond, what); \
    } while (0)

// UBSan's default is to report and go on, which neither libFuzzer nor a test would notice:
// every fuzz binary makes it stop at the first report, with a stack. (A function the sanitizer
// runtime looks up; harmless in a build without it. Environment options still override.)
#define TRIB_FUZZ_SANITIZER_DEFAULTS                                    \
    extern "C" const char* __ubsan_default_options();                   \
    extern "C" const char* __ubsan_default_options() {                  \
        return "halt_on_error=1:print_stacktrace=1";                    \
    }

#ifdef TRIB_LIBFUZZER
#define TRIB_FUZZ_ENTRY(name)                                                    \
    TRIB_FUZZ_SANITIZER_DEFAULTS                                                 \
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {   \
        return ::tributary::fuzz::name(data, size);                              \
    }
#else
#define TRIB_FUZZ_ENTRY(name)
#endif

#define TRIB_FUZZ_TARGET(name)                                     \
    namespace tributary::fuzz {                                    \
    int name(const uint8_t* data, size_t size);                    \
    }                                                              \
    TRIB_FUZZ_ENTRY(name)                                          \
    int tributary::fuzz::name(const uint8_t* data, size_t size)
