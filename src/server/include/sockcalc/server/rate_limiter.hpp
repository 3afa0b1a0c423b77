// SPDX-License-Identifier: MIT
// server/rate_limiter.hpp -- public.
// RateLimiter: a token bucket per source address (its IP, or its Unix name; never its port),
// kept in a fixed table of hashed buckets that sources share on collision; nothing is evicted.
// Single-threaded: one RateLimiter per worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sockcalc/address/address.hpp"

namespace sockcalc::server {

/// How it fails is the point of this design (the scheme of DNS servers' response rate
/// limiting): a source's bucket is picked by a keyed hash of its address, and two sources
/// that hash to one bucket share its tokens. Memory is the table, allocated once, however
/// many sources send; no source is ever forgotten, so none comes back with a fresh bucket;
/// and a collision makes the limit stricter for the sources involved, never looser. Every
/// source always gets at most `per_second` a second after one burst, whatever the number of
/// sources.
///
/// The table size: with B buckets and N sources sending at once, a source shares its bucket
/// with another with probability 1 - (1 - 1/B)^(N-1), about N/B. kDefaultBuckets = 65536
/// makes that 6 % at 4096 active sources and 12 % at 8000, for 512 KiB (one 8-byte time a
/// bucket) per worker, allocated only with --rate-limit. The hash is keyed with a random seed
/// per limiter, so a flooder cannot pick addresses that land on a chosen victim's bucket; all
/// it can do is fill buckets at random, at the limit's pace.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// `per_second` (> 0) requests a second per source, with bursts of up to `burst` requests
  /// (rounded down, at least 1). `buckets` is rounded up to a power of two (at least 1).
  RateLimiter(double per_second, double burst, std::size_t buckets = kDefaultBuckets);

  /// Whether a datagram from `peer` at `now` may be served; spends a token when it may.
  /// `now` comes from the caller (Clock::now() in the server, chosen times in tests); it must
  /// not go back in time by more than it went forward.
  bool allow(const Address& peer, Clock::time_point now);

  [[nodiscard]] std::size_t buckets() const { return table_.size(); }

  static constexpr std::size_t kDefaultBuckets = std::size_t{1} << 16;

 private:
  std::size_t bucket_of(const Address& peer) const;

  // The bucket is kept as GCRA's "theoretical arrival time" (one integer instead of a token
  // count and a time): a request at t is allowed when tat - t <= tolerance_, then tat moves on
  // by one interval_. Equivalent to a token bucket of `burst` tokens refilled at `per_second`.
  std::int64_t interval_;   // ns between two tokens, rounded up: never faster than asked
  std::int64_t tolerance_;  // (burst - 1) * interval_
  std::uint64_t seed_;
  std::vector<std::int64_t> table_;  // tat in ns of Clock; minimum = never seen (a full bucket)
};

}  // namespace sockcalc::server
