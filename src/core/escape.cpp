// SPDX-License-Identifier: MIT
// core/escape.cpp -- implementation of core/escape.hpp.
#include "sockcalc/core/escape.hpp"

#include <cstdint>

namespace sockcalc {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// The printable ASCII range: everything else is escaped.
constexpr bool printable(std::uint8_t c) { return c >= 0x20 && c <= 0x7e; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    const auto c = static_cast<std::uint8_t>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (printable(c)) {
      out += ch;
    } else {
      out += "\\x";
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> unescape_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      i += 1;
      continue;
    }
    // "\xHH": exactly two hex digits, so that a following digit stays a byte of its own.
    if (i + 3 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 2]);
    const int lo = hex_value(text[i + 3]);
    if (text[i + 1] != 'x' || hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
    i += 3;
  }
  return out;
}

}  // namespace sockcalc
