// SPDX-License-Identifier: MIT
// tests/support/syscall_fake.cpp -- implementation of support/syscall_fake.hpp.
#include "support/syscall_fake.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace sockcalc::testing {
namespace {

// The fake in place, set and cleared on the test's thread. Other threads (a server's workers in
// the same process) keep calling through the table while it is installed and removed: each call
// counts itself in `in_flight` before it reads `active`, and the destructor waits for that count
// to fall to zero after clearing `active`, so no thread reads a fake that is gone.
std::atomic<SyscallFake*> active{nullptr};
std::atomic<int> in_flight{0};

// Runs `hook` when the fake targets this thread and has one, else the kernel's `call`; records
// what a targeted call returned, leaving errno as the call set it. A thread the fake does not
// target leaves the count before its kernel call, which may block.
template <typename Hook, typename Kernel, typename... Args>
auto dispatch(const char* name, Hook SyscallFake::*hook, Kernel kernel, std::size_t count,
              int timeout_ms, Args... args) {
  in_flight.fetch_add(1, std::memory_order_acq_rel);
  SyscallFake* fake = active.load(std::memory_order_acquire);
  if (fake == nullptr || !fake->targets()) {
    in_flight.fetch_sub(1, std::memory_order_acq_rel);
    return kernel(args...);
  }
  const auto& h = fake->*hook;
  const auto result = h ? h(args...) : kernel(args...);
  const int saved = errno;
  fake->record({name, static_cast<long>(result), result < 0 ? saved : 0, count, timeout_ms});
  in_flight.fetch_sub(1, std::memory_order_acq_rel);
  errno = saved;
  return result;
}

int fake_sendmmsg(int fd, mmsghdr* m, unsigned n, int flags) {
  return dispatch("sendmmsg", &SyscallFake::sendmmsg, sys::kernel().sendmmsg, n, 0, fd, m, n,
                  flags);
}
int fake_recvmmsg(int fd, mmsghdr* m, unsigned n, int flags, timespec* t) {
  return dispatch("recvmmsg", &SyscallFake::recvmmsg, sys::kernel().recvmmsg, n, 0, fd, m, n, flags,
                  t);
}
ssize_t fake_recvfrom(int fd, void* data, size_t size, int flags, sockaddr* from,
                      socklen_t* length) {
  return dispatch("recvfrom", &SyscallFake::recvfrom, sys::kernel().recvfrom, 1, 0, fd, data, size,
                  flags, from, length);
}
ssize_t fake_send(int fd, const void* data, size_t size, int flags) {
  return dispatch("send", &SyscallFake::send, sys::kernel().send, 1, 0, fd, data, size, flags);
}
int fake_poll(pollfd* fds, nfds_t n, int timeout_ms) {
  return dispatch("poll", &SyscallFake::poll, sys::kernel().poll, n, timeout_ms, fds, n,
                  timeout_ms);
}
int fake_fcntl(int fd, int command, int argument) {
  return dispatch("fcntl", &SyscallFake::fcntl, sys::kernel().fcntl, 1, 0, fd, command, argument);
}

}  // namespace

SyscallFake::SyscallFake(Target target) : target_(target), owner_(std::this_thread::get_id()) {
  if (active.load() != nullptr) {
    std::fprintf(stderr, "FATAL: two SyscallFake objects at once\n");
    std::abort();
  }
  active.store(this, std::memory_order_release);
  table_ = sys::kernel();
  table_.sendmmsg = fake_sendmmsg;
  table_.recvmmsg = fake_recvmmsg;
  table_.recvfrom = fake_recvfrom;
  table_.send = fake_send;
  table_.poll = fake_poll;
  table_.fcntl = fake_fcntl;
  previous_ = sys::install(&table_);
}

SyscallFake::~SyscallFake() {
  sys::install(previous_);
  active.store(nullptr, std::memory_order_release);
  // A targeted call in progress on another thread finishes with this fake still alive.
  while (in_flight.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

bool SyscallFake::targets() const {
  const bool mine = std::this_thread::get_id() == owner_;
  switch (target_) {
    case Target::this_thread:
      return mine;
    case Target::other_threads:
      return !mine;
    case Target::all_threads:
      return true;
  }
  return true;
}

void SyscallFake::record(Call call) {
  const std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
}

std::vector<SyscallFake::Call> SyscallFake::calls() const {
  const std::lock_guard lock(mutex_);
  return calls_;
}

std::size_t SyscallFake::count(const std::string& name) const {
  const std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const Call& c : calls_) n += c.name == name ? 1 : 0;
  return n;
}

int SyscallFake::fail(int error) {
  errno = error;
  return -1;
}

}  // namespace sockcalc::testing
