// SPDX-License-Identifier: MIT
// core/waker.cpp -- implementation of core/waker.hpp.
#include "sockcalc/core/waker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace sockcalc {

Result<Waker> Waker::create() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return errno_error(errno, "cannot create an eventfd");
  return Waker(fd);
}

void Waker::notify() const {
  const std::uint64_t one = 1;
  // The counter saturates long before it could fail; a failed write would only mean the fd is
  // already readable, which is all notify() promises.
  [[maybe_unused]] const ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

void Waker::drain() const {
  std::uint64_t value = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_.get(), &value, sizeof value);
}

}  // namespace sockcalc
