// tests/stress/rate_limit_test.cpp -- a flood from one source is held to --rate-limit while
// another source is served in full. Sources are told apart by IP: the flood comes from
// 127.0.0.2, the well-behaved client from 127.0.0.1 (both loopback).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <chrono>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "client/client.hpp"
#include "programs.hpp"
#include "protocol/codec.hpp"
#include "socket/datagram_socket.hpp"

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

}  // namespace
}  // namespace sockcalc
