// SPDX-License-Identifier: MIT
// server/stats.hpp -- public.
// Stats: the server's counters, one per outcome of a datagram. Each worker owns one Stats and is
// its only writer; any thread may read it at any time (relaxed atomics, no lock, no RMW).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::server {

/// A counter with one writer and any number of readers. inc() is a plain load and store (no
/// locked instruction): correct only because exactly one thread writes each counter.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter& other) : v_(other.value()) {}
  Counter& operator=(const Counter& other) {
    v_.store(other.value(), std::memory_order_relaxed);
    return *this;
  }
  Counter& operator++() { return *this += 1; }
  Counter& operator+=(std::uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    return *this;
  }
  [[nodiscard]] std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }
  operator std::uint64_t() const { return value(); }  // NOLINT(google-explicit-constructor)

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct Stats {
  Counter received;       // datagrams read from the socket
  Counter answered;       // replies the kernel accepted
  Counter results;        // requests computed (a success reply made)
  Counter error_replies;  // error replies made (bad requests)
  // error replies by cause, indexed by protocol::index(RequestError), named by protocol::name()
  std::array<Counter, protocol::kRequestErrorCount> by_error{};
  Counter truncated;     // datagrams longer than the receive buffer (MSG_TRUNC)
  Counter unanswerable;  // from an unnamed Unix socket: no address to reply to
  Counter rate_limited;  // over the source's --rate-limit: dropped, no reply
  Counter send_failed;   // replies the kernel refused (ENOBUFS, EAGAIN, ...): dropped
  Counter recv_failed;   // receive errors other than "nothing to read"

  void count_error(protocol::RequestError e) {
    ++error_replies;
    ++by_error[protocol::index(e)];  // in range: codec.hpp's static_asserts tie the size
  }
  Stats& operator+=(const Stats& other);

  /// "received=7 answered=7 results=5 errors=2 (empty=1 ...) truncated=0 ..."
  [[nodiscard]] std::string to_string() const;
};

}  // namespace sockcalc::server
