// SPDX-License-Identifier: MIT
// tests/support/closed_port.hpp -- public to every test program (library sockcalc_test_support).
// ClosedPort: a loopback UDP port where a datagram is refused (ICMP port unreachable) for as
// long as the object lives, and that no other socket can take meanwhile. One owner; any thread.
#pragma once

#include <cstdint>
#include <utility>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::testing {

/// Why not "bind port 0, note the port, close": between the close and the test's send, a test
/// running in parallel may bind that very port, and the datagram is then answered or swallowed
/// instead of refused. ClosedPort keeps the port bound all along, by a socket without
/// SO_REUSEPORT or SO_REUSEADDR (so no other bind of it succeeds, wildcard included), that is
/// connected to its own address: the kernel hands such a socket only datagrams sent from
/// that address, which is its own and sends nothing, so every other sender gets the
/// "port unreachable" of a port where nothing listens.
class ClosedPort {
 public:
  /// A closed port on ::1 (Family::v6) or 127.0.0.1 (Family::v4).
  static Result<ClosedPort> open(Family family);

  /// The address to send to: ::1 or 127.0.0.1 and the port.
  [[nodiscard]] const Address& address() const { return address_; }
  [[nodiscard]] std::uint16_t port() const { return address_.port(); }

 private:
  ClosedPort(DatagramSocket socket, Address address)
      : socket_(std::move(socket)), address_(std::move(address)) {}

  DatagramSocket socket_;  // holds the port; never read
  Address address_;
};

}  // namespace sockcalc::testing
