// SPDX-License-Identifier: MIT
// conformance/probe.hpp -- internal to src/conformance.
// Probe: one connected datagram socket to the server under test, used for one outstanding
// request (P-12: no request id, so one socket per request), with every datagram logged.
// A Probe is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/conformance/outcome.hpp"
#include "sockcalc/core/deadline.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::conformance {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class Probe {
 public:
  /// A fresh socket connected to `target` (a Unix one autobinds so that the server can reply).
  static Result<Probe> open(const Address& target);

  /// Sends `datagram` and logs it; the replies will be described for `format`.
  /// Returns the errno, 0 on success. EAGAIN (a full Unix-domain queue: nothing was sent) is
  /// returned without a log record or an error, so that the caller may try again.
  int send(protocol::Bytes datagram, protocol::Format format);

  /// Waits until `deadline` for one datagram; logs it. nullopt on timeout or when the system
  /// reported that nobody listens (refused() then says so).
  std::optional<std::vector<std::byte>> receive(Clock::time_point deadline);

  /// send() then receive(), sending the same bytes again halfway to the deadline when no reply
  /// came yet (P-12 allows it; it keeps a lost datagram from failing a check).
  std::optional<std::vector<std::byte>> exchange(protocol::Bytes datagram, protocol::Format format,
                                                 milliseconds timeout);

  [[nodiscard]] bool refused() const { return refused_; }
  /// Why the last receive or send failed for a reason other than a timeout, else "".
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const DatagramSocket& socket() const { return socket_; }
  /// Every datagram sent and received so far; take() moves it out.
  [[nodiscard]] const std::vector<Datagram>& log() const { return log_; }
  std::vector<Datagram> take_log() { return std::move(log_); }

  /// "no reply within 1000 ms" or "connection refused: nothing listens at [::1]:9" (for
  /// messages, after receive() returned nullopt).
  [[nodiscard]] std::string no_reply_reason(milliseconds timeout) const;

 private:
  Probe(DatagramSocket s, Address target) : socket_(std::move(s)), target_(std::move(target)) {}
  DatagramSocket socket_;
  Address target_;
  protocol::Format format_ = protocol::Format::integer;
  bool refused_ = false;
  std::string error_;
  std::vector<Datagram> log_;
};

}  // namespace sockcalc::conformance
