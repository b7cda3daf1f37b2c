#pragma once
// Result<T>: a value or an Error, with std::expected's member names (g++ 12 has no
// <expected> in C++20). No exception crosses a layer boundary; public functions of every layer
// return this instead. In namespace `atelier` (not `atelier::base`): every layer names these
// types unqualified.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace atelier {

// Error categories: what kind of failure it was, for callers to react to; each front end maps
// them onto its own statuses.
enum class ErrorCode {
    Usage,         // the caller asked for something meaningless
    BadInput,      // unreadable, malformed or unsupported file or data
    NotFound,      // a file, tensor, session or checkpoint that does not exist
    Io,            // the operating system refused (disk full, permissions)
    Denied,        // refused by a rule, a permission or an allowlist
    Cancelled,     // the caller cancelled
    Overflow,      // a request exceeds a limit (context length, budget)
    Internal,      // a bug: an invariant did not hold
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;  // says what and where: file, tensor, byte offset, line

    static Error badInput(std::string msg) { return {ErrorCode::BadInput, std::move(msg)}; }
    static Error notFound(std::string msg) { return {ErrorCode::NotFound, std::move(msg)}; }
    static Error io(std::string msg) { return {ErrorCode::Io, std::move(msg)}; }
    static Error usage(std::string msg) { return {ErrorCode::Usage, std::move(msg)}; }
    static Error internal(std::string msg) { return {ErrorCode::Internal, std::move(msg)}; }
};

// Wraps an Error so that `return unexpected(...)` reads like std::expected.
struct Unexpected {
    Error error;
};
inline Unexpected unexpected(Error e) { return Unexpected{std::move(e)}; }
inline Unexpected unexpected(ErrorCode code, std::string msg) {
    return Unexpected{Error{code, std::move(msg)}};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Unexpected u) : m_state(std::in_place_index<1>, std::move(u.error)) {}
    Result(Error e) : m_state(std::in_place_index<1>, std::move(e)) {}

    bool has_value() const { return m_state.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { assert(has_value()); return std::get<0>(m_state); }
    const T& value() const& { assert(has_value()); return std::get<0>(m_state); }
    T&& value() && { assert(has_value()); return std::get<0>(std::move(m_state)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { assert(!has_value()); return std::get<1>(m_state); }
    Error& error() { assert(!has_value()); return std::get<1>(m_state); }

    template <typename U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Unexpected u) : m_error(std::move(u.error)), m_ok(false) {}
    Result(Error e) : m_error(std::move(e)), m_ok(false) {}

    bool has_value() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    void value() const { assert(m_ok); }
    const Error& error() const { assert(!m_ok); return m_error; }
    Error& error() { assert(!m_ok); return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

}  // namespace atelier

// Propagates an error from an expression returning Result<...>: ATELIER_TRY(r, expr);
#define ATELIER_TRY_CONCAT_(a, b) a##b
#define ATELIER_TRY_CONCAT(a, b) ATELIER_TRY_CONCAT_(a, b)
#define ATELIER_TRY_VOID(expr)                                            \
    do {                                                                  \
        auto ATELIER_TRY_CONCAT(_atelier_r_, __LINE__) = (expr);          \
        if (!ATELIER_TRY_CONCAT(_atelier_r_, __LINE__))                   \
            return ::atelier::unexpected(                                 \
                std::move(ATELIER_TRY_CONCAT(_atelier_r_, __LINE__).error())); \
    } while (0)
