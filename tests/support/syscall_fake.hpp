// SPDX-License-Identifier: MIT
// tests/support/syscall_fake.hpp -- public to every test program (library sockcalc_test_support).
// SyscallFake: replaces the library's syscall table (socket/sys.hpp) for its lifetime. Calls of
// the targeted threads go to the hooks the test set, or on to the kernel, and are recorded;
// other threads' calls go straight to the kernel. One at a time per process; create, set the
// hooks and destroy it on the test's thread, while no targeted thread runs.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sockcalc/socket/sys.hpp"

namespace sockcalc::testing {

class SyscallFake {
 public:
  /// Whose calls the fake takes: the creating thread's (a client under test), every other
  /// thread's (a server's workers), or all.
  enum class Target { this_thread, other_threads, all_threads };

  explicit SyscallFake(Target target);
  ~SyscallFake();  // puts the previous table back
  SyscallFake(const SyscallFake&) = delete;
  SyscallFake& operator=(const SyscallFake&) = delete;

  /// Hooks, each with its libc signature (return -1 with errno set to fail); empty: the kernel.
  /// A hook may call sys::kernel() itself, e.g. to send fewer datagrams than asked.
  std::function<int(int, mmsghdr*, unsigned, int)> sendmmsg;
  std::function<int(int, mmsghdr*, unsigned, int, timespec*)> recvmmsg;
  std::function<ssize_t(int, void*, size_t, int, sockaddr*, socklen_t*)> recvfrom;
  std::function<ssize_t(int, const void*, size_t, int)> send;
  std::function<int(pollfd*, nfds_t, int)> poll;
  std::function<int(int, int, int)> fcntl;

  /// One recorded call of a targeted thread (the calls above only).
  struct Call {
    std::string name;       // "sendmmsg", "recvmmsg", "recvfrom", "send", "poll", "fcntl"
    long result = 0;        // what the call returned
    int error = 0;          // errno when result < 0
    std::size_t count = 0;  // poll: descriptors; sendmmsg/recvmmsg: headers offered
    int timeout_ms = 0;     // poll only
  };
  /// The calls recorded so far, in order. Any thread.
  [[nodiscard]] std::vector<Call> calls() const;
  /// How many recorded calls have this name. Any thread.
  [[nodiscard]] std::size_t count(const std::string& name) const;

  /// Sets errno and returns -1: the body of a hook that fails.
  static int fail(int error);

  // For the table's trampolines (syscall_fake.cpp) only.
  [[nodiscard]] bool targets() const;
  void record(Call call);

 private:
  Target target_;
  std::thread::id owner_;
  sys::Syscalls table_{};
  const sys::Syscalls* previous_ = nullptr;
  mutable std::mutex mutex_;
  std::vector<Call> calls_;
};

}  // namespace sockcalc::testing
