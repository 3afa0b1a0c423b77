// SPDX-License-Identifier: MIT
// tests/stress/rate_limit_test.cpp -- a flood from one source is held to --rate-limit while
// another source is served in full; and 8000 sources (more than the old table held) are each
// held to theirs. Sources are told apart by IP, all inside 127.0.0.0/8 (local on Linux): the
// flood comes from 127.0.0.2, the well-behaved client from 127.0.0.1, the 8000 from 127.1/16.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "programs.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc {
namespace {

using Clock = std::chrono::steady_clock;
using integration::ServerProcess;

constexpr int kLimit = 50;  // requests a second per source
constexpr int kFlood = 3000;

std::uint64_t counter(const std::string& log, const std::string& name) {
  std::smatch m;
  const std::regex re("stopped;.* " + name + "=([0-9]+)");
  return std::regex_search(log, m, re) ? std::stoull(m[1]) : UINT64_MAX;
}

TEST(RateLimit, FloodFromOneSourceIsLimitedWhileAnotherIsServed) {
  auto server = integration::start_server(
      {"--threads", "1", "--rate-limit", std::to_string(kLimit), "127.0.0.1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const Address target = (*server)->address();

  auto from = Address::parse("127.0.0.2:0");
  ASSERT_TRUE(from);
  auto flooder = DatagramSocket::bind(*from);
  ASSERT_TRUE(flooder) << flooder.error().message();
  protocol::Request request;
  request.operands.push_back(1);
  std::array<std::byte, wire::kMaxRequestSize> out{};
  const std::size_t size = protocol::encode_request(request, out);
  ASSERT_GT(size, 0u);

  auto good = client::Client::connect(target);
  ASSERT_TRUE(good);
  client::CallOptions options;
  options.timeout = std::chrono::milliseconds(100);

  const auto start = Clock::now();
  int flood_replies = 0;
  int good_ok = 0;
  std::array<std::byte, 64> sink{};
  for (int i = 0; i < kFlood; ++i) {
    (void)flooder->send_to({out.data(), size}, target);
    while (flooder->recv_from(sink, nullptr).outcome == RecvOutcome::received) ++flood_replies;
    if (i % 150 == 0) {  // 20 calls from the well-behaved source, in the middle of the flood
      protocol::Request r;
      r.operands = {static_cast<std::uint32_t>(i), 7};
      auto result = good->call(r, options);
      ASSERT_TRUE(result);
      if (result->status == client::CallStatus::success && result->value == i + 7u) ++good_ok;
    }
  }
  // Late replies: bounded wait for what is still on its way.
  while (flooder->wait_readable(200)) {
    while (flooder->recv_from(sink, nullptr).outcome == RecvOutcome::received) ++flood_replies;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  ASSERT_TRUE((*server)->stop()) << (*server)->report();
  const std::string log = (*server)->process().err();
  const auto limited = counter(log, "rate_limited");
  std::cout << "rate limit " << kLimit << "/s: flood of " << kFlood << " in " << seconds
            << " s got " << flood_replies << " replies, " << limited
            << " dropped; the other source got " << good_ok << "/20 answers\n";
  EXPECT_EQ(good_ok, 20) << log;
  // A full bucket (one second's worth) plus what refills while the flood lasts.
  const double allowed = kLimit + kLimit * seconds + 1;
  EXPECT_LE(flood_replies, allowed) << log;
  EXPECT_GT(flood_replies, 0) << log;
  EXPECT_NE(limited, UINT64_MAX) << log;
  EXPECT_GE(limited + static_cast<std::uint64_t>(flood_replies), kFlood * 9u / 10u) << log;
}

// Makes room for `fds` open files (soft limit up to the hard one); false when there is none.
bool make_room_for_fds(rlim_t fds) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
  if (r.rlim_cur >= fds) return true;
  if (r.rlim_max < fds) return false;
  r.rlim_cur = fds;
  return setrlimit(RLIMIT_NOFILE, &r) == 0;
}

// 127.1.0.0 + i, port 0: a source address of its own for each i < 65536.
Address many_source(std::size_t i) {
  auto a =
      Address::parse("127.1." + std::to_string(i >> 8) + "." + std::to_string(i & 0xff) + ":0");
  return a ? *a : Address{};
}

// Issue 10: the old limiter kept 4096 sources and evicted the others, which came back with a
// full bucket: 8000 sources sending 5 requests each in rounds at --rate-limit 1 had 39 995 of
// 40 000 answered. Each source may get one burst (1 request) plus what refills while the test
// runs (1 a second); collisions may only lower that.
TEST(RateLimit, EightThousandSourcesAreEachHeldToTheLimit) {
  constexpr std::size_t kSources = 8000;
  constexpr int kRounds = 5;
  if (!make_room_for_fds(kSources + 256)) {
    GTEST_SKIP() << "needs " << kSources + 256
                 << " open files (RLIMIT_NOFILE's hard limit is lower)";
  }
  // A receive buffer for the whole burst, so that the server sees it (root passes rmem_max).
  auto server = integration::start_server(
      {"--threads", "1", "--rate-limit", "1", "--recv-buffer", "33554432", "127.0.0.1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const Address target = (*server)->address();

  std::vector<DatagramSocket> sources;
  sources.reserve(kSources);
  for (std::size_t i = 0; i < kSources; ++i) {
    auto s = DatagramSocket::bind(many_source(i));
    ASSERT_TRUE(s) << s.error().message();
    sources.push_back(std::move(*s));
  }
  protocol::Request request;
  request.operands.push_back(1);
  std::array<std::byte, wire::kMaxRequestSize> out{};
  const std::size_t size = protocol::encode_request(request, out);
  ASSERT_GT(size, 0u);

  const auto start = Clock::now();
  std::size_t sent = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (const DatagramSocket& s : sources) sent += s.send_to({out.data(), size}, target) == 0;
  }
  // Every reply the server sends lands in its source's own socket (5 at most: no overflow).
  // Wait until the server has been quiet for 500 ms, bounded by 20 s in all.
  std::vector<int> replies(kSources, 0);
  std::array<std::byte, 64> sink{};
  const auto give_up = Clock::now() + std::chrono::seconds(20);
  auto last_reply = Clock::now();
  while (Clock::now() - last_reply < std::chrono::milliseconds(500) && Clock::now() < give_up) {
    bool any = false;
    for (std::size_t i = 0; i < kSources; ++i) {
      while (sources[i].recv_from(sink, nullptr).outcome == RecvOutcome::received) {
        ++replies[i];
        any = true;
      }
    }
    if (any) last_reply = Clock::now();
  }
  const double seconds = std::chrono::duration<double>(last_reply - start).count();

  ASSERT_TRUE((*server)->stop()) << (*server)->report();
  const std::string log = (*server)->process().err();
  const auto received = counter(log, "received");
  const auto limited = counter(log, "rate_limited");
  std::size_t answered = 0;
  int most = 0;
  for (const int n : replies) {
    answered += static_cast<std::size_t>(n);
    most = std::max(most, n);
  }
  std::cout << kSources << " sources x " << kRounds << " at --rate-limit 1: sent " << sent
            << ", server received " << received << ", answered " << answered << " in " << seconds
            << " s (most to one source: " << most << "), " << limited << " rate_limited\n";
  // One token each, plus the refill over the test's duration.
  const int allowed = 1 + static_cast<int>(std::ceil(seconds));
  EXPECT_LE(most, allowed) << log;
  EXPECT_LE(answered, kSources * static_cast<std::size_t>(allowed)) << log;
  // Not limited into silence: most sources got their token (sharing a bucket costs a few).
  EXPECT_GE(answered, kSources * 7 / 10) << log;
  ASSERT_NE(received, UINT64_MAX) << log;
  EXPECT_EQ(received, answered + limited) << log;
}

}  // namespace
}  // namespace sockcalc
