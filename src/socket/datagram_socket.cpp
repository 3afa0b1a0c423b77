// SPDX-License-Identifier: MIT
// socket/datagram_socket.cpp -- implementation of socket/datagram_socket.hpp.
#include "sockcalc/socket/datagram_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>

#include "sockcalc/socket/socket_access.hpp"

namespace sockcalc {
namespace {

Status set_option(int fd, int level, int name, int value, const char* option_name,
                  const Address& where) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return errno_error(errno,
                       std::string("cannot set ") + option_name + " on " + where.to_string());
  }
  return Ok{};
}

// A buffer size: `force` (SO_RCVBUFFORCE, SO_SNDBUFFORCE) may pass the sysctl maximum but needs
// CAP_NET_ADMIN; without it, `plain` (SO_RCVBUF, SO_SNDBUF) is capped there by the kernel.
Status set_buffer(int fd, int force, int plain, int bytes, const char* name, const Address& where) {
  if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) == 0) return Ok{};
  return set_option(fd, SOL_SOCKET, plain, bytes, name, where);
}

Status apply_options(const DatagramSocket& s, const Address& local, const SocketOptions& o) {
  if (local.family() == AF_INET6) {
    // Dual stack on `::`: IPv4 clients reach us as ::ffff:a.b.c.d. Set explicitly, because
    // the system default (net.ipv6.bindv6only) may say otherwise.
    auto st = set_option(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY", local);
    if (!st) return st;
  }
  if (o.reuse_port) {
    auto st = set_option(s.fd(), SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", local);
    if (!st) return st;
  }
  if (o.recv_buffer > 0) {
    auto st = set_buffer(s.fd(), SO_RCVBUFFORCE, SO_RCVBUF, o.recv_buffer, "SO_RCVBUF", local);
    if (!st) return st;
  }
  if (o.send_buffer > 0) {
    auto st = set_buffer(s.fd(), SO_SNDBUFFORCE, SO_SNDBUF, o.send_buffer, "SO_SNDBUF", local);
    if (!st) return st;
  }
  return Ok{};
}

// A Unix path whose socket file nobody receives on any more: connecting to it is refused.
bool is_stale_unix_socket(const Address& local) {
  const std::string path = local.unix_path();
  struct stat st {};
  if (path.empty() || lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  auto probe = DatagramSocket::open(AF_UNIX);
  if (!probe) return false;
  return ::connect(probe->fd(), local.data(), local.length()) != 0 && errno == ECONNREFUSED;
}

Status autobind_unix(const DatagramSocket& s) {
  // Binding with only the family asks Linux for a unique abstract name ("autobind").
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&un), sizeof(sa_family_t)) != 0) {
    return errno_error(errno, "cannot autobind a unix socket");
  }
  return Ok{};
}

}  // namespace

Result<DatagramSocket> DatagramSocket::adopt(int fd) {
  DatagramSocket s(fd);  // owns fd from here: closed on failure
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0) {
    return errno_error(errno, "cannot make fd " + std::to_string(fd) + " non-blocking");
  }
  const int descriptor = ::fcntl(fd, F_GETFD);
  if (descriptor < 0 || ::fcntl(fd, F_SETFD, descriptor | FD_CLOEXEC) != 0) {
    return errno_error(errno, "cannot set FD_CLOEXEC on fd " + std::to_string(fd));
  }
  return s;
}

Result<DatagramSocket> DatagramSocket::open(int family) {
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error(errno, "cannot create a datagram socket");
  return DatagramSocket(fd);
}

Result<DatagramSocket> DatagramSocket::bind(const Address& local, const SocketOptions& options) {
  auto s = open(local.family());
  if (!s) return Error{s.error().code, "cannot create a socket for " + local.to_string()};
  if (auto st = apply_options(*s, local, options); !st) return st.error();
  int err = bind_socket_file(s->fd(), local, options);
  if (err == EADDRINUSE && local.is_unix() && is_stale_unix_socket(local)) {
    ::unlink(local.unix_path().c_str());
    err = bind_socket_file(s->fd(), local, options);
  }
  if (err != 0) return errno_error(err, "cannot bind " + local.to_string());
  if (auto st = finish_socket_file(local, options); !st) return st.error();
  return s;
}

Result<DatagramSocket> DatagramSocket::bind_first(const std::vector<Address>& candidates,
                                                  const SocketOptions& options) {
  std::optional<Error> first;
  for (const Address& a : candidates) {
    auto s = bind(a, options);
    if (s) return s;
    if (!first) first = s.error();
  }
  return first ? *first : Error{std::make_error_code(std::errc::invalid_argument), "no address"};
}

Result<DatagramSocket> DatagramSocket::connect(const Address& peer) {
  auto s = open(peer.family());
  if (!s) return Error{s.error().code, "cannot create a socket for " + peer.to_string()};
  if (peer.is_unix()) {
    if (auto st = autobind_unix(*s); !st) return st.error();
  }
  if (::connect(s->fd(), peer.data(), peer.length()) != 0) {
    return errno_error(errno, "cannot connect to " + peer.to_string());
  }
  return s;
}

DatagramSocket& DatagramSocket::operator=(DatagramSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DatagramSocket::~DatagramSocket() {
  // close() is not retried on EINTR: on Linux the fd is released whatever it returns.
  if (fd_ >= 0) ::close(fd_);
}

Result<Address> DatagramSocket::local_address() const {
  Address a;
  socklen_t len = Address::capacity();
  if (::getsockname(fd_, a.data(), &len) != 0) return errno_error(errno, "cannot getsockname");
  a.set_length(len);
  return a;
}

namespace {

// What a receive that returned `n` (with errno set when negative) means.
RecvResult recv_result(ssize_t n, std::size_t buffer_size) {
  RecvResult r;
  if (n < 0) {
    r.error = errno;
    r.outcome = (r.error == EAGAIN || r.error == EWOULDBLOCK || r.error == EINTR)
                    ? RecvOutcome::would_block
                    : RecvOutcome::failed;
    return r;
  }
  r.outcome = RecvOutcome::received;
  r.wire_length = static_cast<std::size_t>(n);
  r.held = std::min(r.wire_length, buffer_size);
  return r;
}

}  // namespace

RecvResult DatagramSocket::recv_from(std::span<std::byte> buffer, Address* peer) const {
  socklen_t len = Address::capacity();
  // MSG_TRUNC makes recvfrom return the datagram's real length, even when it did not fit.
  const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_TRUNC,
                               peer ? peer->data() : nullptr, peer ? &len : nullptr);
  if (n >= 0 && peer) peer->set_length(len);
  return recv_result(n, buffer.size());
}

Status DatagramSocket::receive_destinations() const {
  auto local = local_address();
  if (!local) return local.error();
  if (local->family() == AF_INET6) {
    return set_option(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", *local);
  }
  if (local->family() == AF_INET) {
    return set_option(fd_, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO", *local);
  }
  return Ok{};
}

RecvResult DatagramSocket::recv_with_destination(std::span<std::byte> buffer, Address* peer,
                                                 ReplySource& destination) const {
  Address ignored;
  Address& from = peer ? *peer : ignored;
  PktinfoBuffer control;
  iovec iov{buffer.data(), buffer.size()};
  msghdr m{};
  m.msg_name = from.data();
  m.msg_namelen = Address::capacity();
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.bytes.data();
  m.msg_controllen = control.bytes.size();
  const ssize_t n = ::recvmsg(fd_, &m, MSG_TRUNC);
  if (n >= 0) {
    from.set_length(m.msg_namelen);
    destination = ReplySource::from_received(m);
  }
  return recv_result(n, buffer.size());
}

int DatagramSocket::send_to(std::span<const std::byte> datagram, const Address& peer) const {
  const ssize_t n =
      ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL, peer.data(), peer.length());
  return n < 0 ? errno : 0;
}

int DatagramSocket::send_from(std::span<const std::byte> datagram, const Address& peer,
                              const ReplySource& source) const {
  if (source.empty()) return send_to(datagram, peer);
  PktinfoBuffer control;
  iovec iov{const_cast<std::byte*>(datagram.data()), datagram.size()};
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(peer.data());
  m.msg_namelen = peer.length();
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.bytes.data();
  m.msg_controllen = source.write_control(control);
  const ssize_t n = ::sendmsg(fd_, &m, MSG_NOSIGNAL);
  return n < 0 ? errno : 0;
}

int DatagramSocket::send(std::span<const std::byte> datagram) const {
  const ssize_t n = ::send(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL);
  return n < 0 ? errno : 0;
}

bool DatagramSocket::wait_readable(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

}  // namespace sockcalc
