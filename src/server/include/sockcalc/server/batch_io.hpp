// SPDX-License-Identifier: MIT
// server/batch_io.hpp -- internal to src/server.
// Owns one worker's preallocated receive/send slots and moves datagrams through them with the
// socket's calls (socket/datagram_socket.hpp): recvfrom/sendto one at a time (the course's loop)
// or recvmmsg/sendmmsg in batches. Single-threaded: exactly one DatagramIo per worker thread.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/server/engine_kind.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "sockcalc/socket/pktinfo.hpp"

namespace sockcalc::server {

/// One received datagram.
struct RxSlot {
  // One byte more than the longest valid request: a datagram that fills it is too long, and
  // MSG_TRUNC gives its real length.
  std::array<std::byte, wire::kRecvBufferSize> data;
  Address peer;
  std::size_t wire_length = 0;  // the datagram's real length
  std::size_t held = 0;         // the bytes stored in data
  /// Where the datagram was sent to (ReplyFrom::destination only; else empty).
  ReplySource destination;
  PktinfoBuffer control;  // what recvmsg/recvmmsg writes the destination into
};

/// One reply to send.
struct TxSlot {
  // Replies are never longer than their request (P-8) nor than a success reply.
  std::array<std::byte, wire::kRecvBufferSize> data;
  std::size_t size = 0;
  const Address* peer = nullptr;                        // points into the RxSlot it answers
  const ReplySource* source = nullptr;                  // likewise (ReplyFrom::destination)
  PktinfoBuffer control;                                // the source, as sendmsg wants it
  protocol::Format format = protocol::Format::integer;  // the format its request asked for
  int error = 0;  // set by send(): 0 when sent, else the errno of the refusal
};

struct SendOutcome {
  std::size_t sent = 0;
  std::size_t failed = 0;  // replies the kernel refused (each is lost); sent + failed = asked
};

/// How often a send interrupted by a signal (EINTR) is tried again before its reply is counted
/// as failed: a bound, so that a storm of signals cannot hold a worker in its send loop.
inline constexpr int kMaxInterruptedSends = 3;

/// Where replies leave from.
enum class ReplyFrom {
  /// The socket's own address: a socket bound to one address. No control messages, the
  /// cheapest path.
  bound_address,
  /// The address each request was sent to (IP_PKTINFO / IPV6_PKTINFO), read on receive and
  /// given back on send: a socket bound to a wildcard address, which every local address
  /// reaches. The socket must have asked for destinations (receive_destinations()).
  destination,
};

class DatagramIo {
 public:
  virtual ~DatagramIo() = default;

  /// Receives up to rx().size() datagrams; returns how many were filled (0: none ready).
  /// Only the first one is waited for, as `wait` says (RecvWait::for_one sleeps only on a socket
  /// in ReceiveMode::blocking); the others are those already queued.
  /// `error` gets the errno of a failure other than "nothing to read" (EAGAIN, EINTR).
  /// After shutdown(SHUT_RD) a waiting receive returns at once with one slot of 0 bytes from an
  /// unnamed peer: the caller tells it from a datagram by the reason it shut the socket down.
  virtual std::size_t recv(RecvWait wait, int& error) = 0;
  /// Sends tx()[0, n) without blocking, looping until each one was sent or refused (EINTR: tried
  /// again, kMaxInterruptedSends times at most); sets each slot's error.
  virtual SendOutcome send(std::size_t n) = 0;

  std::span<RxSlot> rx() { return rx_; }
  std::span<TxSlot> tx() { return tx_; }

 protected:
  DatagramIo(const DatagramSocket& socket, std::size_t batch, ReplyFrom reply_from)
      : socket_(socket), reply_from_(reply_from), rx_(batch), tx_(batch) {}
  [[nodiscard]] bool with_destinations() const { return reply_from_ == ReplyFrom::destination; }
  const DatagramSocket& socket_;  // borrowed: the server owns it and outlives its workers
  ReplyFrom reply_from_;
  std::vector<RxSlot> rx_;
  std::vector<TxSlot> tx_;
};

/// The one factory: recvfrom/sendto (batch of 1; recvmsg/sendmsg with destinations) or
/// recvmmsg/sendmmsg (batch of `batch`). Every buffer, control buffers included, is allocated
/// here, once: nothing is allocated per datagram.
std::unique_ptr<DatagramIo> make_datagram_io(Engine engine, const DatagramSocket& socket,
                                             std::size_t batch, ReplyFrom reply_from);

}  // namespace sockcalc::server
