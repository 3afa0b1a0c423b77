// SPDX-License-Identifier: MIT
// core/deadline.hpp -- public.
// The one conversion from a steady-clock deadline to the millisecond timeout poll(2) and
// epoll_wait(2) take. Pure functions; any thread.
#pragma once

#include <chrono>

namespace sockcalc {

/// The longest wait remaining_ms() returns: one hour. A poll timeout is an int of milliseconds;
/// a caller whose deadline is further away (TimePoint::max(), "never") waits an hour, looks
/// again, and waits on.
inline constexpr int kMaxWaitMs = 3'600'000;

/// Milliseconds from `now` until `deadline`, rounded up (a wait never ends before the deadline),
/// 0 once it has passed, kMaxWaitMs at most. Never overflows, even for a deadline of
/// time_point::max().
inline int remaining_ms(std::chrono::steady_clock::time_point deadline,
                        std::chrono::steady_clock::time_point now) {
  if (deadline <= now) return 0;
  // Compare in the clock's own unit first: deadline - now of time_point::max() is far beyond
  // what a millisecond count converted to int could hold.
  if (deadline - now >= std::chrono::milliseconds(kMaxWaitMs)) return kMaxWaitMs;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
}

/// remaining_ms() from the steady clock's now.
inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  return remaining_ms(deadline, std::chrono::steady_clock::now());
}

}  // namespace sockcalc
