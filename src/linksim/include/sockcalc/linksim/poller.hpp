// SPDX-License-Identifier: MIT
// linksim/poller.hpp -- public.
// Poller: the narrow readiness interface of the relay's event loop (add, remove, wait), with an
// epoll and a poll(2) implementation. An object belongs to one thread; it borrows the fds.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sockcalc/core/result.hpp"

namespace sockcalc::linksim {

enum class PollerKind { epoll, poll };

class Poller {
 public:
  /// An epoll or a poll(2) poller. epoll fails only when the kernel refuses an epoll fd.
  static Result<std::unique_ptr<Poller>> create(PollerKind kind);

  virtual ~Poller() = default;

  /// Watches `fd` (borrowed: the caller keeps it open until remove()) for readability; wait()
  /// reports it as `token`. Fails when the fd is already watched or the kernel refuses.
  virtual Status add(int fd, std::uint64_t token) = 0;

  /// Stops watching `fd`. Call before closing it. Unknown fds are ignored.
  virtual void remove(int fd) = 0;

  /// Waits up to `timeout_ms` (-1: forever, 0: do not block) and appends to `ready` the token of
  /// every fd that is readable or in error (either way its owner should read it). A signal
  /// (EINTR) returns Ok with nothing appended, so the caller can re-check its stop flag.
  virtual Status wait(int timeout_ms, std::vector<std::uint64_t>& ready) = 0;

  /// The number of fds watched.
  [[nodiscard]] virtual std::size_t size() const = 0;
};

}  // namespace sockcalc::linksim
