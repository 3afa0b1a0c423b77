// SPDX-License-Identifier: MIT
// socket/sys.hpp -- public (for tests of the library's error paths); internal otherwise.
// The syscall seam: every socket call the library makes (socket, bind, connect, the sends and
// receives, sendmmsg/recvmmsg, socket options, fcntl, poll, shutdown, close) goes through one
// process-wide table of function pointers, which a test may replace to inject EINTR, EAGAIN,
// ENOBUFS, short sends and other failures no real condition reaches reliably (the way {fmt}
// tests its file errors). The table in use is read by any thread; install() is for tests only.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <ctime>

namespace sockcalc::sys {

/// One entry per call, each with the signature and the errno convention of its libc function
/// (fcntl with one int argument). Every entry of a table must be set.
struct Syscalls {
  int (*socket)(int domain, int type, int protocol);
  int (*bind)(int fd, const sockaddr* address, socklen_t length);
  int (*connect)(int fd, const sockaddr* address, socklen_t length);
  int (*getsockname)(int fd, sockaddr* address, socklen_t* length);
  int (*setsockopt)(int fd, int level, int name, const void* value, socklen_t length);
  int (*getsockopt)(int fd, int level, int name, void* value, socklen_t* length);
  int (*fcntl)(int fd, int command, int argument);
  ssize_t (*send)(int fd, const void* data, size_t size, int flags);
  ssize_t (*sendto)(int fd, const void* data, size_t size, int flags, const sockaddr* to,
                    socklen_t length);
  ssize_t (*sendmsg)(int fd, const msghdr* message, int flags);
  int (*sendmmsg)(int fd, mmsghdr* messages, unsigned count, int flags);
  ssize_t (*recvfrom)(int fd, void* data, size_t size, int flags, sockaddr* from,
                      socklen_t* length);
  ssize_t (*recvmsg)(int fd, msghdr* message, int flags);
  int (*recvmmsg)(int fd, mmsghdr* messages, unsigned count, int flags, timespec* timeout);
  int (*poll)(pollfd* fds, nfds_t count, int timeout_ms);
  int (*shutdown)(int fd, int how);
  int (*close)(int fd);
};

/// The table that goes straight to the kernel: the default.
const Syscalls& kernel();

namespace detail {
extern std::atomic<const Syscalls*> current;
}  // namespace detail

/// The table in use. One load (a plain move on x86-64) and, at the call, one indirect call: per
/// syscall, so per batch on the server's batch path.
inline const Syscalls& calls() { return *detail::current.load(std::memory_order_acquire); }

/// Replaces the table process-wide (null: back to kernel()); returns the one replaced. For tests:
/// install before the threads that make the calls start, restore after they have stopped. The
/// table must outlive its use.
const Syscalls* install(const Syscalls* table);

}  // namespace sockcalc::sys
