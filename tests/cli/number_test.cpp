// SPDX-License-Identifier: MIT
// tests/cli/number_test.cpp -- internal to tests/cli.
// The one reader of numbers on a command line (tools/common/number.hpp): what it takes, what
// it refuses, and the usage errors that name the option. Test thread only.
#include "number.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

namespace sockcalc::cli {
namespace {

using testing::ExitedWithCode;
using testing::Optional;

constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64 = std::numeric_limits<std::uint64_t>::max();

TEST(ParseWhole, TakesDigitsWithinTheRange) {
  EXPECT_THAT(parse_whole("0", 0, kU32), Optional(0U));
  EXPECT_THAT(parse_whole("007", 0, kU32), Optional(7U));
  EXPECT_THAT(parse_whole("4294967295", 0, kU32), Optional(kU32));
  EXPECT_THAT(parse_whole("18446744073709551615", 0, kU64), Optional(kU64));
  EXPECT_THAT(parse_whole("256", 1, 256), Optional(256U));
  EXPECT_THAT(parse_whole("1", 1, 256), Optional(1U));
}

TEST(ParseWhole, RefusesOutOfRangeAndTooLarge) {
  EXPECT_EQ(parse_whole("4294967296", 0, kU32), std::nullopt);
  EXPECT_EQ(parse_whole("18446744073709551616", 0, kU64), std::nullopt);
  EXPECT_EQ(parse_whole("0", 1, 256), std::nullopt);
  EXPECT_EQ(parse_whole("257", 1, 256), std::nullopt);
}

TEST(ParseWhole, RefusesSignsSpacesPrefixesAndFractions) {
  for (const char* text :
       {"", "-1", "-0", "+1", " 1", "1 ", "0x10", "1.0", "1e3", "12abc", "abc"}) {
    EXPECT_EQ(parse_whole(text, 0, kU64), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseWhole, ReadsOtherBases) {
  EXPECT_THAT(parse_whole("0660", 0, 0777, 8), Optional(0660U));
  EXPECT_THAT(parse_whole("777", 0, 0777, 8), Optional(0777U));
  EXPECT_EQ(parse_whole("1000", 0, 0777, 8), std::nullopt);
  EXPECT_EQ(parse_whole("8", 0, 0777, 8), std::nullopt);
}

TEST(ParseDecimalNumber, TakesDecimalsWithinTheRange) {
  EXPECT_THAT(parse_decimal_number("12", 0, 100), Optional(12.0));
  EXPECT_THAT(parse_decimal_number("0.5", 0, 100), Optional(0.5));
  EXPECT_THAT(parse_decimal_number(".5", 0, 100), Optional(0.5));
  EXPECT_THAT(parse_decimal_number("100", 0, 100), Optional(100.0));
  EXPECT_THAT(parse_decimal_number("0.001", 0.001, 86400), Optional(0.001));
}

TEST(ParseDecimalNumber, RefusesSignsExponentsAndOutOfRange) {
  for (const char* text :
       {"", "-0.5", "-0", "+1", "1e2", "inf", "nan", " 1", "1 ", "100.01", "0x1", "1,5"}) {
    EXPECT_EQ(parse_decimal_number(text, 0, 100), std::nullopt) << "'" << text << "'";
  }
  EXPECT_EQ(parse_decimal_number("0.0009", 0.001, 86400), std::nullopt);
}

TEST(NumberOrDie, AWholeNumberOutOfRangeIsAUsageErrorNamingTheOption) {
  EXPECT_EQ(whole_or_die("32", "batch", 1, 1024), 32U);
  EXPECT_EXIT(whole_or_die("0", "batch", 1, 1024), ExitedWithCode(2),
              "invalid batch '0': must be 1\\.\\.1024");
  EXPECT_EXIT(whole_or_die("x", "threads", 1, 256), ExitedWithCode(2),
              "invalid threads 'x': must be 1\\.\\.256");
}

TEST(NumberOrDie, ADecimalOutOfRangeIsAUsageErrorWithItsUnit) {
  EXPECT_DOUBLE_EQ(decimal_or_die("12.5", "loss", 0, 100, "a percentage"), 12.5);
  EXPECT_EXIT(decimal_or_die("150", "loss", 0, 100, "a percentage"), ExitedWithCode(2),
              "invalid loss '150': must be a percentage 0\\.\\.100");
  EXPECT_EXIT(decimal_or_die("0", "idle timeout", 0.001, 86400, "seconds"), ExitedWithCode(2),
              "invalid idle timeout '0': must be seconds 0\\.001\\.\\.86400");
}

}  // namespace
}  // namespace sockcalc::cli
