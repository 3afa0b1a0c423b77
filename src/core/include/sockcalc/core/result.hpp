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

/// What failed and why: `context` names the call and its object ("cannot bind [::1]:10000"),
/// `code` carries the system's reason. message() joins them as "context: reason".
struct Error {
  std::error_code code;
  std::string context;

  /// "context: reason", the system's reason in lower case ("address already in use").
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
