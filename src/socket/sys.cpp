// SPDX-License-Identifier: MIT
// socket/sys.cpp -- implementation of socket/sys.hpp.
#include "sockcalc/socket/sys.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace sockcalc::sys {
namespace {

// fcntl() is variadic: a fixed signature that the table can point to.
int fcntl_int(int fd, int command, int argument) { return ::fcntl(fd, command, argument); }

const Syscalls kKernel{
    .socket = ::socket,
    .bind = ::bind,
    .connect = ::connect,
    .getsockname = ::getsockname,
    .setsockopt = ::setsockopt,
    .getsockopt = ::getsockopt,
    .fcntl = fcntl_int,
    .send = ::send,
    .sendto = ::sendto,
    .sendmsg = ::sendmsg,
    .sendmmsg = ::sendmmsg,
    .recvfrom = ::recvfrom,
    .recvmsg = ::recvmsg,
    .recvmmsg = ::recvmmsg,
    .poll = ::poll,
    .shutdown = ::shutdown,
    .close = ::close,
};

}  // namespace

namespace detail {
std::atomic<const Syscalls*> current{&kKernel};
}  // namespace detail

const Syscalls& kernel() { return kKernel; }

const Syscalls* install(const Syscalls* table) {
  return detail::current.exchange(table != nullptr ? table : &kKernel, std::memory_order_acq_rel);
}

}  // namespace sockcalc::sys
