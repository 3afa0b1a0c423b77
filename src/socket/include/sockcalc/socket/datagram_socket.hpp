// SPDX-License-Identifier: MIT
// socket/datagram_socket.hpp -- public.
// DatagramSocket: the move-only owner of one datagram socket fd (UDP or AF_UNIX), and the
// calls made on it, each through the syscall seam (socket/sys.hpp). An object may be used by one
// thread at a time, except that the const calls on one socket may run on several threads at once
// (the server's workers sharing a Unix socket); distinct sockets are independent. Failures come
// back as Error values naming the call and its address.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
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

/// What a receive does when no datagram is queued.
enum class RecvWait {
  no,       // returns at once (would_block)
  for_one,  // on a socket whose receives block (block_receives()): sleeps until one arrives,
            // the receive timeout passes, a signal interrupts it, or the socket is shut down
            // for reading. On a non-blocking socket, the same as `no`.
};

/// How the socket's receives wait (see block_receives()).
enum class ReceiveMode {
  non_blocking,  // never: every call returns at once (the default)
  blocking,      // a RecvWait::for_one receive sleeps, at most the receive timeout
};

/// The outcome of a batch receive (recv_batch()).
struct BatchRecvResult {
  RecvOutcome outcome = RecvOutcome::failed;
  std::size_t count = 0;  // headers filled in (received)
  int error = 0;          // errno when not received
};

/// The outcome of one sendmmsg() call (send_batch()).
struct BatchSendResult {
  std::size_t sent = 0;  // datagrams handed to the kernel, from the first header on
  int error = 0;         // errno when none was sent (EIO for a call that sent 0 without one)
};

/// The outcome of a wait for a datagram (wait()).
enum class WaitOutcome { readable, timed_out, interrupted, failed };
struct WaitResult {
  WaitOutcome outcome = WaitOutcome::failed;
  int error = 0;  // errno when failed
};

struct RecvResult {
  RecvOutcome outcome = RecvOutcome::failed;
  /// The datagram's real length: larger than the buffer when it was truncated (MSG_TRUNC).
  std::size_t wire_length = 0;
  /// The bytes actually stored, min(wire_length, buffer size).
  std::size_t held = 0;
  int error = 0;  // errno when outcome == failed
  [[nodiscard]] bool truncated() const { return wire_length > held; }
};

/// The receive side of a socket as the kernel accounts it (SO_MEMINFO), at the time of the call.
struct ReceiveMemory {
  /// Datagrams the kernel dropped before the program could read them (a full receive buffer,
  /// mostly): the socket's sk_drops, the counter SO_RXQ_OVFL reports. 32 bits in the kernel:
  /// wraps at 2^32.
  std::uint64_t drops = 0;
  /// The receive buffer granted, in bytes: twice what SO_RCVBUF asked (the kernel's own
  /// bookkeeping), capped at net.core.rmem_max unless forced.
  std::uint64_t buffer = 0;
  /// Bytes queued and not read yet, each datagram charged its whole kernel allocation.
  std::uint64_t queued = 0;
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
  DatagramSocket(DatagramSocket&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)),
        mode_(std::exchange(other.mode_, ReceiveMode::non_blocking)) {}
  DatagramSocket& operator=(DatagramSocket&& other) noexcept;
  DatagramSocket(const DatagramSocket&) = delete;
  DatagramSocket& operator=(const DatagramSocket&) = delete;
  ~DatagramSocket();  // closes the fd once, never retries on EINTR, never throws

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

  /// The address the socket is bound to (with the real port after binding port 0).
  [[nodiscard]] Result<Address> local_address() const;

  /// Receives one datagram, waiting as `wait` says (by default not at all). `peer` (may be null)
  /// gets the sender's address with its real length.
  RecvResult recv_from(std::span<std::byte> buffer, Address* peer,
                       RecvWait wait = RecvWait::no) const;

  /// Makes the socket blocking with a receive timeout (SO_RCVTIMEO = `timeout`), so that a
  /// RecvWait::for_one receive sleeps in the kernel: the fewest syscalls for a server's idle
  /// worker. Sends and RecvWait::no receives still never block (MSG_DONTWAIT). O_NONBLOCK
  /// belongs to the open file: only for a socket no other process holds. Call before the
  /// threads that use the socket start. On failure the mode stays non_blocking, though the file
  /// may be left blocking: a RecvWait::no receive passes MSG_DONTWAIT all the same.
  Status block_receives(std::chrono::microseconds timeout);
  [[nodiscard]] ReceiveMode receive_mode() const { return mode_; }

  /// recvmsg() into a header the caller wired (MSG_TRUNC: the returned length is the real one).
  RecvResult recv_message(msghdr& message, RecvWait wait = RecvWait::no) const;
  /// sendmsg() without blocking; returns the errno (0 on success).
  [[nodiscard]] int send_message(const msghdr& message) const;

  /// One recvmmsg() into headers the caller wired: MSG_TRUNC for each one, and MSG_WAITFORONE,
  /// so only the first datagram is waited for (as `wait` says), the others are those queued.
  BatchRecvResult recv_batch(std::span<mmsghdr> headers, RecvWait wait = RecvWait::no) const;
  /// One sendmmsg() without blocking: may send fewer than asked (the caller goes on from the
  /// first one not sent); an error means the first one was refused.
  BatchSendResult send_batch(std::span<mmsghdr> headers) const;

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
  /// timeout. EINTR counts as a timeout so the caller can re-check its deadline, and so does a
  /// failed poll(): use wait() to tell them apart.
  [[nodiscard]] bool wait_readable(int timeout_ms) const;

  /// wait_readable(), telling a timeout, a signal (EINTR) and a failed poll() apart.
  [[nodiscard]] WaitResult wait(int timeout_ms) const;

  /// shutdown(SHUT_RD): wakes every receive asleep on the socket. Async-signal-safe.
  void shutdown_receives() const;

  /// getsockopt(SO_MEMINFO): drops, granted buffer and queued bytes, read when called (a
  /// scrape), never on the datagram path. Any thread.
  [[nodiscard]] Result<ReceiveMemory> receive_memory() const;

 private:
  explicit DatagramSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
  ReceiveMode mode_ = ReceiveMode::non_blocking;
};

}  // namespace sockcalc
