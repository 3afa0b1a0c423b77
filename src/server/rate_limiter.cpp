// server/rate_limiter.cpp -- implementation of server/rate_limiter.hpp.
#include "server/rate_limiter.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace sockcalc::server {
namespace {

// A source whose slot is taken probes this many neighbours before evicting one of them.
constexpr std::size_t kProbe = 8;

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 14695981039346656037ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

}  // namespace

std::uint64_t source_key(const Address& peer) {
  std::uint64_t h = 0;
  if (peer.family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(peer.data());
    // ::ffff:a.b.c.d and a.b.c.d are one source.
    h = IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) ? fnv1a(&a->sin6_addr.s6_addr[12], 4)
                                            : fnv1a(&a->sin6_addr, sizeof a->sin6_addr);
  } else if (peer.family() == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(peer.data());
    h = fnv1a(&a->sin_addr, sizeof a->sin_addr);
  } else {
    h = fnv1a(peer.data(), peer.length());
  }
  return h == 0 ? 1 : h;
}

RateLimiter::RateLimiter(double per_second, double burst, std::size_t slots)
    : per_second_(per_second),
      burst_(std::max(1.0, burst)),
      table_(std::max<std::size_t>(slots, kProbe)) {}

RateLimiter::Slot& RateLimiter::find(std::uint64_t key) {
  const std::size_t start = key % table_.size();
  Slot* oldest = nullptr;
  for (std::size_t i = 0; i < kProbe; ++i) {
    Slot& s = table_[(start + i) % table_.size()];
    if (s.key == key) return s;
    if (s.key == 0) {
      s = Slot{key, burst_, Clock::time_point{}};
      return s;
    }
    if (oldest == nullptr || s.last < oldest->last) oldest = &s;
  }
  *oldest = Slot{key, burst_, Clock::time_point{}};
  return *oldest;
}

bool RateLimiter::allow(const Address& peer, Clock::time_point now) {
  Slot& s = find(source_key(peer));
  if (s.last != Clock::time_point{}) {
    const double elapsed = std::chrono::duration<double>(now - s.last).count();
    s.tokens = std::min(burst_, s.tokens + elapsed * per_second_);
  }
  s.last = now;
  if (s.tokens < 1.0) return false;
  s.tokens -= 1.0;
  return true;
}

}  // namespace sockcalc::server
