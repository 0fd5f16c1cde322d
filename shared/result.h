#pragma once
// Result<T>: the return type of every fallible function in Tributary.
//
// A [[nodiscard]] wrapper over tl::expected<T, Error> (libstdc++ 12 has std::expected only in
// C++23 mode); switching to std::expected later is a change to this file alone.

#include <string>
#include <system_error>
#include <utility>

#include <tl/expected.hpp>

namespace tributary {

// An error: a code from one of the subsystem categories plus a human-readable message that is
// safe to show to the client (it never contains secrets).
struct Error {
    std::error_code code;
    std::string message;
};

template <class T = void>
class [[nodiscard]] Result : public tl::expected<T, Error> {
public:
    using Base = tl::expected<T, Error>;
    using Base::Base;
    Result(Base b) : Base(std::move(b)) {}  // NOLINT: implicit on purpose
};

inline tl::unexpected<Error> fail(std::error_code code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

template <class E>
    requires std::is_error_code_enum_v<E>
tl::unexpected<Error> fail(E e, std::string message) {
    return fail(make_error_code(e), std::move(message));
}

// Always-on assertion for invariants whose breach would corrupt data (sequence order, shard
// ranges). Aborts with the location and the message.
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line, const char* what);

}  // namespace tributary

#define TRIB_ASSERT(cond, what)                                                \
    do {                                                                       \
        if (!(cond)) ::tributary::assertion_failed(#cond, __FILE__, __LINE__, what); \
    } while (0)

// Propagate an error: `TRIB_TRY(auto v, f());` or `TRIB_TRY_VOID(g());`.
#define TRIB_CONCAT_(a, b) a##b
#define TRIB_CONCAT(a, b) TRIB_CONCAT_(a, b)
#define TRIB_TRY_IMPL_(tmp, decl, expr)           \
    auto tmp = (expr);                            \
    if (!tmp) return tl::unexpected(std::move(tmp).error()); \
    decl = std::move(*tmp)
#define TRIB_TRY(decl, expr) TRIB_TRY_IMPL_(TRIB_CONCAT(trib_try_, __LINE__), decl, expr)
#define TRIB_TRY_VOID(expr)                                              \
    do {                                                                 \
        auto trib_try_v_ = (expr);                                       \
        if (!trib_try_v_) return tl::unexpected(std::move(trib_try_v_).error()); \
    } while (0)
