// SPDX-License-Identifier: MIT
// tests/unit/rate_limiter_test.cpp -- unit tests of server/rate_limiter (internal to tests/).
// The limiter is driven by an injected clock (time points made by the test), so refill and
// burst are exact and no test sleeps. Single-threaded.
#include "sockcalc/server/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"

namespace sockcalc::server {
namespace {

using std::chrono::milliseconds;
using Clock = RateLimiter::Clock;

// An arbitrary start, far from the clock's epoch like a real steady_clock reading.
const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1000);

Address parse_or_die(const std::string& text) {
  auto a = Address::parse(text);
  EXPECT_TRUE(a) << text;
  return a ? *a : Address{};
}

// 127.0.0.1 + i, spread over 127/8 (i < 2^24).
Address loopback_source(std::size_t i) {
  return parse_or_die("127." + std::to_string((i >> 16) & 0xff) + "." +
                      std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff) + ":9");
}

// How many of `count` requests from `peer` at `now` are allowed.
int allowed(RateLimiter& limiter, const Address& peer, Clock::time_point now, int count) {
  int n = 0;
  for (int i = 0; i < count; ++i) n += limiter.allow(peer, now) ? 1 : 0;
  return n;
}

TEST(RateLimiter, AFreshSourceGetsAFullBurstThenNothing) {
  RateLimiter limiter(10, 10);
  const Address a = parse_or_die("192.0.2.1:1000");
  EXPECT_EQ(allowed(limiter, a, kT0, 25), 10);
}

TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter(10, 10);  // one token every 100 ms
  const Address a = parse_or_die("192.0.2.1:1000");
  ASSERT_EQ(allowed(limiter, a, kT0, 10), 10);
  EXPECT_FALSE(limiter.allow(a, kT0 + milliseconds(99)));
  EXPECT_TRUE(limiter.allow(a, kT0 + milliseconds(100)));
  EXPECT_FALSE(limiter.allow(a, kT0 + milliseconds(150)));
  // Half a second later: five more tokens, never more than the burst.
  EXPECT_EQ(allowed(limiter, a, kT0 + milliseconds(600), 20), 5);
  // A long pause refills the bucket to the burst, not beyond.
  EXPECT_EQ(allowed(limiter, a, kT0 + std::chrono::hours(1), 50), 10);
}

TEST(RateLimiter, ABurstSmallerThanTheRate) {
  RateLimiter limiter(100, 3);
  const Address a = parse_or_die("[2001:db8::1]:1");
  EXPECT_EQ(allowed(limiter, a, kT0, 10), 3);
  EXPECT_EQ(allowed(limiter, a, kT0 + milliseconds(20), 10), 2);  // 20 ms = 2 tokens
}

TEST(RateLimiter, NeverAllowsMoreThanTheRateOverTime) {
  RateLimiter limiter(50, 50);
  const Address a = parse_or_die("198.51.100.7:53");
  int n = 0;
  // One request every millisecond for 10 s: 10 000 requests, at most 50 + 50 * 10 allowed.
  for (int ms = 0; ms < 10'000; ++ms) n += limiter.allow(a, kT0 + milliseconds(ms)) ? 1 : 0;
  EXPECT_LE(n, 550);
  EXPECT_GE(n, 549);
}

TEST(RateLimiter, PortsAreIgnored) {
  RateLimiter limiter(1, 2);
  EXPECT_TRUE(limiter.allow(parse_or_die("192.0.2.1:1000"), kT0));
  EXPECT_TRUE(limiter.allow(parse_or_die("192.0.2.1:2000"), kT0));
  EXPECT_FALSE(limiter.allow(parse_or_die("192.0.2.1:3000"), kT0));
  EXPECT_TRUE(limiter.allow(parse_or_die("[2001:db8::5]:1"), kT0));
  EXPECT_TRUE(limiter.allow(parse_or_die("[2001:db8::5]:2"), kT0));
  EXPECT_FALSE(limiter.allow(parse_or_die("[2001:db8::5]:3"), kT0));
}

TEST(RateLimiter, AnIpv4MappedAddressIsItsIpv4Address) {
  RateLimiter limiter(1, 2);
  EXPECT_TRUE(limiter.allow(parse_or_die("192.0.2.9:1"), kT0));
  EXPECT_TRUE(limiter.allow(parse_or_die("[::ffff:192.0.2.9]:2"), kT0));
  EXPECT_FALSE(limiter.allow(parse_or_die("192.0.2.9:3"), kT0));
  EXPECT_FALSE(limiter.allow(parse_or_die("[::ffff:192.0.2.9]:4"), kT0));
}

TEST(RateLimiter, UnixNamesAreSources) {
  RateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.allow(parse_or_die("unix:@client-a"), kT0));
  EXPECT_FALSE(limiter.allow(parse_or_die("unix:@client-a"), kT0));
  // With the default table a second name almost surely has a bucket of its own; it may share
  // one (then it is refused), but it is never given more than one token.
  EXPECT_LE(allowed(limiter, parse_or_die("unix:/run/client-b"), kT0, 3), 1);
}

TEST(RateLimiter, SourcesThatShareABucketShareItsTokens) {
  // One bucket: every source collides with every other. Colliding is stricter, never looser:
  // together the sources get what one source would.
  RateLimiter limiter(1, 3, 1);
  EXPECT_EQ(limiter.buckets(), 1u);
  int n = 0;
  for (std::size_t i = 0; i < 100; ++i) n += limiter.allow(loopback_source(i), kT0) ? 1 : 0;
  EXPECT_EQ(n, 3);
  EXPECT_FALSE(limiter.allow(parse_or_die("[2001:db8::1]:1"), kT0));
  EXPECT_TRUE(limiter.allow(parse_or_die("[2001:db8::1]:1"), kT0 + std::chrono::seconds(1)));
}

// ---- Limits at the edges ----

TEST(RateLimiter, ABurstIsRoundedDownButNeverBelowOne) {
  const Address a = parse_or_die("192.0.2.1:1");
  RateLimiter half(10, 0.5);
  EXPECT_EQ(allowed(half, a, kT0, 5), 1);
  RateLimiter almost_three(10, 2.9);
  EXPECT_EQ(allowed(almost_three, a, kT0, 5), 2);
}

TEST(RateLimiter, ARateBelowOneASecond) {
  RateLimiter limiter(0.5, 1);  // one request every 2 s
  const Address a = parse_or_die("[2001:db8::2]:1");
  ASSERT_TRUE(limiter.allow(a, kT0));
  EXPECT_FALSE(limiter.allow(a, kT0 + milliseconds(1999)));
  EXPECT_TRUE(limiter.allow(a, kT0 + milliseconds(2000)));
}

TEST(RateLimiter, ARateAboveOneANanosecondIsOneANanosecond) {
  // The interval is whole nanoseconds, rounded up and at least 1: never faster than asked.
  RateLimiter limiter(1e12, 1);
  const Address a = parse_or_die("192.0.2.3:1");
  ASSERT_TRUE(limiter.allow(a, kT0));
  EXPECT_FALSE(limiter.allow(a, kT0));
  EXPECT_TRUE(limiter.allow(a, kT0 + std::chrono::nanoseconds(1)));
}

// The hash spreads addresses that differ only in their last bits (a subnet, a scan) over the
// whole table. N sources in B buckets fill B * (1 - (1 - 1/B)^N) of them: 906 of 4096 for
// N = 1024, so about 906 sources get their token; a hash blind to the low bytes would put
// them all in one bucket and let one through.
TEST(RateLimiter, NeighbouringAddressesSpreadOverTheTable) {
  constexpr std::size_t kSources = 1024;
  for (const char* prefix : {"v4", "v6"}) {
    RateLimiter limiter(1, 1, 4096);
    int n = 0;
    for (std::size_t i = 0; i < kSources; ++i) {
      const Address a = std::string(prefix) == "v4"
                            ? loopback_source(i)
                            : parse_or_die("[2001:db8::" + std::to_string(i) + "]:9");
      n += limiter.allow(a, kT0) ? 1 : 0;
    }
    // 906 expected; the standard deviation is about 10: 850 is more than 5 of them away.
    EXPECT_GE(n, 850) << prefix;
    EXPECT_LE(n, static_cast<int>(kSources)) << prefix;
  }
}

TEST(RateLimiter, ATableSizeIsRoundedUpToAPowerOfTwo) {
  EXPECT_EQ(RateLimiter(1, 1, 1000).buckets(), 1024u);
  EXPECT_EQ(RateLimiter(1, 1, 1024).buckets(), 1024u);
  EXPECT_EQ(RateLimiter(1, 1).buckets(), RateLimiter::kDefaultBuckets);
  EXPECT_EQ(RateLimiter(1, 1, 0).buckets(), 1u);
}

// The finding of issue 10: past the old table's 4096 slots, sources were evicted and came back
// with a full bucket, so 8000 sources sending 5 requests each in rounds had 39 995 of 40 000
// answered at --rate-limit 1. Whatever the number of sources, none may get more than its own
// limit, and in total no more than one burst each.
TEST(RateLimiter, ManySourcesInRoundsAreNeverLooserThanTheLimit) {
  for (const std::size_t sources : {std::size_t{8000}, std::size_t{100'000}}) {
    RateLimiter limiter(1, 1);
    std::vector<int> got(sources, 0);
    for (int round = 0; round < 5; ++round) {
      // 5 rounds within one second: no refill beyond the first token.
      const auto now = kT0 + milliseconds(round * 100);
      for (std::size_t i = 0; i < sources; ++i) got[i] += limiter.allow(loopback_source(i), now);
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < sources; ++i) {
      ASSERT_LE(got[i], 1) << "source " << i << " of " << sources;
      total += static_cast<std::size_t>(got[i]);
    }
    EXPECT_LE(total, sources);
    // Sharing costs some sources their token; most still get theirs (the table is sized for
    // this; see rate_limiter.hpp). Only a sanity bound: the exact figure depends on the seed.
    if (sources == 8000) {
      EXPECT_GE(total, sources * 8 / 10) << total;
    }
  }
}

TEST(RateLimiter, ASourceComesBackWithWhatItHadLeft) {
  // Old scheme: a source pushed out by others returned with a full bucket. Here nothing is ever
  // pushed out: after 100 000 other sources, the first one still has no token.
  RateLimiter limiter(1, 1);
  const Address first = parse_or_die("192.0.2.200:1");
  ASSERT_TRUE(limiter.allow(first, kT0));
  for (std::size_t i = 0; i < 100'000; ++i) (void)limiter.allow(loopback_source(i), kT0);
  EXPECT_FALSE(limiter.allow(first, kT0 + milliseconds(500)));
  EXPECT_TRUE(limiter.allow(first, kT0 + milliseconds(1000)));
}

}  // namespace
}  // namespace sockcalc::server
