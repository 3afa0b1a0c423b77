// SPDX-License-Identifier: MIT
// socket/activation.cpp -- implementation of socket/activation.hpp.
// The convention of sd_listen_fds(3) (systemd's src/libsystemd/sd-daemon), re-implemented
// from its documentation. listen_fds(): main thread, before other threads start.
#include "sockcalc/socket/activation.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "sockcalc/socket/sys.hpp"

namespace sockcalc::activation {
namespace {

constexpr const char* kPidVar = "LISTEN_PID";
constexpr const char* kFdsVar = "LISTEN_FDS";
constexpr const char* kNamesVar = "LISTEN_FDNAMES";

Error invalid(std::string context) { return validation_error(std::move(context)); }

// A plain decimal number in [min, max]: digits only, no sign, no spaces.
std::optional<long long> parse_decimal(std::string_view text, long long min, long long max) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::string> get_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string fd_name(int fd) { return "fd " + std::to_string(fd); }

int socket_option(int fd, int name, int& value) {
  socklen_t len = sizeof value;
  return sys::calls().getsockopt(fd, SOL_SOCKET, name, &value, &len);
}

std::string type_name(int type) {
  switch (type) {
    case SOCK_STREAM:
      return "a stream socket";
    case SOCK_SEQPACKET:
      return "a seqpacket socket";
    case SOCK_RAW:
      return "a raw socket";
    default:
      return "a socket of type " + std::to_string(type);
  }
}

}  // namespace

Result<std::vector<int>> parse_listen_fds(const Environment& env, pid_t self) {
  std::vector<int> fds;
  if (!env.listen_pid) return fds;
  // pid_t is an int: a pid above INT_MAX cannot name a process.
  const auto pid = parse_decimal(*env.listen_pid, 1, std::numeric_limits<pid_t>::max());
  if (!pid) return invalid("invalid LISTEN_PID '" + *env.listen_pid + "': must be a pid");
  if (*pid != self || !env.listen_fds) return fds;
  const auto count = parse_decimal(*env.listen_fds, 1, kMaxFds);
  if (!count) {
    return invalid("invalid LISTEN_FDS '" + *env.listen_fds + "': must be 1.." +
                   std::to_string(kMaxFds));
  }
  for (int i = 0; i < *count; ++i) fds.push_back(kFirstFd + i);
  return fds;
}

Result<std::vector<int>> listen_fds() {
  const Environment env{get_env(kPidVar), get_env(kFdsVar)};
  for (const char* name : {kPidVar, kFdsVar, kNamesVar}) ::unsetenv(name);
  auto fds = parse_listen_fds(env, ::getpid());
  if (!fds) return fds;
  for (int fd : *fds) {
    const int flags = sys::calls().fcntl(fd, F_GETFD, 0);
    if (flags < 0) {
      return errno_error(errno, "cannot use " + fd_name(fd) + " passed by socket activation");
    }
    if ((flags & FD_CLOEXEC) == 0 && sys::calls().fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      return errno_error(errno, "cannot set FD_CLOEXEC on " + fd_name(fd));
    }
  }
  return fds;
}

Result<DatagramSocket> adopt_datagram_socket(int fd) {
  auto adopted = DatagramSocket::adopt(fd);  // owns fd from here: closed on failure
  if (!adopted) return adopted.error();
  DatagramSocket socket = std::move(*adopted);
  const std::string what = "cannot serve " + fd_name(fd);
  int type = 0;
  if (socket_option(fd, SO_TYPE, type) != 0) return errno_error(errno, what);
  if (type != SOCK_DGRAM) {
    return invalid(what + ": " + type_name(type) +
                   ", not a datagram socket (a .socket unit passes one with ListenDatagram=)");
  }
  auto local = socket.local_address();
  if (!local) return Error{local.error().code, what + ": cannot getsockname"};
  const bool ip = local->family() == AF_INET || local->family() == AF_INET6;
  if (!ip && !local->is_unix()) {
    return invalid(what + ": address family " + std::to_string(local->family()) +
                   " is neither IP nor Unix");
  }
  if ((ip && local->port() == 0) || (local->is_unix() && local->is_unnamed())) {
    return invalid(what + ": the socket is not bound to an address");
  }
  return socket;
}

}  // namespace sockcalc::activation
