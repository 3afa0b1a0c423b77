// SPDX-License-Identifier: MIT
// socket/activation.hpp -- public.
// Socket activation: the sockets a service manager (systemd) passed to this process by the
// LISTEN_FDS / LISTEN_PID convention of sd_listen_fds(3), read without libsystemd.
// parse_listen_fds() is pure, any thread; listen_fds() reads and unsets environment variables,
// so call it once from main() before any thread starts; adopt_datagram_socket() any thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::activation {

/// The first fd a service manager passes (SD_LISTEN_FDS_START); the others follow it.
inline constexpr int kFirstFd = 3;

/// More fds than any unit declares; a larger LISTEN_FDS is refused rather than trusted.
inline constexpr int kMaxFds = 4096;

/// The variables of the convention, as found in an environment (nullopt: unset).
struct Environment {
  std::optional<std::string> listen_pid;  // LISTEN_PID: the process the fds are meant for
  std::optional<std::string> listen_fds;  // LISTEN_FDS: how many fds, from kFirstFd on
};

/// The fds `env` passes to process `self`, as sd_listen_fds(3) judges them:
/// - none when LISTEN_PID is unset, names another process (the variables were inherited from
///   a parent they were meant for), or LISTEN_FDS is unset;
/// - else kFirstFd .. kFirstFd + LISTEN_FDS - 1.
/// Fails when LISTEN_PID is not a decimal pid > 0, or LISTEN_FDS (for us) is not a decimal
/// count 1..kMaxFds. Touches no fd and no variable.
Result<std::vector<int>> parse_listen_fds(const Environment& env, pid_t self);

/// The fds passed to this process (parse_listen_fds over this process's environment and pid).
/// Unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES in every case, so that no program this
/// one starts takes them for its own, and marks each passed fd close-on-exec. Fails as
/// parse_listen_fds does, or names the passed fd that is not open.
Result<std::vector<int>> listen_fds();

/// Takes ownership of `fd` (closed on failure) and checks that it can be served: a socket
/// (SO_TYPE), of type datagram, bound to an address (getsockname: an IP port other than 0,
/// or a Unix name). DatagramSocket::adopt makes it non-blocking (systemd passes a socket
/// blocking unless the unit says NonBlocking=yes). Errors name the fd and what is wrong.
Result<DatagramSocket> adopt_datagram_socket(int fd);

}  // namespace sockcalc::activation
