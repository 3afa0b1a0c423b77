// SPDX-License-Identifier: MIT
// client/client.hpp -- public.
// One calc request/reply exchange over a connected datagram socket: send, wait, retransmit
// with back-off, check the reply by the spec. A Client is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::client {

/// Defaults: 8 tries over at most 6.75 s (0.25 + 0.5 + 1 + 5 x 1). Eight tries keep a request
/// alive through heavy loss: at 30 % loss each way one try fails with p = 0.51, all eight with
/// p = 0.51^8 < 0.5 % (docs/RELIABILITY.md).
/// Which way a traced datagram went: sent to the server, or received from it.
enum class Direction { sent, received };

struct CallOptions {
  /// Wait before the first retransmission; each later wait is `backoff` times longer, up to
  /// `max_timeout`.
  std::chrono::milliseconds timeout{250};
  std::chrono::milliseconds max_timeout{1000};
  /// Retransmissions after the first try: 7 means up to 8 datagrams sent.
  int retries = 7;
  double backoff = 2.0;
  /// Called for every datagram sent or received, with which of the two, the client socket's
  /// own address and the server's, e.g. for a -v trace or a capture file.
  std::function<void(Direction direction, const Address& local, const Address& peer,
                     protocol::Bytes datagram)>
      trace;
};

enum class CallStatus {
  success,      // a well-formed success reply: `value` holds the result
  error_reply,  // the server answered S = 0: `reason` holds its payload
  malformed,    // the reply broke the spec: `malformed` says how
  no_reply,     // every try timed out
  refused,      // the peer's system said nobody listens (ICMP port unreachable, ECONNREFUSED)
};

struct CallResult {
  CallStatus status = CallStatus::no_reply;
  std::uint32_t value = 0;
  std::string reason;  // error_reply: the server's payload bytes
  protocol::ReplyError malformed = protocol::ReplyError::empty;
  int tries = 0;                 // datagrams sent
  Address peer;                  // the server address this result came from
  std::vector<std::byte> reply;  // the raw reply datagram, when one came
};

class Client {
 public:
  /// A client talking to `server` over a fresh connected socket.
  static Result<Client> connect(const Address& server);

  /// Sends `request` and waits for a reply, retransmitting as `options` says. Replies to
  /// earlier tries are replies to the same request (the protocol is idempotent), so the
  /// first one that arrives is the answer. Fails only on a local system error.
  Result<CallResult> call(const protocol::Request& request, const CallOptions& options);

  [[nodiscard]] const Address& server() const { return server_; }
  [[nodiscard]] const DatagramSocket& socket() const { return socket_; }

 private:
  Client(DatagramSocket s, Address server) : socket_(std::move(s)), server_(std::move(server)) {}
  CallResult classify(protocol::Bytes datagram, protocol::Format expected) const;
  int send_once(protocol::Bytes datagram) const;  // send(), again on EINTR (bounded); the errno

  DatagramSocket socket_;
  Address server_;
};

/// Calls each candidate address in turn (as resolved from a host name) until one answers or
/// times out; a candidate that refuses passes to the next. Returns the last outcome.
Result<CallResult> call_first(const std::vector<Address>& candidates,
                              const protocol::Request& request, const CallOptions& options);

}  // namespace sockcalc::client
