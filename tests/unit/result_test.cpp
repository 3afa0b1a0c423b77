// SPDX-License-Identifier: MIT
// tests/unit/result_test.cpp -- unit tests of core/result (internal to tests/).
// Error: a failed call carries its code and reads "context: reason"; a failed check carries no
// code and reads as its context alone. Result<T>: a value or an Error. Single-threaded.
#include "sockcalc/core/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace sockcalc {
namespace {

TEST(Error, ACallThatFailedAppendsItsReasonInLowerCase) {
  const Error e = errno_error(EADDRINUSE, "cannot bind [::1]:10000");
  EXPECT_EQ(e.code, std::errc::address_in_use);
  EXPECT_EQ(e.code.category(), std::system_category());
  EXPECT_EQ(e.message(), "cannot bind [::1]:10000: address already in use");
}

TEST(Error, AValidationFailureHasNoCodeAndNoAppendedReason) {
  const Error e = validation_error("max flows must be >= 1");
  EXPECT_FALSE(e.code);
  EXPECT_EQ(e.context, "max flows must be >= 1");
  // The fault of issue 12: a validation failure read "...: invalid argument".
  EXPECT_EQ(e.message(), "max flows must be >= 1");
}

TEST(Error, OnlyAnUpperCaseFirstLetterIsLowered) {
  // strerror(ENOENT) starts with "No"; the rest of the reason is left alone.
  EXPECT_EQ(errno_error(ENOENT, "cannot open x").message(),
            "cannot open x: no such file or directory");
  // A category whose text starts with something other than a capital letter.
  class Digits final : public std::error_category {
   public:
    [[nodiscard]] const char* name() const noexcept override { return "digits"; }
    [[nodiscard]] std::string message(int) const override { return "42 ways to fail"; }
  };
  static const Digits digits;
  EXPECT_EQ((Error{std::error_code(1, digits), "cannot count"}).message(),
            "cannot count: 42 ways to fail");
}

TEST(Error, ACodeWithAnEmptyReasonKeepsTheSeparator) {
  class Silent final : public std::error_category {
   public:
    [[nodiscard]] const char* name() const noexcept override { return "silent"; }
    [[nodiscard]] std::string message(int) const override { return ""; }
  };
  static const Silent silent;
  EXPECT_EQ((Error{std::error_code(3, silent), "cannot do it"}).message(), "cannot do it: ");
}

TEST(Result, HoldsAValueOrAnError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(static_cast<bool>(good));
  EXPECT_EQ(*good, 7);
  Result<int> bad = validation_error("no");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "no");
  Status done = Ok{};
  EXPECT_TRUE(done.ok());
  Status failed = errno_error(EPERM, "cannot setuid(0)");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message(), "cannot setuid(0): operation not permitted");
}

}  // namespace
}  // namespace sockcalc
