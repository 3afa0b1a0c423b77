// SPDX-License-Identifier: MIT
// tests/unit/receive_memory_test.cpp -- internal to tests/unit.
// What a scrape reads besides the counters: each socket's kernel drops and granted receive
// buffer (DatagramSocket::receive_memory, SO_MEMINFO), and each worker's counters
// (Server::worker_stats). Real UDP sockets on loopback. Test thread plus the server's workers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <numeric>
#include <vector>

#include "running_server.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/datagrams.hpp"

namespace sockcalc {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPatience = std::chrono::seconds(5);

// Datagrams sent into a receive buffer far too small for them: the ones that did not fit are
// the kernel's drops, exactly.
TEST(ReceiveMemory, CountsTheDatagramsTheKernelDroppedAndTheBufferGranted) {
  constexpr int kAskedBuffer = 4096;
  constexpr int kSent = 300;
  SocketOptions small;
  small.recv_buffer = kAskedBuffer;
  auto receiver = DatagramSocket::bind(Address::loopback(Family::v4, 0), small);
  ASSERT_TRUE(receiver.ok()) << receiver.error().message();
  auto at = receiver->local_address();
  ASSERT_TRUE(at.ok());
  auto before = receiver->receive_memory();
  ASSERT_TRUE(before.ok()) << before.error().message();
  EXPECT_EQ(before->drops, 0u);
  EXPECT_EQ(before->queued, 0u);
  EXPECT_EQ(before->buffer, 2u * kAskedBuffer);  // the kernel doubles what SO_RCVBUF asks

  auto sender = DatagramSocket::connect(*at);
  ASSERT_TRUE(sender.ok()) << sender.error().message();
  const std::vector<std::byte> datagram(200, std::byte{1});
  for (int i = 0; i < kSent; ++i) ASSERT_EQ(sender->send(datagram), 0);
  auto full = receiver->receive_memory();
  ASSERT_TRUE(full.ok());
  EXPECT_GT(full->queued, 0u);

  // Every datagram is either read or dropped; loopback delivers them at once, the bound only
  // keeps a broken kernel from hanging the test.
  std::size_t read = 0;
  std::uint64_t drops = 0;
  std::vector<std::byte> buffer(512);
  for (const auto end = Clock::now() + kPatience; Clock::now() < end;) {
    while (receiver->recv_from(buffer, nullptr).outcome == RecvOutcome::received) ++read;
    auto now = receiver->receive_memory();
    ASSERT_TRUE(now.ok());
    drops = now->drops;
    if (read + drops >= kSent) break;
  }
  EXPECT_GT(read, 0u);
  EXPECT_GT(drops, 0u);
  EXPECT_EQ(read + drops, static_cast<std::uint64_t>(kSent));
  auto after = receiver->receive_memory();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->queued, 0u);
}

TEST(ReceiveMemory, FailsOnAClosedSocket) {
  const DatagramSocket none;
  auto m = none.receive_memory();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "cannot get SO_MEMINFO: bad file descriptor");
}

TEST(ServerScrape, OneSocketAndOneCounterSetPerUdpWorker) {
  server::ServerOptions options;
  options.threads = 3;
  options.log = [](const std::string&) {};
  auto s = server::Server::bind({Address::loopback(Family::v6, 0)}, std::move(options));
  ASSERT_TRUE(s.ok()) << s.error().message();
  testing::RunningServer running(std::move(*s));

  auto client = DatagramSocket::connect(running.address());
  ASSERT_TRUE(client.ok());
  constexpr int kRequests = 20;
  const auto request = testing::datagram_of_size(9);  // a request with two integers
  std::vector<std::byte> reply(64);
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(client->send(request), 0);
    ASSERT_TRUE(client->wait_readable(5000));
    ASSERT_EQ(client->recv_from(reply, nullptr).outcome, RecvOutcome::received);
  }
  const auto each = running.server().worker_stats();
  ASSERT_EQ(each.size(), 3u);
  const std::uint64_t received =
      std::accumulate(each.begin(), each.end(), std::uint64_t{0},
                      [](std::uint64_t n, const server::Stats& w) { return n + w.received; });
  EXPECT_EQ(received, static_cast<std::uint64_t>(kRequests));
  EXPECT_EQ(running.stats().received.value(), received);

  const auto sockets = running.server().receive_memory();
  ASSERT_EQ(sockets.size(), 3u);
  for (const auto& m : sockets) {
    ASSERT_TRUE(m.ok()) << m.error().message();
    EXPECT_EQ(m->drops, 0u);
    EXPECT_GT(m->buffer, 0u);
  }
}

TEST(ServerScrape, AUnixSocketIsOneSocketSharedByEveryWorker) {
  server::ServerOptions options;
  options.threads = 2;
  options.log = [](const std::string&) {};
  auto path = Address::parse_unix("unix:@sockcalc-receive-memory-" + std::to_string(::getpid()));
  ASSERT_TRUE(path.ok());
  auto s = server::Server::bind({*path}, std::move(options));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->worker_stats().size(), 2u);
  EXPECT_EQ(s->receive_memory().size(), 1u);
}

}  // namespace
}  // namespace sockcalc
