// server/rate_limiter.hpp -- public.
// RateLimiter: a token bucket per source address (its IP, or its Unix name; never its port),
// in a fixed table allocated once, so that memory stays bounded however many sources send.
// Single-threaded: one RateLimiter per worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "address/address.hpp"

namespace sockcalc::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// `per_second` requests a second per source, with bursts of up to `burst` (>= 1). The table
  /// tracks `slots` sources at once; a new source past that takes the slot of the least
  /// recently seen source among those it probes, which then starts again with a full bucket.
  RateLimiter(double per_second, double burst, std::size_t slots = kDefaultSlots);

  /// Whether a datagram from `peer` at `now` may be served; spends a token when it may.
  bool allow(const Address& peer, Clock::time_point now);

  [[nodiscard]] std::size_t slots() const { return table_.size(); }

  static constexpr std::size_t kDefaultSlots = 4096;

 private:
  struct Slot {
    std::uint64_t key = 0;  // 0 = empty
    double tokens = 0;
    Clock::time_point last;
  };
  Slot& find(std::uint64_t key);

  double per_second_;
  double burst_;
  std::vector<Slot> table_;
};

/// The key a source is limited by: a hash of its IP address (an IPv4-mapped IPv6 address
/// counts as its IPv4 address) or of its Unix name. Never 0.
std::uint64_t source_key(const Address& peer);

}  // namespace sockcalc::server
