// SPDX-License-Identifier: MIT
// tests/unit/deadline_test.cpp -- unit tests of core/deadline (internal to tests/).
// remaining_ms: rounded up, 0 once past, capped, no overflow for time_point::max(). Pure
// arithmetic on fixed time points (no sleeping); single-threaded.
#include "sockcalc/core/deadline.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace sockcalc {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const Clock::time_point kNow = Clock::time_point(1000s);

TEST(RemainingMs, WholeMillisecondsAsTheyAre) { EXPECT_EQ(remaining_ms(kNow + 250ms, kNow), 250); }

TEST(RemainingMs, RoundsUpSoThatAWaitNeverEndsEarly) {
  EXPECT_EQ(remaining_ms(kNow + 1us, kNow), 1);
  EXPECT_EQ(remaining_ms(kNow + 10ms + 1ns, kNow), 11);
}

TEST(RemainingMs, ZeroAtAndAfterTheDeadline) {
  EXPECT_EQ(remaining_ms(kNow, kNow), 0);
  EXPECT_EQ(remaining_ms(kNow - 5s, kNow), 0);
  EXPECT_EQ(remaining_ms(Clock::time_point::min(), kNow), 0);
}

TEST(RemainingMs, CappedAtAnHour) {
  EXPECT_EQ(remaining_ms(kNow + 2h, kNow), kMaxWaitMs);
  EXPECT_EQ(remaining_ms(kNow + 1h - 1ms, kNow), kMaxWaitMs - 1);
}

TEST(RemainingMs, NeverOverflowsForADeadlineOfNever) {
  EXPECT_EQ(remaining_ms(Clock::time_point::max(), kNow), kMaxWaitMs);
  EXPECT_EQ(remaining_ms(Clock::time_point::max()), kMaxWaitMs);
}

TEST(RemainingMs, FromTheSteadyClockNow) {
  const int left = remaining_ms(Clock::now() + 10s);
  EXPECT_GT(left, 0);
  EXPECT_LE(left, 10'000);
}

}  // namespace
}  // namespace sockcalc
