// SPDX-License-Identifier: MIT
// core/result.hpp -- public.
// Result<T>: a value, or an Error (a std::error_code plus the context of the failed call).
// Value type; no shared state, safe to use from any thread.
#pragma once

#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace sockcalc {

/// What failed and why. Two kinds:
/// - a call that failed: `context` names the call and its object ("cannot bind [::1]:10000"),
///   `code` carries the system's (or the resolver's) reason; message() joins them as
///   "context: reason" ("cannot bind [::1]:10000: address already in use");
/// - a value that failed a check (a bad argument, a config out of range): no call failed, so
///   `code` is empty and `context` says it all ("max flows must be >= 1"); message() is
///   `context` alone. Build these with validation_error().
struct Error {
  std::error_code code;  // empty for a validation failure
  std::string context;

  /// "context: reason", the reason in lower case ("address already in use"); `context` alone
  /// when there is no code.
  [[nodiscard]] std::string message() const {
    if (!code) return context;
    std::string reason = code.message();
    if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z')
      reason[0] = char(reason[0] - 'A' + 'a');
    return context + ": " + reason;
  }
};

/// Builds an Error from an errno value.
inline Error errno_error(int errno_value, std::string context) {
  return Error{std::error_code(errno_value, std::system_category()), std::move(context)};
}

/// Builds the Error of a check that failed, with no system call behind it: no code, the
/// whole reason in `what` ("cannot use fe80::1: no interface named 'x'").
inline Error validation_error(std::string what) { return Error{{}, std::move(what)}; }

/// Either a T or an Error. `src/` returns these instead of throwing on the I/O path.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Result of a call that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace sockcalc
