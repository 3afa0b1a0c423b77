// SPDX-License-Identifier: MIT
// core/unique_fd.hpp -- public.
// UniqueFd: the one owner of a plain file descriptor (a pipe end, an epoll or timer fd, a TCP
// listener, a lock file): move-only, closes once. A value type; one object belongs to one thread.
#pragma once

#include <unistd.h>

#include <utility>

namespace sockcalc {

/// Owns one fd (or none: -1). Moving leaves -1 behind; the destructor and reset() close the fd
/// once, without retrying on EINTR (Linux releases the fd whatever close() returns), and never
/// throw. Sockets of the library are owned by DatagramSocket instead, whose close goes through
/// the syscall seam (socket/sys.hpp).
class UniqueFd {
 public:
  UniqueFd() = default;
  /// Takes ownership of `fd` (-1 or any negative value: none).
  explicit UniqueFd(int fd) : fd_(fd < 0 ? -1 : fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  /// The fd, still owned by this object; -1 when there is none.
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  /// Closes the fd held (if any) and owns `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd < 0 ? -1 : fd;
  }

  /// Gives up ownership: returns the fd (the caller now closes it) and holds none.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

}  // namespace sockcalc
