// SPDX-License-Identifier: MIT
// conformance/checks.hpp -- public.
// The server checks: every rule of docs/PROTOCOL.md a server must keep, as a list of data
// (the datagram to send, what must come back) run against a live server over the network.
// run_server_checks() is single-threaded and blocks; distinct runs are independent.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/conformance/outcome.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::conformance {

/// How a server check is run and judged.
enum class ServerCheckKind {
  success,         // send `datagram` (a valid request); a right success reply must come back
  error,           // send `datagram` (a bad one); an error reply must come back
  many_clients,    // many sockets, each with its own request in flight at once
  one_reply_each,  // three datagrams, each must get exactly one reply, no more
  retransmission,  // the same request twice on one socket: two identical right replies
  reply_source,    // a request from an unconnected socket: the reply comes from the address asked
};

struct ServerCheck {
  std::string id;     // stable, e.g. "course-sum"
  std::string rule;   // "P-2"
  std::string title;  // one line: what is sent, what must come back
  ServerCheckKind kind = ServerCheckKind::success;
  std::vector<std::byte> datagram;  // success, error: the exact bytes sent
  protocol::Request request;        // success: what `datagram` asks, for the judge
};

/// Every server check, in the order they run: the course's examples first (the first one
/// also tells whether anything answers), "still-answering" last.
std::vector<ServerCheck> server_checks();

struct ServerOptions {
  /// How long to wait for each reply (the request is sent again at half of it).
  std::chrono::milliseconds timeout{1000};
  /// Sockets in flight at once in the many-clients check.
  std::size_t clients = 32;
  /// Called after each check, e.g. to print its row at once.
  std::function<void(const CheckOutcome&)> on_check;
};

/// Runs every check against the server at `target`. When the first check gets no reply at
/// all, the other checks are skipped (status skip) instead of each waiting for its timeout,
/// except reply-source, which tells whether replies come back from another address.
Report run_server_checks(const Address& target, const ServerOptions& options);

}  // namespace sockcalc::conformance
