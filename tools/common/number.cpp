// SPDX-License-Identifier: MIT
// tools/common/number.cpp -- implementation of tools/common/number.hpp.
#include "number.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <system_error>

#include "cli.hpp"

namespace sockcalc::cli {
namespace {
std::string quoted(std::string_view what, std::string_view text) {
  return "invalid " + std::string(what) + " '" + std::string(text) + "': must be ";
}
}  // namespace

std::optional<std::uint64_t> parse_whole(std::string_view text, std::uint64_t min,
                                         std::uint64_t max, int base) {
  // Unsigned: from_chars takes no sign, space or prefix.
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (ec != std::errc() || ptr != end || value < min || value > max) return std::nullopt;
  return value;
}

std::optional<double> parse_decimal_number(std::string_view text, double min, double max) {
  // from_chars would take a '-', "inf" and "nan": a number given here starts with a digit or '.'.
  if (text.empty() || !(text.front() == '.' || (text.front() >= '0' && text.front() <= '9'))) {
    return std::nullopt;
  }
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

std::uint64_t whole_or_die(std::string_view text, std::string_view what, std::uint64_t min,
                           std::uint64_t max) {
  const auto value = parse_whole(text, min, max);
  if (!value) {
    usage_error(quoted(what, text) + std::to_string(min) + ".." + std::to_string(max));
  }
  return *value;
}

double decimal_or_die(std::string_view text, std::string_view what, double min, double max,
                      std::string_view unit) {
  const auto value = parse_decimal_number(text, min, max);
  if (!value) {
    char range[64];
    std::snprintf(range, sizeof range, "%g..%g", min, max);
    usage_error(quoted(what, text) + std::string(unit) + " " + range);
  }
  return *value;
}

}  // namespace sockcalc::cli
