// SPDX-License-Identifier: MIT
// core/unique_fd.hpp -- public.
// UniqueFd: the one owner of a plain file descriptor (a pipe end, an epoll or timer fd, a TCP
// listener, a lock file): move-only, closes once; Pipe, its two ends made by open_pipe(). A value
// type; one object belongs to one thread.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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

/// A pipe's two ends, each owned.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

/// Makes a pipe with pipe2(O_CLOEXEC | `flags`) into `ends`: 0, or the errno (then `ends` holds
/// none). Close-on-exec, so that no child started meanwhile keeps an end open by accident.
[[nodiscard]] inline int open_pipe(Pipe& ends, int flags = 0) {
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC | flags) != 0) {
    const int e = errno;
    ends = Pipe{};
    return e;
  }
  ends.read.reset(fds[0]);
  ends.write.reset(fds[1]);
  return 0;
}

}  // namespace sockcalc
