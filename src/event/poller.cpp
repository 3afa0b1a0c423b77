// SPDX-License-Identifier: MIT
// event/poller.cpp -- implementation of event/poller.hpp.
// EpollPoller (epoll_wait, level-triggered) and PollPoller (a pollfd array rebuilt in place).
// Each object belongs to one thread.
#include "sockcalc/event/poller.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <string>
#include <unordered_map>

#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc::event {
namespace {

// Events taken per epoll_wait: more ready fds than this are simply reported at the next wait
// (level-triggered), so the bound costs a loop turn, never an event.
constexpr int kMaxEventsPerWait = 256;

std::uint32_t epoll_events(Interest interest) {
  return interest == Interest::read_write ? EPOLLIN | EPOLLOUT : EPOLLIN;
}

short poll_events(Interest interest) {
  return interest == Interest::read_write ? POLLIN | POLLOUT : POLLIN;
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(UniqueFd fd) : fd_(std::move(fd)) {}

  Status add(int fd, std::uint64_t token, Interest interest) override {
    if (auto st = control(EPOLL_CTL_ADD, fd, token, interest); !st) return st;
    ++count_;
    return Ok{};
  }

  Status modify(int fd, std::uint64_t token, Interest interest) override {
    return control(EPOLL_CTL_MOD, fd, token, interest);
  }

  void remove(int fd) override {
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr) == 0) --count_;
  }

  Status wait(int timeout_ms, std::vector<Readiness>& ready) override {
    const int n = ::epoll_wait(fd_.get(), events_.data(), kMaxEventsPerWait, timeout_ms);
    if (n < 0) return errno == EINTR ? Status(Ok{}) : errno_error(errno, "cannot epoll_wait");
    for (int i = 0; i < n; ++i) {
      const epoll_event& e = events_[static_cast<std::size_t>(i)];
      ready.push_back(
          Readiness{e.data.u64, (e.events & ~EPOLLOUT) != 0, (e.events & EPOLLOUT) != 0});
    }
    return Ok{};
  }

  [[nodiscard]] std::size_t size() const override { return count_; }

 private:
  Status control(int op, int fd, std::uint64_t token, Interest interest) {
    epoll_event ev{};
    ev.events = epoll_events(interest);
    ev.data.u64 = token;
    if (::epoll_ctl(fd_.get(), op, fd, &ev) != 0) {
      return errno_error(errno, "cannot " + std::string(op == EPOLL_CTL_ADD ? "add" : "change") +
                                    " fd " + std::to_string(fd) + " in epoll");
    }
    return Ok{};
  }

  UniqueFd fd_;
  std::size_t count_ = 0;
  std::array<epoll_event, kMaxEventsPerWait> events_{};
};

class PollPoller final : public Poller {
 public:
  Status add(int fd, std::uint64_t token, Interest interest) override {
    if (slot_.count(fd) != 0) {
      return errno_error(EEXIST, "cannot add fd " + std::to_string(fd) + " to poll");
    }
    slot_[fd] = fds_.size();
    fds_.push_back(pollfd{fd, poll_events(interest), 0});
    tokens_.push_back(token);
    return Ok{};
  }

  Status modify(int fd, std::uint64_t token, Interest interest) override {
    const auto it = slot_.find(fd);
    if (it == slot_.end()) {
      return errno_error(ENOENT, "cannot change fd " + std::to_string(fd) + " in poll");
    }
    fds_[it->second].events = poll_events(interest);
    tokens_[it->second] = token;
    return Ok{};
  }

  void remove(int fd) override {
    const auto it = slot_.find(fd);
    if (it == slot_.end()) return;
    // Move the last entry into the hole: O(1), order does not matter to poll().
    const std::size_t i = it->second;
    slot_.erase(it);
    if (i + 1 != fds_.size()) {
      fds_[i] = fds_.back();
      tokens_[i] = tokens_.back();
      slot_[fds_[i].fd] = i;
    }
    fds_.pop_back();
    tokens_.pop_back();
  }

  Status wait(int timeout_ms, std::vector<Readiness>& ready) override {
    const int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
    if (n < 0) return errno == EINTR ? Status(Ok{}) : errno_error(errno, "cannot poll");
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      const short r = fds_[i].revents;
      if (r != 0) ready.push_back(Readiness{tokens_[i], (r & ~POLLOUT) != 0, (r & POLLOUT) != 0});
    }
    return Ok{};
  }

  [[nodiscard]] std::size_t size() const override { return fds_.size(); }

 private:
  std::vector<pollfd> fds_;
  std::vector<std::uint64_t> tokens_;  // tokens_[i] belongs to fds_[i]
  std::unordered_map<int, std::size_t> slot_;
};

}  // namespace

Result<std::unique_ptr<Poller>> Poller::create(PollerKind kind) {
  if (kind == PollerKind::poll) return std::unique_ptr<Poller>(std::make_unique<PollPoller>());
  UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "cannot create an epoll fd");
  return std::unique_ptr<Poller>(std::make_unique<EpollPoller>(std::move(fd)));
}

}  // namespace sockcalc::event
