// server/stats.hpp -- public.
// Stats: the server's counters, one per outcome of a datagram. Plain integers owned by the
// loop that updates them; read them from that thread or after it stopped.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "protocol/codec.hpp"

namespace sockcalc::server {

struct Stats {
  std::uint64_t received = 0;               // datagrams read from the socket
  std::uint64_t answered = 0;               // replies handed to the kernel
  std::uint64_t results = 0;                // ... of which success replies
  std::uint64_t error_replies = 0;          // ... of which error replies
  std::array<std::uint64_t, 5> by_error{};  // error replies by protocol::RequestError
  std::uint64_t truncated = 0;              // datagrams longer than the receive buffer (MSG_TRUNC)
  std::uint64_t unanswerable = 0;           // from an unnamed Unix socket: no address to reply to
  std::uint64_t rate_limited = 0;           // over the source's --rate-limit: dropped, no reply
  std::uint64_t send_failed = 0;  // replies the kernel refused (ENOBUFS, EAGAIN, ...): dropped
  std::uint64_t recv_failed = 0;  // receive errors other than "nothing to read"

  void count_error(protocol::RequestError e) {
    ++error_replies;
    ++by_error[static_cast<std::size_t>(e)];
  }
  Stats& operator+=(const Stats& other);

  /// "received=7 answered=7 results=5 errors=2 (empty=1 ...) truncated=0 ..."
  [[nodiscard]] std::string to_string() const;
};

}  // namespace sockcalc::server
