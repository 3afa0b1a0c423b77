// SPDX-License-Identifier: MIT
// socket/datagram_socket.hpp -- public.
// DatagramSocket: the move-only owner of one datagram socket fd (UDP or AF_UNIX), and the
// calls made on it. An object may be used by one thread at a time; distinct sockets are
// independent. Failures come back as Error values naming the call and its address.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/socket/pktinfo.hpp"

namespace sockcalc {

struct SocketOptions {
  bool reuse_port = false;  // SO_REUSEPORT: several sockets share one UDP port
  /// SO_RCVBUF in bytes; 0 keeps the system default. With CAP_NET_ADMIN (root) it may pass
  /// net.core.rmem_max (SO_RCVBUFFORCE); without, the kernel caps it there silently.
  int recv_buffer = 0;
  /// SO_SNDBUF in bytes, the same way (SO_SNDBUFFORCE past net.core.wmem_max). On a Unix
  /// socket every reply a peer has not read yet stays charged to it (docs/SERVICE.md).
  int send_buffer = 0;
  /// A Unix path only: the socket file's permission bits (0..0777) and group. Connecting or
  /// sending to the socket needs write permission on its file. Unset: as the umask gives, the
  /// group of the process. The file never allows more than these, even right after bind().
  std::optional<mode_t> file_mode;
  std::optional<gid_t> file_group;
};

/// The three outcomes of a receive, plus failure.
enum class RecvOutcome { received, would_block, failed };

struct RecvResult {
  RecvOutcome outcome = RecvOutcome::failed;
  /// The datagram's real length: larger than the buffer when it was truncated (MSG_TRUNC).
  std::size_t wire_length = 0;
  /// The bytes actually stored, min(wire_length, buffer size).
  std::size_t held = 0;
  int error = 0;  // errno when outcome == failed
  [[nodiscard]] bool truncated() const { return wire_length > held; }
};

class DatagramSocket {
 public:
  /// A new unbound, non-blocking, close-on-exec datagram socket of `family` (AF_INET, ...).
  static Result<DatagramSocket> open(int family);

  /// A socket bound to `local`. An IPv6 wildcard is dual stack (IPV6_V6ONLY off). A Unix path
  /// held by a dead socket file is replaced; one in use fails with EADDRINUSE.
  static Result<DatagramSocket> bind(const Address& local, const SocketOptions& options = {});

  /// Tries bind() on each candidate in turn; returns the first success, else the first error.
  static Result<DatagramSocket> bind_first(const std::vector<Address>& candidates,
                                           const SocketOptions& options = {});

  /// A socket connected to `peer`, so that only its datagrams are received and an ICMP
  /// "port unreachable" surfaces as ECONNREFUSED. A Unix socket is first autobound to an
  /// abstract name, so that the peer can reply.
  static Result<DatagramSocket> connect(const Address& peer);

  /// Takes ownership of `fd`, an already open datagram socket (socket activation), and gives it
  /// this class's invariants: non-blocking and close-on-exec (a service manager passes sockets
  /// blocking). Fails, closing `fd`, when fcntl() does.
  static Result<DatagramSocket> adopt(int fd);

  DatagramSocket() = default;
  DatagramSocket(DatagramSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DatagramSocket& operator=(DatagramSocket&& other) noexcept;
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;
  ~DatagramSocket();  // closes the fd once, never retries on EINTR, never throws

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

  /// The address the socket is bound to (with the real port after binding port 0).
  [[nodiscard]] Result<Address> local_address() const;

  /// Receives one datagram without blocking. `peer` (may be null) gets the sender's address
  /// with its real length.
  RecvResult recv_from(std::span<std::byte> buffer, Address* peer) const;

  /// Sends one datagram without blocking; returns the errno (0 on success).
  [[nodiscard]] int send_to(std::span<const std::byte> datagram, const Address& peer) const;
  /// Asks the kernel for each datagram's destination address (IP_PKTINFO, IPV6_RECVPKTINFO;
  /// a dual-stack socket gets IPv4 ones as IPv4-mapped), for recv_with_destination(). Needed by
  /// a socket bound to a wildcard address (is_wildcard()) so that replies leave from the
  /// address each request was sent to. A no-op for a Unix socket.
  [[nodiscard]] Status receive_destinations() const;

  /// recv_from(), also reading the datagram's destination into `destination` (empty unless
  /// receive_destinations() was called).
  RecvResult recv_with_destination(std::span<std::byte> buffer, Address* peer,
                                   ReplySource& destination) const;

  /// send_to(), the datagram leaving from `source` (when not empty) instead of the address the
  /// routing table would pick. Returns the errno (0 on success).
  [[nodiscard]] int send_from(std::span<const std::byte> datagram, const Address& peer,
                              const ReplySource& source) const;

  /// Sends on a connected socket; returns the errno (0 on success).
  [[nodiscard]] int send(std::span<const std::byte> datagram) const;

  /// Waits up to `timeout_ms` (-1: forever) for the socket to be readable; returns false on
  /// timeout. EINTR counts as a timeout so the caller can re-check its deadline.
  [[nodiscard]] bool wait_readable(int timeout_ms) const;

 private:
  explicit DatagramSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace sockcalc
