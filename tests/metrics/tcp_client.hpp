// SPDX-License-Identifier: MIT
// tests/metrics/tcp_client.hpp -- internal to tests/metrics.
// TcpClient: a raw, blocking-with-deadline TCP client on loopback, to play well-behaved and
// hostile HTTP clients against the metrics endpoint. An object belongs to one thread.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc::metrics_test {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class TcpClient {
 public:
  /// Connected to `to`, or nullopt.
  static std::optional<TcpClient> connect(const Address& to) {
    UniqueFd fd(::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid() || ::connect(fd.get(), to.data(), to.length()) != 0) return std::nullopt;
    return TcpClient(std::move(fd));
  }

  bool send_all(std::string_view bytes) const {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Everything the peer sends until it closes, or until `timeout` passes (then `closed` is
  /// false).
  struct Received {
    std::string bytes;
    bool closed = false;
  };
  [[nodiscard]] Received read_to_end(milliseconds timeout) const {
    Received r;
    const auto deadline = Clock::now() + timeout;
    char buffer[65536];
    while (true) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return r;
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // EOF, or a reset: the peer closed
        r.closed = true;
        return r;
      }
      r.bytes.append(buffer, static_cast<std::size_t>(n));
    }
  }

  /// Whether the peer has closed the connection (EOF or reset) by now, without waiting.
  [[nodiscard]] bool peer_closed() const {
    char byte = 0;
    const ssize_t n = ::recv(fd_.get(), &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  void close() { fd_.reset(); }

 private:
  explicit TcpClient(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

/// One exchange: connect, send `request`, read the whole reply (empty on failure).
inline std::string http_exchange(const Address& to, std::string_view request,
                                 milliseconds timeout = milliseconds(5000)) {
  auto c = TcpClient::connect(to);
  if (!c || !c->send_all(request)) return {};
  return c->read_to_end(timeout).bytes;
}

/// The body of an HTTP reply: what follows the first empty line.
inline std::string body_of(const std::string& reply) {
  const auto at = reply.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : reply.substr(at + 4);
}

}  // namespace sockcalc::metrics_test
