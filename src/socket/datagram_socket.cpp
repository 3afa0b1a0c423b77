// socket/datagram_socket.cpp -- implementation of socket/datagram_socket.hpp.
#include "socket/datagram_socket.hpp"

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
    // SO_RCVBUFFORCE may pass net.core.rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is capped.
    const int v = o.recv_buffer;
    if (setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) == 0) return Ok{};
    auto st = set_option(s.fd(), SOL_SOCKET, SO_RCVBUF, v, "SO_RCVBUF", local);
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
  if (::bind(s->fd(), local.data(), local.length()) == 0) return s;
  const int err = errno;
  if (err == EADDRINUSE && local.is_unix() && is_stale_unix_socket(local)) {
    ::unlink(local.unix_path().c_str());
    if (::bind(s->fd(), local.data(), local.length()) == 0) return s;
  }
  return errno_error(err, "cannot bind " + local.to_string());
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

RecvResult DatagramSocket::recv_from(std::span<std::byte> buffer, Address* peer) const {
  RecvResult r;
  socklen_t len = Address::capacity();
  // MSG_TRUNC makes recvfrom return the datagram's real length, even when it did not fit.
  const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_TRUNC,
                               peer ? peer->data() : nullptr, peer ? &len : nullptr);
  if (n < 0) {
    r.error = errno;
    r.outcome = (r.error == EAGAIN || r.error == EWOULDBLOCK || r.error == EINTR)
                    ? RecvOutcome::would_block
                    : RecvOutcome::failed;
    return r;
  }
  if (peer) peer->set_length(len);
  r.outcome = RecvOutcome::received;
  r.wire_length = static_cast<std::size_t>(n);
  r.held = std::min(r.wire_length, buffer.size());
  return r;
}

int DatagramSocket::send_to(std::span<const std::byte> datagram, const Address& peer) const {
  const ssize_t n =
      ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL, peer.data(), peer.length());
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
