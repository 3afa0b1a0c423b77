// SPDX-License-Identifier: MIT
// tests/support/closed_port.cpp -- implementation of tests/support/closed_port.hpp.
#include "support/closed_port.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace sockcalc::testing {

Result<ClosedPort> ClosedPort::open(Family family) {
  // Default options: no SO_REUSEPORT, no SO_REUSEADDR, so the port is ours alone.
  auto socket = DatagramSocket::bind(Address::loopback(family, 0));
  if (!socket) return socket.error();
  auto local = socket->local_address();
  if (!local) return local.error();
  if (::connect(socket->fd(), local->data(), local->length()) != 0) {
    return errno_error(errno, "cannot connect " + local->to_string() + " to itself");
  }
  return ClosedPort(std::move(*socket), std::move(*local));
}

}  // namespace sockcalc::testing
