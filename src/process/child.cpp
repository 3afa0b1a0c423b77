// SPDX-License-Identifier: MIT
// process/child.cpp -- implementation of process/child.hpp.
// Started with start_with_pipes/spawn_with_pipes and reaped with reap_child
// (process/child_process); a pidfd, where the kernel has one, makes the end pollable.
#include "sockcalc/process/child.hpp"

#include <signal.h>

#include <algorithm>
#include <array>
#include <utility>

#include "sockcalc/core/deadline.hpp"

namespace sockcalc {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Without a pidfd to poll, a wait for the end looks at the child this often.
constexpr int kSliceMs = 10;

}  // namespace

Result<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv,
                                         const ChildOptions& options) {
  auto handles = options.starter
                     ? start_with_pipes(argv, options.starter)
                     : spawn_with_pipes(argv, SpawnOptions{.search_path = options.search_path,
                                                           .envp = options.envp});
  if (!handles) return handles.error();
  return ChildProcess(std::move(*handles), options.output_limit);
}

ChildProcess::ChildProcess(ChildHandles h, std::size_t limit)
    : pid_(h.pid),
      pidfd_(std::move(h.pidfd)),
      out_fd_(std::move(h.out_fd)),
      err_fd_(std::move(h.err_fd)),
      limit_(limit) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      out_fd_(std::move(other.out_fd_)),
      err_fd_(std::move(other.err_fd_)),
      limit_(other.limit_),
      exit_(std::move(other.exit_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !ended()) kill();
}

void ChildProcess::add_poll_fds(std::vector<pollfd>& fds) const {
  for (int fd : {out_fd_.get(), err_fd_.get(), ended() ? -1 : pidfd_.get()}) {
    if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
  }
}

void ChildProcess::read_pipes() {
  read_available(out_fd_, out_, limit_);  // each closes its fd at its end
  read_available(err_fd_, err_, limit_);
}

bool ChildProcess::reap(Reap how) {
  if (ended() || pid_ <= 0) return ended();
  exit_ = reap_child(pid_, how);
  return ended();
}

bool ChildProcess::update() {
  read_pipes();
  return reap(Reap::no_hang);
}

void ChildProcess::pump(milliseconds timeout) {
  std::array<pollfd, 2> fds{};
  nfds_t n = 0;
  for (int fd : {out_fd_.get(), err_fd_.get()}) {
    if (fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
  }
  if (n == 0) return;
  // A timeout or EINTR: the caller re-checks its own deadline.
  if (::poll(fds.data(), n, static_cast<int>(timeout.count())) > 0) read_pipes();
}

bool ChildProcess::wait_for_exit(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!update()) {
    const int left = remaining_ms(deadline);
    if (left == 0) return false;
    std::vector<pollfd> fds;
    add_poll_fds(fds);
    (void)::poll(fds.data(), fds.size(), needs_slices() ? std::min(left, kSliceMs) : left);
  }
  return true;
}

void ChildProcess::drain(Clock::time_point deadline) {
  while ((out_fd_.valid() || err_fd_.valid()) && remaining_ms(deadline) > 0) {
    pump(milliseconds(remaining_ms(deadline)));
  }
}

void ChildProcess::close_err() {
  read_available(err_fd_, err_, limit_);
  err_fd_.reset();
}

void ChildProcess::send_signal(int signal) {
  if (pid_ > 0 && !reap(Reap::no_hang)) ::kill(pid_, signal);  // by pid: our own child
}

bool ChildProcess::terminate(milliseconds grace) {
  if (pid_ <= 0 || reap(Reap::no_hang)) return true;
  ::kill(pid_, SIGTERM);
  if (wait_for_exit(grace)) return true;
  kill(grace);
  return false;
}

void ChildProcess::kill(milliseconds patience) {
  if (pid_ <= 0 || reap(Reap::no_hang)) return;
  ::kill(pid_, SIGKILL);
  (void)wait_for_exit(patience);
}

}  // namespace sockcalc
