// SPDX-License-Identifier: MIT
// core/decimal.hpp -- public.
// parse_decimal: an unsigned decimal number of a given type, all of the text or nothing (no
// sign, no space, no prefix; leading zeros allowed). Pure; any thread.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace sockcalc {

/// The value of `text` as a T, or nullopt when `text` is empty, holds anything but the digits
/// 0-9, or does not fit a T.
template <typename T>
requires std::is_unsigned_v<T> std::optional<T> parse_decimal(std::string_view text) {
  T value = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace sockcalc
