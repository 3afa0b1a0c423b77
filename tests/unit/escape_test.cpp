// SPDX-License-Identifier: MIT
// tests/unit/escape_test.cpp -- unit tests of core/escape (internal to tests/).
// escape_bytes() leaves no control byte in its output, and unescape_bytes() reads it back.
// Single-threaded: plain GoogleTest cases.
#include <gtest/gtest.h>

#include <string>

#include "sockcalc/core/escape.hpp"
#include "support/hostile.hpp"

namespace sockcalc {
namespace {

using namespace std::string_literals;

TEST(Escape, Table) {
  struct Case {
    std::string raw;
    std::string escaped;
  };
  const Case table[] = {
      {"", ""},
      {"calc", "calc"},
      {"a b/c.sock", "a b/c.sock"},
      {"\n", "\\x0a"},
      {"x\nserver: stopped;", "x\\x0aserver: stopped;"},
      {"\x1b[31mred", "\\x1b[31mred"},
      {"\r\t\x7f", "\\x0d\\x09\\x7f"},
      {"\\", "\\\\"},
      {"\\x41", "\\\\x41"},
      {"\0a\0"s, "\\x00a\\x00"},
      {"caf\xc3\xa9", "caf\\xc3\\xa9"},
      {"\x9b", "\\x9b"},  // the 8-bit CSI some terminals obey
  };
  for (const Case& c : table) {
    EXPECT_EQ(escape_bytes(c.raw), c.escaped);
    const auto back = unescape_bytes(c.escaped);
    ASSERT_TRUE(back.has_value()) << c.escaped;
    EXPECT_EQ(*back, c.raw) << c.escaped;
  }
}

TEST(Escape, EveryByteRoundTripsAndNothingUnprintableSurvives) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string escaped = escape_bytes(all);
  EXPECT_TRUE(testing::only_printable_ascii(escaped)) << escaped;
  const auto back = unescape_bytes(escaped);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(Escape, UnescapeAcceptsUpperCaseHex) {
  EXPECT_EQ(unescape_bytes("\\x1B\\x0A"), "\x1b\n");
  // Exactly two digits: the third is a byte of its own.
  EXPECT_EQ(unescape_bytes("\\x411"), "A1");
}

TEST(Escape, UnescapeRejectsBrokenEscapes) {
  for (const char* bad : {"\\", "a\\", "\\n", "\\x", "\\x4", "\\xg0", "\\x0g", "\\X41", "a\\b"}) {
    EXPECT_FALSE(unescape_bytes(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sockcalc
