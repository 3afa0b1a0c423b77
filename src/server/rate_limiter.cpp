// SPDX-License-Identifier: MIT
// server/rate_limiter.cpp -- implementation of server/rate_limiter.hpp.
#include "sockcalc/server/rate_limiter.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace sockcalc::server {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

// splitmix64's finaliser: every input bit affects every output bit.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A keyed hash of `n` bytes, 8 at a time. Not cryptographic: it only keeps a sender who does
// not know `seed` from choosing addresses that collide with a given one.
std::uint64_t keyed_hash(const void* data, std::size_t n, std::uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = mix(seed ^ n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p + i, std::min<std::size_t>(8, n - i));
    h = mix(h ^ word);
  }
  return h;
}

// What identifies a source: its IP address (an IPv4-mapped IPv6 address is its IPv4 address;
// a link-local one keeps its scope), or its whole Unix name. Never its port.
std::uint64_t source_hash(const Address& peer, std::uint64_t seed) {
  if (peer.family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(peer.data());
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) return keyed_hash(&a->sin6_addr.s6_addr[12], 4, seed);
    unsigned char key[sizeof a->sin6_addr + sizeof a->sin6_scope_id];
    std::memcpy(key, &a->sin6_addr, sizeof a->sin6_addr);
    std::memcpy(key + sizeof a->sin6_addr, &a->sin6_scope_id, sizeof a->sin6_scope_id);
    return keyed_hash(key, sizeof key, seed);
  }
  if (peer.family() == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(peer.data());
    return keyed_hash(&a->sin_addr, sizeof a->sin_addr, seed);
  }
  return keyed_hash(peer.data(), peer.length(), seed);
}

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

RateLimiter::RateLimiter(double per_second, double burst, std::size_t buckets)
    : interval_(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(1e9 / per_second)))),
      tolerance_((std::max<std::int64_t>(1, static_cast<std::int64_t>(burst)) - 1) * interval_),
      seed_(random_seed()),
      table_(std::bit_ceil(std::max<std::size_t>(buckets, 1)), kNever) {}

std::size_t RateLimiter::bucket_of(const Address& peer) const {
  return static_cast<std::size_t>(source_hash(peer, seed_)) & (table_.size() - 1);
}

bool RateLimiter::allow(const Address& peer, Clock::time_point now) {
  const std::int64_t t =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::int64_t& tat = table_[bucket_of(peer)];
  const std::int64_t start = std::max(tat, t);  // an idle bucket is full, not fuller
  if (start - t > tolerance_) return false;
  tat = start + interval_;
  return true;
}

}  // namespace sockcalc::server
