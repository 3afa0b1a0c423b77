// SPDX-License-Identifier: MIT
// event/poller.hpp -- internal to the programs (module sockcalc_event, not installed).
// Poller: the narrow readiness interface under EventLoop (add, modify, remove, wait), with an
// epoll and a poll(2) implementation; a flag picks poll so that tests cover both. An object
// belongs to one thread; it borrows the fds.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sockcalc/core/result.hpp"

namespace sockcalc::event {

enum class PollerKind { epoll, poll };

/// What an fd is watched for. Errors and hang-ups are always reported, as readable.
enum class Interest { read, read_write };

/// One ready fd, as wait() reports it.
struct Readiness {
  std::uint64_t token = 0;
  bool readable = false;  // readable, or in error or hung up: either way its owner should read
  bool writable = false;
};

class Poller {
 public:
  /// An epoll or a poll(2) poller. epoll fails only when the kernel refuses an epoll fd.
  static Result<std::unique_ptr<Poller>> create(PollerKind kind);

  virtual ~Poller() = default;

  /// Watches `fd` (borrowed: the caller keeps it open until remove()) for `interest`; wait()
  /// reports it with `token`. Fails when the fd is already watched or the kernel refuses.
  virtual Status add(int fd, std::uint64_t token, Interest interest = Interest::read) = 0;

  /// Changes what `fd` is watched for, and its token. Fails for an fd not watched.
  virtual Status modify(int fd, std::uint64_t token, Interest interest) = 0;

  /// Stops watching `fd`. Call before closing it. Unknown fds are ignored.
  virtual void remove(int fd) = 0;

  /// Waits up to `timeout_ms` (-1: forever, 0: do not block) and appends every ready fd to
  /// `ready`. A signal (EINTR) returns Ok with nothing appended, so that the caller can
  /// re-check its stop flag.
  virtual Status wait(int timeout_ms, std::vector<Readiness>& ready) = 0;

  /// The number of fds watched.
  [[nodiscard]] virtual std::size_t size() const = 0;
};

}  // namespace sockcalc::event
