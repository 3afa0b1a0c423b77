// SPDX-License-Identifier: MIT
// tests/linksim/relay_test.cpp -- tests of linksim/relay.hpp in-process: a Relay runs on its own
// thread between test sockets on ::1 (a client side and a stand-in server), for each poller.
// The test thread only calls request_stop() while the relay runs; stats are read after join.
#include "sockcalc/linksim/relay.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "sockcalc/core/deadline.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::linksim {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::byte>;

// Long enough for a datagram that should arrive, on a loaded machine with sanitizers.
constexpr milliseconds kArrival{3000};
// How long to wait for a datagram that should not come.
constexpr milliseconds kSilence{150};

// A request datagram from the codec carrying `tag` as its one integer.
Bytes request(std::uint32_t tag) {
  protocol::Request r;
  r.operands.push_back(tag);
  return protocol::encoded_request(r);
}

std::uint32_t tag_of(const Bytes& datagram) {
  const auto d = protocol::decode_request(datagram);
  return d.ok() ? d.request.operands[0] : 0xFFFFFFFFu;
}

struct Received {
  Bytes bytes;
  Address from;
};

std::optional<Received> receive(const DatagramSocket& s, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::array<std::byte, 65536> buf{};
  while (true) {
    Address from;
    const RecvResult r = s.recv_from(buf, &from);
    if (r.outcome == RecvOutcome::received) {
      return Received{{buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.held)}, from};
    }
    const int left = remaining_ms(deadline);
    if (left == 0) return std::nullopt;
    (void)s.wait_readable(left);
  }
}

// A Relay running on its own thread; stop() joins it and returns its counters.
class RunningRelay {
 public:
  explicit RunningRelay(Relay relay) : relay_(std::move(relay)) {
    thread_ = std::thread([this] { ok_ = relay_.run().ok(); });
  }
  RunningRelay(const RunningRelay&) = delete;
  RunningRelay& operator=(const RunningRelay&) = delete;
  ~RunningRelay() { stop(); }

  const RelayStats& stop() {
    if (thread_.joinable()) {
      relay_.request_stop();
      thread_.join();
      EXPECT_TRUE(ok_);
    }
    return relay_.stats();
  }
  [[nodiscard]] const Address& address() const { return relay_.local_address(); }

 private:
  Relay relay_;
  std::thread thread_;
  bool ok_ = false;
};

class RelayTest : public ::testing::TestWithParam<PollerKind> {
 protected:
  void SetUp() override {
    auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(*s);
  }

  // Starts a relay with `faults` forward and reverse, in front of server_.
  std::unique_ptr<RunningRelay> start(const FaultConfig& forward, const FaultConfig& reverse = {},
                                      RelayOptions options = {},
                                      const Address& listen = Address::loopback(Family::v6, 0)) {
    options.listen = {listen};
    options.server = *server_.local_address();
    options.faults = {forward, reverse};
    options.seed = 2024;
    options.poller = GetParam();
    auto relay = Relay::create(std::move(options));
    EXPECT_TRUE(relay.ok()) << (relay.ok() ? "" : relay.error().message());
    if (!relay.ok()) return nullptr;
    return std::make_unique<RunningRelay>(std::move(*relay));
  }

  DatagramSocket client(const RunningRelay& relay) {
    auto s = DatagramSocket::connect(relay.address());
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }

  DatagramSocket server_;
};

TEST_P(RelayTest, RelaysBothWaysAndRepliesReachTheRightClient) {
  auto relay = start({});
  ASSERT_TRUE(relay);
  DatagramSocket a = client(*relay);
  DatagramSocket b = client(*relay);
  ASSERT_EQ(a.send(request(1)), 0);
  const auto at_server_a = receive(server_, kArrival);
  ASSERT_TRUE(at_server_a);
  ASSERT_EQ(b.send(request(2)), 0);
  const auto at_server_b = receive(server_, kArrival);
  ASSERT_TRUE(at_server_b);
  EXPECT_EQ(at_server_a->bytes, request(1));
  EXPECT_EQ(at_server_b->bytes, request(2));
  EXPECT_NE(at_server_a->from, at_server_b->from) << "one upstream socket per client";

  // Answer b first, then a: each reply must reach its own client (P-1, P-12).
  ASSERT_EQ(server_.send_to(request(20), at_server_b->from), 0);
  ASSERT_EQ(server_.send_to(request(10), at_server_a->from), 0);
  const auto at_a = receive(a, kArrival);
  const auto at_b = receive(b, kArrival);
  ASSERT_TRUE(at_a && at_b);
  EXPECT_EQ(tag_of(at_a->bytes), 10u);
  EXPECT_EQ(tag_of(at_b->bytes), 20u);

  const RelayStats& s = relay->stop();
  EXPECT_EQ(s[Direction::forward].received, 2u);
  EXPECT_EQ(s[Direction::forward].passed, 2u);
  EXPECT_EQ(s[Direction::reverse].received, 2u);
  EXPECT_EQ(s.flows.created, 2u);
  EXPECT_EQ(s.flows.active, 2u);
}

// On a wildcard listening address, linksim answers each client from the address that client
// asked (127.0.0.2, 127.0.0.3 here), or the client's connected socket drops the reply; also
// for a reply delayed past the datagram that came next (it leaves from its own flow's address).
TEST_P(RelayTest, WildcardListenerRepliesFromTheAddressAsked) {
  for (Family family : {Family::v6, Family::v4}) {
    FaultConfig reverse;
    reverse.delay = milliseconds(20);
    RelayOptions options;
    auto relay = start({}, reverse, options, Address::any(family, 0));
    ASSERT_TRUE(relay);
    const std::uint16_t port = relay->address().port();
    std::vector<DatagramSocket> clients;
    for (const char* ip : {"127.0.0.2", "127.0.0.3"}) {
      auto target = Address::parse(std::string(ip) + ":" + std::to_string(port));
      ASSERT_TRUE(target.ok());
      auto s = DatagramSocket::connect(*target);
      ASSERT_TRUE(s.ok()) << s.error().message();
      clients.push_back(std::move(*s));
    }
    for (std::uint32_t i = 0; i < clients.size(); ++i) {
      ASSERT_EQ(clients[i].send(request(i + 1)), 0);
      const auto at_server = receive(server_, kArrival);
      ASSERT_TRUE(at_server);
      ASSERT_EQ(server_.send_to(request(10 * (i + 1)), at_server->from), 0);
    }
    for (std::uint32_t i = 0; i < clients.size(); ++i) {
      const auto reply = receive(clients[i], kArrival);
      ASSERT_TRUE(reply) << "no reply from the address asked, client " << i;
      EXPECT_EQ(tag_of(reply->bytes), 10 * (i + 1));
    }
    EXPECT_EQ(relay->stop()[Direction::reverse].send_failed, 0u);
  }
}

TEST_P(RelayTest, ReorderedDatagramGoesOutBehindTheNextOne) {
  RelayOptions options;
  options.reorder_hold = milliseconds(5000);  // 2 releases 1 long before: no race with the timer
  auto relay = start({.reorder = 100}, {}, options);
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  ASSERT_EQ(c.send(request(1)), 0);  // held
  ASSERT_EQ(c.send(request(2)), 0);  // finds the slot taken: goes out, then 1
  const auto first = receive(server_, kArrival);
  const auto second = receive(server_, kArrival);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(tag_of(first->bytes), 2u);
  EXPECT_EQ(tag_of(second->bytes), 1u);
  EXPECT_EQ(relay->stop()[Direction::forward].reordered, 1u);
}

TEST_P(RelayTest, ReorderedDatagramIsReleasedAfterTheHoldTime) {
  RelayOptions options;
  options.reorder_hold = milliseconds(80);
  auto relay = start({.reorder = 100}, {}, options);
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  const auto sent = Clock::now();
  ASSERT_EQ(c.send(request(1)), 0);
  const auto got = receive(server_, kArrival);
  ASSERT_TRUE(got);
  EXPECT_GE(Clock::now() - sent, milliseconds(80));
  EXPECT_EQ(tag_of(got->bytes), 1u);
}

TEST_P(RelayTest, DelayHoldsEachDatagramBack) {
  auto relay = start({}, {.delay = milliseconds(60)});
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  ASSERT_EQ(c.send(request(1)), 0);
  const auto at_server = receive(server_, kArrival);
  ASSERT_TRUE(at_server);
  const auto sent = Clock::now();
  ASSERT_EQ(server_.send_to(request(5), at_server->from), 0);
  ASSERT_FALSE(receive(c, milliseconds(30))) << "the reply is 60 ms late";
  const auto got = receive(c, kArrival);
  ASSERT_TRUE(got);
  EXPECT_GE(Clock::now() - sent, milliseconds(60));
  const RelayStats& s = relay->stop();
  EXPECT_EQ(s[Direction::reverse].delayed, 1u);
  EXPECT_EQ(s[Direction::forward].delayed, 0u) << "delay was asked for the reverse direction";
}

TEST_P(RelayTest, DuplicateSendsTwoCopies) {
  auto relay = start({.duplicate = 100});
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  ASSERT_EQ(c.send(request(7)), 0);
  const auto one = receive(server_, kArrival);
  const auto two = receive(server_, kArrival);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->bytes, request(7));
  EXPECT_EQ(two->bytes, request(7));
  EXPECT_FALSE(receive(server_, kSilence)) << "two copies, not three";
  EXPECT_EQ(relay->stop()[Direction::forward].duplicated, 1u);
}

TEST_P(RelayTest, LossHundredDropsEverything) {
  auto relay = start({.loss = 100});
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  for (std::uint32_t i = 0; i < 20; ++i) ASSERT_EQ(c.send(request(i)), 0);
  EXPECT_FALSE(receive(server_, kSilence));
  const RelayStats& s = relay->stop();
  EXPECT_EQ(s[Direction::forward].received, 20u);
  EXPECT_EQ(s[Direction::forward].dropped, 20u);
}

TEST_P(RelayTest, CutAndCorruptReachTheServerAsDecided) {
  auto relay = start({.corrupt = 100});
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  for (std::uint32_t i = 0; i < 20; ++i) {
    const Bytes sent = request(0x01010101u * i);
    ASSERT_EQ(c.send(sent), 0);
    const auto got = receive(server_, kArrival);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->bytes.size(), sent.size());
    int changed = 0;
    for (std::size_t k = 0; k < sent.size(); ++k) changed += got->bytes[k] != sent[k] ? 1 : 0;
    EXPECT_EQ(changed, 1) << "datagram " << i;
  }
  relay->stop();

  relay = start({.cut = 100});
  ASSERT_TRUE(relay);
  DatagramSocket d = client(*relay);
  for (std::uint32_t i = 0; i < 20; ++i) {
    const Bytes sent = request(i);
    ASSERT_EQ(d.send(sent), 0);
    const auto got = receive(server_, kArrival);
    ASSERT_TRUE(got);
    ASSERT_LT(got->bytes.size(), sent.size());
    EXPECT_TRUE(std::equal(got->bytes.begin(), got->bytes.end(), sent.begin()));
  }
  EXPECT_EQ(relay->stop()[Direction::forward].cut, 20u);
}

TEST_P(RelayTest, MaxFlowsEvictsTheLeastRecentlyUsed) {
  RelayOptions options;
  options.max_flows = 2;
  auto relay = start({}, {}, options);
  ASSERT_TRUE(relay);
  std::vector<DatagramSocket> clients;
  std::vector<Address> upstream;
  for (std::uint32_t i = 0; i < 3; ++i) {
    clients.push_back(client(*relay));
    ASSERT_EQ(clients.back().send(request(i)), 0);
    const auto got = receive(server_, kArrival);
    ASSERT_TRUE(got);
    upstream.push_back(got->from);
  }
  // Client 0 was evicted by client 2: it comes back through a new upstream socket.
  ASSERT_EQ(clients[0].send(request(0)), 0);
  const auto again = receive(server_, kArrival);
  ASSERT_TRUE(again);
  EXPECT_NE(again->from, upstream[0]);
  const RelayStats& s = relay->stop();
  EXPECT_EQ(s.flows.created, 4u);
  EXPECT_EQ(s.flows.evicted, 2u);
  EXPECT_EQ(s.flows.active, 2u);
}

TEST_P(RelayTest, IdleFlowExpires) {
  // The relay reads the time from a clock this test moves: no sleep, and no machine is too
  // slow or too fast for it.
  auto offset = std::make_shared<std::atomic<std::int64_t>>(0);  // ns past an arbitrary start
  const Clock::time_point start_time = Clock::now();
  RelayOptions options;
  options.idle_timeout = milliseconds(60'000);
  options.clock = [offset, start_time] {
    return start_time + std::chrono::nanoseconds(offset->load());
  };
  const auto move_to = [&offset](std::chrono::nanoseconds t) { offset->store(t.count()); };
  auto relay = start({}, {}, options);
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  ASSERT_EQ(c.send(request(1)), 0);
  const auto first = receive(server_, kArrival);
  ASSERT_TRUE(first);
  // A nanosecond short of the timeout: the flow lives, and this datagram makes it active again.
  const std::chrono::nanoseconds idle = options.idle_timeout;
  move_to(idle - std::chrono::nanoseconds(1));
  ASSERT_EQ(c.send(request(2)), 0);
  const auto kept = receive(server_, kArrival);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->from, first->from);
  // A reply through the relay: once the client has it, the relay is done with the batch that
  // read request 2 (a batch is read at one time), so request 3 is read at the time set next.
  ASSERT_EQ(server_.send_to(request(20), kept->from), 0);
  ASSERT_TRUE(receive(c, kArrival));
  // Idle for the whole timeout since then: the flow is gone, the next datagram opens a new one.
  move_to(2 * idle - std::chrono::nanoseconds(1));
  ASSERT_EQ(c.send(request(3)), 0);
  const auto second = receive(server_, kArrival);
  ASSERT_TRUE(second);
  EXPECT_NE(second->from, first->from);
  const RelayStats& s = relay->stop();
  EXPECT_EQ(s.flows.expired, 1u);
  EXPECT_EQ(s.flows.created, 2u);
}

TEST_P(RelayTest, HeldCopiesAreBoundedAndOverflowIsCounted) {
  RelayOptions options;
  options.max_held = 3;
  // Long enough that all ten arrive before the first is due, even on a loaded machine.
  auto relay = start({.delay = milliseconds(500)}, {}, options);
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  for (std::uint32_t i = 0; i < 10; ++i) ASSERT_EQ(c.send(request(i)), 0);
  for (std::uint32_t i = 0; i < 3; ++i) {
    const auto got = receive(server_, kArrival);
    ASSERT_TRUE(got);
    EXPECT_EQ(tag_of(got->bytes), i) << "the first three were kept, in order";
  }
  EXPECT_FALSE(receive(server_, kSilence));
  const RelayStats& s = relay->stop();
  EXPECT_EQ(s[Direction::forward].overflow, 7u);
  EXPECT_EQ(s.held_now, 0u);
}

TEST_P(RelayTest, TraceReportsEveryDecision) {
  std::vector<std::string> actions;
  RelayOptions options;
  // Called on the relay thread; read after stop() joined it.
  options.trace = [&actions](const TraceRecord& r) {
    actions.push_back(std::string(to_string(r.direction)) + " " + std::string(r.action));
  };
  auto relay = start({.loss = 100}, {}, options);
  ASSERT_TRUE(relay);
  DatagramSocket c = client(*relay);
  ASSERT_EQ(c.send(request(1)), 0);
  ASSERT_EQ(c.send(request(2)), 0);
  EXPECT_FALSE(receive(server_, kSilence));
  relay->stop();
  EXPECT_EQ(actions, (std::vector<std::string>{"forward drop", "forward drop"}));
}

TEST(Relay, RejectsOutOfRangeFaults) {
  RelayOptions options;
  options.listen = {Address::loopback(Family::v6, 0)};
  options.server = Address::loopback(Family::v6, 9);
  options.faults[as_index(Direction::reverse)].corrupt = 150;
  auto relay = Relay::create(std::move(options));
  ASSERT_FALSE(relay.ok());
  EXPECT_THAT(relay.error().context, ::testing::HasSubstr("reverse: corrupt 150"));
}

INSTANTIATE_TEST_SUITE_P(Pollers, RelayTest, ::testing::Values(PollerKind::epoll, PollerKind::poll),
                         [](const auto& p) {
                           return std::string(p.param == PollerKind::epoll ? "epoll" : "poll");
                         });

}  // namespace
}  // namespace sockcalc::linksim
