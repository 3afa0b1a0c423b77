// SPDX-License-Identifier: MIT
// event/event_loop.hpp -- internal to the programs (module sockcalc_event, not installed).
// EventLoop: the one event loop of the programs (linksim's relay, loadgen's generator): fds with
// handlers, a wake-up time with nanosecond precision (a timerfd), and a Waker
// that ends a wait from another thread or a signal handler. Single-threaded: every call but
// waker().notify() belongs to the thread that runs the loop; fds are borrowed.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/core/unique_fd.hpp"
#include "sockcalc/core/waker.hpp"
#include "sockcalc/event/poller.hpp"

namespace sockcalc::event {

/// What a handler is told about its fd.
struct Ready {
  bool readable = false;  // or in error, or hung up: read it to learn which
  bool writable = false;
};

using Handler = std::function<void(Ready)>;
using Clock = std::chrono::steady_clock;

class EventLoop {
 public:
  /// A loop over an epoll or poll(2) poller, with its timerfd and Waker. Fails when the kernel
  /// refuses one of them.
  static Result<EventLoop> create(PollerKind kind = PollerKind::epoll);

  EventLoop(EventLoop&&) noexcept;
  EventLoop& operator=(EventLoop&&) = delete;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  /// Calls `handler` from run_once() whenever `fd` is ready for `interest` (level-triggered:
  /// again at every turn while it stays ready). The fd is borrowed: unwatch() it before closing.
  Status watch(int fd, Interest interest, Handler handler);
  /// Changes what `fd` is watched for. A syscall only when the interest changes.
  Status change(int fd, Interest interest);
  /// Gives `fd` a new handler, keeping its interest; no syscall.
  void rehandle(int fd, Handler handler);
  /// Stops watching `fd`; its handler is not called again, even later in the same turn.
  void unwatch(int fd);

  /// Makes run_once() return no later than `when` (TimePoint::max(): no wake-up). `now` is the
  /// caller's current time: a timer still armed, due after now and no later than `when`, is left
  /// alone, since re-arming on every turn would cost a syscall each.
  Status wake_at(Clock::time_point when, Clock::time_point now);

  /// Ends a wait from any thread, or a signal handler (notify()); drained by the loop.
  [[nodiscard]] const Waker& waker() const { return waker_; }

  /// One turn: waits until a watched fd is ready, the wake-up time comes, the waker is notified
  /// or `max_wait_ms` pass (-1: no bound; 0: no wait); then calls `after_wait` (if set, e.g. to
  /// fire the caller's own timers first) and the handler of every ready fd. A signal (EINTR)
  /// makes an empty turn. Fails only when the poller fails.
  Status run_once(int max_wait_ms = -1, const std::function<void()>& after_wait = {});

  /// The fds watched, the loop's own two (timerfd, waker) not counted.
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::size_t index = 0;  // its place in entries_
    int fd = -1;
    Interest interest = Interest::read;
    std::uint32_t generation = 0;  // bumped when the entry is freed: stale tokens are dropped
    Handler handler;
  };
  EventLoop(std::unique_ptr<Poller> poller, UniqueFd timer, Waker waker);
  Entry* find(int fd);
  Status add_entry(int fd, Interest interest, Handler handler);

  std::unique_ptr<Poller> poller_;
  UniqueFd timer_;
  Waker waker_;
  std::deque<Entry> entries_;       // a token is generation << 32 | index
  std::vector<std::size_t> free_;   // indices of entries_ not in use
  std::vector<std::size_t> by_fd_;  // by_fd_[fd]: index in entries_ + 1, 0: not watched
  std::vector<Readiness> ready_;    // reused by every turn
  Clock::time_point armed_ = Clock::time_point::min();
};

}  // namespace sockcalc::event
