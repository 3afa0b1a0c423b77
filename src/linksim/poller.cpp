// SPDX-License-Identifier: MIT
// linksim/poller.cpp -- implementation of linksim/poller.hpp.
// EpollPoller (epoll_wait, level-triggered) and PollPoller (a pollfd array rebuilt in place).
// Each object belongs to one thread.
#include "sockcalc/linksim/poller.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <unordered_map>

namespace sockcalc::linksim {
namespace {

// Events taken per epoll_wait: more ready fds than this are simply reported at the next wait
// (level-triggered), so the bound costs a loop turn, never an event.
constexpr int kMaxEventsPerWait = 256;

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int fd) : fd_(fd) {}
  EpollPoller(const EpollPoller&) = delete;
  EpollPoller& operator=(const EpollPoller&) = delete;
  ~EpollPoller() override { ::close(fd_); }

  Status add(int fd, std::uint64_t token) override {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = token;
    if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return errno_error(errno, "cannot add fd " + std::to_string(fd) + " to epoll");
    }
    ++count_;
    return Ok{};
  }

  void remove(int fd) override {
    if (::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, nullptr) == 0) --count_;
  }

  Status wait(int timeout_ms, std::vector<std::uint64_t>& ready) override {
    const int n = ::epoll_wait(fd_, events_.data(), kMaxEventsPerWait, timeout_ms);
    if (n < 0) return errno == EINTR ? Status(Ok{}) : errno_error(errno, "cannot epoll_wait");
    for (int i = 0; i < n; ++i) ready.push_back(events_[static_cast<std::size_t>(i)].data.u64);
    return Ok{};
  }

  [[nodiscard]] std::size_t size() const override { return count_; }

 private:
  int fd_;
  std::size_t count_ = 0;
  std::array<epoll_event, kMaxEventsPerWait> events_{};
};

class PollPoller final : public Poller {
 public:
  Status add(int fd, std::uint64_t token) override {
    if (slot_.count(fd) != 0) {
      return errno_error(EEXIST, "cannot add fd " + std::to_string(fd) + " to poll");
    }
    slot_[fd] = fds_.size();
    fds_.push_back(pollfd{fd, POLLIN, 0});
    tokens_.push_back(token);
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

  Status wait(int timeout_ms, std::vector<std::uint64_t>& ready) override {
    const int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
    if (n < 0) return errno == EINTR ? Status(Ok{}) : errno_error(errno, "cannot poll");
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      if (fds_[i].revents != 0) ready.push_back(tokens_[i]);
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
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return errno_error(errno, "cannot create an epoll fd");
  return std::unique_ptr<Poller>(std::make_unique<EpollPoller>(fd));
}

}  // namespace sockcalc::linksim
