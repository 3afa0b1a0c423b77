// SPDX-License-Identifier: MIT
// core/hex.cpp -- implementation of core/hex.hpp.
#include "sockcalc/core/hex.hpp"

#include <cstdint>

namespace sockcalc {

std::string course_hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 5);
  for (std::byte b : bytes) {
    const auto v = std::to_integer<std::uint8_t>(b);
    if (!out.empty()) out += ' ';
    out += "0x";
    if (v >= 16) out += kDigits[v >> 4];
    out += kDigits[v & 0xF];
  }
  return out;
}

std::string printable_or_empty(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes) {
    const auto c = std::to_integer<std::uint8_t>(b);
    if (c < 0x20 || c > 0x7E) return {};
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace sockcalc
