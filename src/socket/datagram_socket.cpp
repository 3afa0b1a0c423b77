// SPDX-License-Identifier: MIT
// socket/datagram_socket.cpp -- implementation of socket/datagram_socket.hpp.
#include "sockcalc/socket/datagram_socket.hpp"

#include <fcntl.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <string>

#include "sockcalc/socket/socket_access.hpp"
#include "sockcalc/socket/sys.hpp"

namespace sockcalc {
namespace {

Status set_option(int fd, int level, int name, int value, const char* option_name,
                  const Address& where) {
  if (sys::calls().setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return errno_error(errno,
                       std::string("cannot set ") + option_name + " on " + where.to_string());
  }
  return Ok{};
}

// A buffer size: `force` (SO_RCVBUFFORCE, SO_SNDBUFFORCE) may pass the sysctl maximum but needs
// CAP_NET_ADMIN; without it, `plain` (SO_RCVBUF, SO_SNDBUF) is capped there by the kernel.
Status set_buffer(int fd, int force, int plain, int bytes, const char* name, const Address& where) {
  if (sys::calls().setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) == 0) return Ok{};
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
  return sys::calls().connect(probe->fd(), local.data(), local.length()) != 0 &&
         errno == ECONNREFUSED;
}

Status autobind_unix(const DatagramSocket& s) {
  // Binding with only the family asks Linux for a unique abstract name ("autobind").
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (sys::calls().bind(s.fd(), reinterpret_cast<const sockaddr*>(&un), sizeof(sa_family_t)) != 0) {
    return errno_error(errno, "cannot autobind a unix socket");
  }
  return Ok{};
}

}  // namespace

Result<DatagramSocket> DatagramSocket::adopt(int fd) {
  DatagramSocket s(fd);  // owns fd from here: closed on failure
  const auto& sys = sys::calls();
  const int status = sys.fcntl(fd, F_GETFL, 0);
  if (status < 0 || sys.fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0) {
    return errno_error(errno, "cannot make fd " + std::to_string(fd) + " non-blocking");
  }
  const int descriptor = sys.fcntl(fd, F_GETFD, 0);
  if (descriptor < 0 || sys.fcntl(fd, F_SETFD, descriptor | FD_CLOEXEC) != 0) {
    return errno_error(errno, "cannot set FD_CLOEXEC on fd " + std::to_string(fd));
  }
  return s;
}

Result<DatagramSocket> DatagramSocket::open(int family) {
  const int fd = sys::calls().socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
  return first ? *first : validation_error("no address");
}

Result<DatagramSocket> DatagramSocket::connect(const Address& peer) {
  auto s = open(peer.family());
  if (!s) return Error{s.error().code, "cannot create a socket for " + peer.to_string()};
  if (peer.is_unix()) {
    if (auto st = autobind_unix(*s); !st) return st.error();
  }
  if (sys::calls().connect(s->fd(), peer.data(), peer.length()) != 0) {
    return errno_error(errno, "cannot connect to " + peer.to_string());
  }
  return s;
}

DatagramSocket& DatagramSocket::operator=(DatagramSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) sys::calls().close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    mode_ = std::exchange(other.mode_, ReceiveMode::non_blocking);
  }
  return *this;
}

DatagramSocket::~DatagramSocket() {
  // close() is not retried on EINTR: on Linux the fd is released whatever it returns.
  if (fd_ >= 0) sys::calls().close(fd_);
}

Result<Address> DatagramSocket::local_address() const {
  Address a;
  socklen_t len = Address::capacity();
  if (sys::calls().getsockname(fd_, a.data(), &len) != 0) {
    return errno_error(errno, "cannot getsockname");
  }
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

// MSG_TRUNC makes a receive return the datagram's real length, even when it did not fit. Only a
// waiting receive may sleep: the socket may be blocking (block_receives()).
int recv_flags(RecvWait wait) { return MSG_TRUNC | (wait == RecvWait::no ? MSG_DONTWAIT : 0); }
// Sends never sleep, whatever the socket's mode; a peer gone never raises SIGPIPE.
constexpr int kSendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;

}  // namespace

RecvResult DatagramSocket::recv_from(std::span<std::byte> buffer, Address* peer,
                                     RecvWait wait) const {
  socklen_t len = Address::capacity();
  const ssize_t n = sys::calls().recvfrom(fd_, buffer.data(), buffer.size(), recv_flags(wait),
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
  const ssize_t n = sys::calls().recvmsg(fd_, &m, recv_flags(RecvWait::no));
  if (n >= 0) {
    from.set_length(m.msg_namelen);
    destination = ReplySource::from_received(m);
  }
  return recv_result(n, buffer.size());
}

int DatagramSocket::send_to(std::span<const std::byte> datagram, const Address& peer) const {
  const ssize_t n = sys::calls().sendto(fd_, datagram.data(), datagram.size(), kSendFlags,
                                        peer.data(), peer.length());
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
  return send_message(m);
}

int DatagramSocket::send(std::span<const std::byte> datagram) const {
  const ssize_t n = sys::calls().send(fd_, datagram.data(), datagram.size(), kSendFlags);
  return n < 0 ? errno : 0;
}

bool DatagramSocket::wait_readable(int timeout_ms) const {
  return wait(timeout_ms).outcome == WaitOutcome::readable;
}

WaitResult DatagramSocket::wait(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  const int n = sys::calls().poll(&p, 1, timeout_ms);
  if (n > 0) return {WaitOutcome::readable, 0};
  if (n == 0) return {WaitOutcome::timed_out, 0};
  const int err = errno;
  return {err == EINTR ? WaitOutcome::interrupted : WaitOutcome::failed, err};
}

Status DatagramSocket::block_receives(std::chrono::microseconds timeout) {
  const auto& sys = sys::calls();
  const int flags = sys.fcntl(fd_, F_GETFL, 0);
  if (flags < 0 || sys.fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    return errno_error(errno, "cannot make fd " + std::to_string(fd_) + " blocking");
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const timeval tv{static_cast<time_t>(seconds.count()),
                   static_cast<suseconds_t>((timeout - seconds).count())};
  if (sys.setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
    return errno_error(errno, "cannot set SO_RCVTIMEO on fd " + std::to_string(fd_));
  }
  mode_ = ReceiveMode::blocking;
  return Ok{};
}

RecvResult DatagramSocket::recv_message(msghdr& message, RecvWait wait) const {
  const ssize_t n = sys::calls().recvmsg(fd_, &message, recv_flags(wait));
  // The caller's header says how large its buffer is: the first iovec (all we ever wire).
  const std::size_t size = message.msg_iovlen > 0 ? message.msg_iov[0].iov_len : 0;
  return recv_result(n, size);
}

int DatagramSocket::send_message(const msghdr& message) const {
  const ssize_t n = sys::calls().sendmsg(fd_, &message, kSendFlags);
  return n < 0 ? errno : 0;
}

BatchRecvResult DatagramSocket::recv_batch(std::span<mmsghdr> headers, RecvWait wait) const {
  const int n = sys::calls().recvmmsg(fd_, headers.data(), static_cast<unsigned>(headers.size()),
                                      recv_flags(wait) | MSG_WAITFORONE, nullptr);
  if (n >= 0) return {RecvOutcome::received, static_cast<std::size_t>(n), 0};
  const RecvResult r = recv_result(n, 0);
  return {r.outcome, 0, r.error};
}

BatchSendResult DatagramSocket::send_batch(std::span<mmsghdr> headers) const {
  const int n =
      sys::calls().sendmmsg(fd_, headers.data(), static_cast<unsigned>(headers.size()), kSendFlags);
  if (n > 0) return {static_cast<std::size_t>(n), 0};
  return {0, n < 0 ? errno : EIO};
}

void DatagramSocket::shutdown_receives() const { sys::calls().shutdown(fd_, SHUT_RD); }

Result<ReceiveMemory> DatagramSocket::receive_memory() const {
  // Read here, at a scrape, rather than with SO_RXQ_OVFL, which delivers the same counter as a
  // control message with every datagram received: a cost on the datagram path (docs/SERVICE.md).
  std::array<std::uint32_t, SK_MEMINFO_VARS> info{};
  socklen_t len = sizeof info;
  if (sys::calls().getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, info.data(), &len) != 0) {
    return errno_error(errno, "cannot get SO_MEMINFO");
  }
  // An older kernel may fill fewer fields than this header knows; the three read here are among
  // the first (Linux 3.9 has them all).
  if (len < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t)) {
    return errno_error(EINVAL, "cannot get SO_MEMINFO: " + std::to_string(len) + " bytes");
  }
  return ReceiveMemory{info[SK_MEMINFO_DROPS], info[SK_MEMINFO_RCVBUF],
                       info[SK_MEMINFO_RMEM_ALLOC]};
}

}  // namespace sockcalc
