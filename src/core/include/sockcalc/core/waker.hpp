// SPDX-License-Identifier: MIT
// core/waker.hpp -- public.
// Waker: an eventfd that wakes a poll() loop from another thread or a signal handler.
// notify() is async-signal-safe and thread-safe; drain() belongs to the loop's thread.
#pragma once

#include "sockcalc/core/result.hpp"
#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc {

class Waker {
 public:
  static Result<Waker> create();
  Waker(Waker&& other) noexcept = default;
  Waker& operator=(Waker&&) = delete;
  Waker(const Waker&) = delete;
  ~Waker() = default;

  [[nodiscard]] int fd() const { return fd_.get(); }
  /// Makes fd() readable. Safe in a signal handler.
  void notify() const;
  /// Makes fd() not readable again.
  void drain() const;

 private:
  explicit Waker(int fd) : fd_(fd) {}
  UniqueFd fd_;
};

}  // namespace sockcalc
