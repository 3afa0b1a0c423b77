// SPDX-License-Identifier: MIT
// event/event_loop.cpp -- implementation of event/event_loop.hpp.
// Entries in a vector indexed by the token's low half; the high half is the entry's generation,
// so that an fd unwatched (and its entry reused) by an earlier handler of the same turn is not
// dispatched. The timerfd and the waker are entries 0 and 1, handled by the loop itself.
#include "sockcalc/event/event_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace sockcalc::event {
namespace {

constexpr std::size_t kTimerEntry = 0;
constexpr std::size_t kWakerEntry = 1;
constexpr long kNanosPerSecond = 1'000'000'000;

std::uint64_t token_of(std::size_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | index;
}

}  // namespace

Result<EventLoop> EventLoop::create(PollerKind kind) {
  auto poller = Poller::create(kind);
  if (!poller) return poller.error();
  UniqueFd timer(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer.valid()) return errno_error(errno, "cannot create a timerfd");
  auto waker = Waker::create();
  if (!waker) return waker.error();
  EventLoop loop(std::move(*poller), std::move(timer), std::move(*waker));
  if (auto st = loop.add_entry(loop.timer_.get(), Interest::read, {}); !st) return st.error();
  if (auto st = loop.add_entry(loop.waker_.fd(), Interest::read, {}); !st) return st.error();
  return loop;
}

EventLoop::EventLoop(std::unique_ptr<Poller> poller, UniqueFd timer, Waker waker)
    : poller_(std::move(poller)), timer_(std::move(timer)), waker_(std::move(waker)) {}

EventLoop::EventLoop(EventLoop&&) noexcept = default;
EventLoop::~EventLoop() = default;

EventLoop::Entry* EventLoop::find(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= by_fd_.size()) return nullptr;
  const std::size_t slot = by_fd_[static_cast<std::size_t>(fd)];
  return slot == 0 ? nullptr : &entries_[slot - 1];
}

Status EventLoop::add_entry(int fd, Interest interest, Handler handler) {
  if (fd < 0) return errno_error(EBADF, "cannot watch fd " + std::to_string(fd));
  if (find(fd) != nullptr) return errno_error(EEXIST, "cannot watch fd " + std::to_string(fd));
  std::size_t index = entries_.size();
  if (!free_.empty()) {
    index = free_.back();
  } else {
    entries_.emplace_back().index = index;
  }
  Entry& e = entries_[index];
  if (auto st = poller_->add(fd, token_of(index, e.generation), interest); !st) {
    if (index + 1 == entries_.size() && free_.empty()) entries_.pop_back();
    return st;
  }
  if (!free_.empty() && free_.back() == index) free_.pop_back();
  e.fd = fd;
  e.interest = interest;
  e.handler = std::move(handler);
  if (static_cast<std::size_t>(fd) >= by_fd_.size())
    by_fd_.resize(static_cast<std::size_t>(fd) + 1);
  by_fd_[static_cast<std::size_t>(fd)] = index + 1;
  return Ok{};
}

Status EventLoop::watch(int fd, Interest interest, Handler handler) {
  return add_entry(fd, interest, std::move(handler));
}

Status EventLoop::change(int fd, Interest interest) {
  Entry* e = find(fd);
  if (e == nullptr) return errno_error(ENOENT, "cannot change fd " + std::to_string(fd));
  if (e->interest == interest) return Ok{};
  if (auto st = poller_->modify(fd, token_of(e->index, e->generation), interest); !st) return st;
  e->interest = interest;
  return Ok{};
}

void EventLoop::rehandle(int fd, Handler handler) {
  if (Entry* e = find(fd); e != nullptr) e->handler = std::move(handler);
}

void EventLoop::unwatch(int fd) {
  Entry* e = find(fd);
  if (e == nullptr) return;
  poller_->remove(fd);
  e->fd = -1;
  e->handler = nullptr;
  ++e->generation;
  by_fd_[static_cast<std::size_t>(fd)] = 0;
  free_.push_back(e->index);
}

Status EventLoop::wake_at(Clock::time_point when, Clock::time_point now) {
  if (armed_ > now && armed_ <= when) return Ok{};
  itimerspec spec{};  // all zero: disarmed
  if (when != Clock::time_point::max()) {
    const auto since_epoch =
        std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    spec.it_value.tv_sec = static_cast<time_t>(since_epoch / kNanosPerSecond);
    spec.it_value.tv_nsec = static_cast<long>(since_epoch % kNanosPerSecond);
    // An all-zero it_value would disarm the timer instead of firing at once.
    if (spec.it_value.tv_sec <= 0 && spec.it_value.tv_nsec <= 0) {
      spec.it_value.tv_sec = 0;
      spec.it_value.tv_nsec = 1;
    }
  } else if (armed_ == Clock::time_point::min()) {
    return Ok{};  // not armed, and no wake-up wanted
  }
  // steady_clock is CLOCK_MONOTONIC on Linux, so its time points are the timerfd's.
  if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    return errno_error(errno, "cannot arm the timerfd");
  }
  armed_ = when == Clock::time_point::max() ? Clock::time_point::min() : when;
  return Ok{};
}

Status EventLoop::run_once(int max_wait_ms, const std::function<void()>& after_wait) {
  ready_.clear();
  if (auto st = poller_->wait(max_wait_ms, ready_); !st) return st;
  if (after_wait) after_wait();
  for (const Readiness& r : ready_) {
    const auto index = static_cast<std::size_t>(r.token & 0xffff'ffffU);
    const auto generation = static_cast<std::uint32_t>(r.token >> 32);
    if (index >= entries_.size()) continue;
    Entry& e = entries_[index];
    if (e.generation != generation || e.fd < 0) continue;  // unwatched earlier in this turn
    if (index == kTimerEntry) {
      std::uint64_t expirations = 0;
      // Only clears the timerfd's readiness: the caller reads the clock itself.
      [[maybe_unused]] const ssize_t got = ::read(timer_.get(), &expirations, sizeof expirations);
      armed_ = Clock::time_point::min();
    } else if (index == kWakerEntry) {
      waker_.drain();
    } else if (e.handler) {
      // A copy runs: the handler may unwatch or rehandle its own fd, which replaces e.handler.
      const Handler handler = e.handler;
      handler(Ready{r.readable, r.writable});
    }
  }
  return Ok{};
}

std::size_t EventLoop::size() const { return poller_->size() - 2; }

}  // namespace sockcalc::event
