// SPDX-License-Identifier: MIT
// conformance/child.cpp -- implementation of conformance/child.hpp.
// Started and reaped with core/child_process; a pidfd (when the kernel has one) makes the exit
// pollable.
#include "sockcalc/conformance/child.hpp"

#include <signal.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "sockcalc/process/child_process.hpp"

namespace sockcalc::conformance {
namespace {

// Output kept per stream; more is read and dropped, so a chatty client cannot fill memory.
constexpr std::size_t kMaxOutput = 64 * 1024;
// After SIGKILL the kernel ends the process at once; this bounds the wait to reap it.
constexpr auto kReapPatience = std::chrono::seconds(2);
constexpr auto kReapSlice = std::chrono::milliseconds(5);

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Result<Child> Child::start(const std::vector<std::string>& argv) {
  Child c;
  c.run_.argv = argv;
  auto handles = spawn_with_pipes(argv, SpawnOptions{.search_path = true});
  if (!handles) return handles.error();
  c.run_.started = true;
  c.pid_ = handles->pid;
  c.out_fd_ = handles->out_fd;
  c.err_fd_ = handles->err_fd;
  c.pidfd_ = handles->pidfd;
  return c;
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)),
      reaped_(other.reaped_),
      run_(std::move(other.run_)) {}

Child::~Child() {
  if (pid_ > 0 && !reaped_) kill();
  close_fd(out_fd_);
  close_fd(err_fd_);
  close_fd(pidfd_);
}

void Child::add_poll_fds(std::vector<pollfd>& fds) const {
  for (int fd : {out_fd_, err_fd_, reaped_ ? -1 : pidfd_}) {
    if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
  }
}

bool Child::reap(Reap how) {
  if (reaped_ || pid_ <= 0) return reaped_;
  const std::optional<ChildExit> e = reap_child(pid_, how);
  if (!e) return false;
  reaped_ = true;
  run_.exited = e->exited;
  if (e->exited) run_.exit_code = e->code;
  run_.signal = e->signal;
  return true;
}

bool Child::update() {
  read_available(out_fd_, run_.out, kMaxOutput);
  read_available(err_fd_, run_.err, kMaxOutput);
  return reap(Reap::no_hang);
}

void Child::kill() {
  if (pid_ <= 0 || reap(Reap::no_hang)) return;
  run_.timed_out = true;
  ::kill(pid_, SIGKILL);  // by pid: the one process this object started
  const auto deadline = std::chrono::steady_clock::now() + kReapPatience;
  while (!reap(Reap::no_hang) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kReapSlice);
  }
}

void Child::drain(std::chrono::steady_clock::time_point deadline) {
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) break;
    std::vector<pollfd> fds;
    for (int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left)) > 0) {
      read_available(out_fd_, run_.out, kMaxOutput);
      read_available(err_fd_, run_.err, kMaxOutput);
    }
  }
}

}  // namespace sockcalc::conformance
