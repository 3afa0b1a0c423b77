// SPDX-License-Identifier: MIT
// tests/unit/server_test.cpp -- unit tests of server/engine and server/stats (internal to tests/).
// A real Server on loopback or a Unix path, served on its own thread: one reply per datagram,
// counters, report, stop, socket file clean-up, unnamed senders (P-1, P-7, P-8, P-13).
// The server runs on one helper thread; stats() is read only after that thread was joined.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "running_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/server/stats.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/datagrams.hpp"
#include "support/process.hpp"

using ::testing::HasSubstr;

namespace sockcalc::server {

// Names the engine in ctest's test list (found by argument-dependent lookup, so it lives in the
// enum's own namespace).
void PrintTo(Engine engine, std::ostream* os) {
  *os << (engine == Engine::simple ? "simple" : "batch");
}

namespace {

using protocol::Format;
using protocol::Op;
using protocol::Request;
using protocol::RequestError;
using testing::Datagram;
using testing::datagram_of_size;
using testing::encode;
using testing::make_request;

// Upper bound of every wait for a datagram or a log line; never used as a sleep.
constexpr int kWaitMs = 2000;
// How long a negative check ("no reply comes") listens.
constexpr int kQuietMs = 100;

// The reply the spec asks for, from the library's own pure handler (all bytes held).
Datagram expected_reply(const Datagram& request) {
  std::array<std::byte, wire::kRecvBufferSize> out{};
  const protocol::Answer a = protocol::answer(request, request.size(), out);
  return Datagram(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(a.size));
}

std::optional<Datagram> next_datagram(const DatagramSocket& s, int timeout_ms = kWaitMs) {
  if (!s.wait_readable(timeout_ms)) return std::nullopt;
  std::vector<std::byte> buf(65536);
  const RecvResult rx = s.recv_from(buf, nullptr);
  if (rx.outcome != RecvOutcome::received) return std::nullopt;
  buf.resize(rx.held);
  return buf;
}

// Log lines of a server, which may arrive on its thread while the test waits for one.
class LogCapture {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      {
        std::lock_guard lock(mutex_);
        lines_.push_back(line);
      }
      changed_.notify_all();
    };
  }
  /// Waits (at most kWaitMs) for a line containing `needle`; returns it.
  std::optional<std::string> wait_for(const std::string& needle) {
    std::unique_lock lock(mutex_);
    std::optional<std::string> found;
    changed_.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] {
      for (const std::string& l : lines_) {
        if (l.find(needle) != std::string::npos) found = l;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

using testing::RunningServer;

// Quiet options for the engine under test.
ServerOptions quiet(Engine engine) {
  ServerOptions options;
  options.engine = engine;
  options.log = [](const std::string&) {};
  return options;
}

std::unique_ptr<RunningServer> start_server(const Address& local, ServerOptions options) {
  auto s = Server::bind({local}, std::move(options));
  EXPECT_TRUE(s.ok()) << s.error().message();
  if (!s) return nullptr;
  return std::make_unique<RunningServer>(std::move(*s));
}

Address server_address_of(const DatagramSocket& s) {
  auto a = s.local_address();
  EXPECT_TRUE(a.ok()) << a.error().message();
  return a.ok() ? *a : Address{};
}

DatagramSocket connect_or_fail(const Address& a) {
  auto s = DatagramSocket::connect(a);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : DatagramSocket{};
}

// Every engine test runs once per I/O mechanism: the course's recvfrom/sendto loop and the
// recvmmsg/sendmmsg batches.
class ServerEngine : public ::testing::TestWithParam<Engine> {};

INSTANTIATE_TEST_SUITE_P(Mechanisms, ServerEngine, ::testing::Values(Engine::simple, Engine::batch),
                         [](const ::testing::TestParamInfo<Engine>& param) {
                           return param.param == Engine::simple ? "simple" : "batch";
                         });

// ---- One reply per datagram ----

TEST_P(ServerEngine, P7_P8_GarbageGetsOneErrorReplyEachThenAGoodRequestIsServed) {
  auto server = start_server(Address::loopback(Family::v6, 0), quiet(GetParam()));
  ASSERT_TRUE(server);
  DatagramSocket client = connect_or_fail(server->address());

  Datagram opcode5 = encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  opcode5[0] = (opcode5[0] & ~std::byte{wire::kOpcodeMask}) | std::byte{5 << wire::kOpcodeShift};
  const std::vector<Datagram> garbage = {
      Datagram{},              // empty
      datagram_of_size(1),     // header only
      opcode5,                 // undefined opcode
      datagram_of_size(2),     // misaligned, 2-byte reply
      datagram_of_size(300),   // misaligned and truncated by the server's buffer
      datagram_of_size(3000),  // same, far beyond it
      datagram_of_size(1001),  // too many integers, judged on the real length
  };
  Stats want;
  for (const Datagram& d : garbage) {
    ASSERT_EQ(client.send(d), 0);
    auto reply = next_datagram(client);
    ASSERT_TRUE(reply.has_value()) << "no reply to a " << d.size() << "-byte datagram";
    EXPECT_EQ(*reply, expected_reply(d)) << d.size() << " bytes: " << course_hex(*reply);
    ASSERT_GE(reply->size(), 1u);
    EXPECT_LE(reply->size(), std::max<std::size_t>(1, d.size()));
    EXPECT_EQ(std::to_integer<int>((*reply)[0]), 0x00);
    const auto fault = protocol::decode_request(d).fault;
    ASSERT_TRUE(fault.has_value());
    want.count_error(fault->error);
    if (d.size() > wire::kRecvBufferSize) ++want.truncated;
  }
  const Request good = make_request(Op::product, Format::string, {1, 3, 5, 7, 9});
  ASSERT_EQ(client.send(encode(good)), 0);
  auto reply = next_datagram(client);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(*reply, expected_reply(encode(good)));
  EXPECT_FALSE(next_datagram(client, kQuietMs).has_value()) << "a second reply came";

  ASSERT_TRUE(server->stop().ok());
  const Stats got = server->stats();
  EXPECT_EQ(got.received.value(), garbage.size() + 1);
  EXPECT_EQ(got.answered.value(), garbage.size() + 1);
  EXPECT_EQ(got.results.value(), 1u);
  EXPECT_EQ(got.error_replies.value(), garbage.size());
  for (std::size_t i = 0; i < want.by_error.size(); ++i) {
    EXPECT_EQ(got.by_error[i].value(), want.by_error[i].value()) << "by_error[" << i << "]";
  }
  EXPECT_EQ(got.truncated.value(), 3u);
  EXPECT_EQ(got.truncated.value(), want.truncated.value());
  EXPECT_EQ(got.unanswerable.value(), 0u);
  EXPECT_EQ(got.send_failed.value(), 0u);
  EXPECT_EQ(got.recv_failed.value(), 0u);
  // Each rule broken here was counted under its own name.
  EXPECT_EQ(got.by_error[static_cast<std::size_t>(RequestError::empty)].value(), 1u);
  EXPECT_EQ(got.by_error[static_cast<std::size_t>(RequestError::no_operands)].value(), 1u);
  EXPECT_EQ(got.by_error[static_cast<std::size_t>(RequestError::unknown_opcode)].value(), 1u);
  EXPECT_EQ(got.by_error[static_cast<std::size_t>(RequestError::misaligned_payload)].value(), 3u);
  EXPECT_EQ(got.by_error[static_cast<std::size_t>(RequestError::too_many_operands)].value(), 1u);
}

TEST_P(ServerEngine, P1_RepliesGoToEachRequestsSource) {
  auto server = start_server(Address::any(Family::v6, 0), quiet(GetParam()));
  ASSERT_TRUE(server);
  const std::uint16_t port = server->address().port();
  // One client per family; each must get its own answer (the [::] server is dual stack).
  DatagramSocket v6 = connect_or_fail(Address::loopback(Family::v6, port));
  DatagramSocket v4 = connect_or_fail(Address::loopback(Family::v4, port));
  const Request a = make_request(Op::sum, Format::integer, {1, 2});
  const Request b = make_request(Op::sum, Format::integer, {30, 40});
  ASSERT_EQ(v6.send(encode(a)), 0);
  ASSERT_EQ(v4.send(encode(b)), 0);
  auto ra = next_datagram(v6);
  auto rb = next_datagram(v4);
  ASSERT_TRUE(ra.has_value());
  ASSERT_TRUE(rb.has_value());
  EXPECT_EQ(*ra, expected_reply(encode(a)));
  EXPECT_EQ(*rb, expected_reply(encode(b)));
}

// An address of the host's loopback range other than the one a wildcard socket's replies would
// leave from by default: the whole of 127.0.0.0/8 is local on Linux.
Address loopback_v4(const char* text, std::uint16_t port) {
  auto a = Address::parse(std::string(text) + ":" + std::to_string(port));
  EXPECT_TRUE(a.ok()) << a.error().message();
  return a.ok() ? *a : Address{};
}

// P-1 on a wildcard address: each reply leaves from the address its request was sent to, which
// the client's connected socket requires (it drops a reply from any other address). Asked on
// 127.0.0.2 and 127.0.0.3, a server that let the routing table pick would answer from
// 127.0.0.1. Both families of wildcard, two workers (one SO_REUSEPORT socket each).
TEST_P(ServerEngine, P1_WildcardRepliesFromTheAddressAsked) {
  for (Family family : {Family::v6, Family::v4}) {
    ServerOptions options = quiet(GetParam());
    options.threads = 2;
    auto server = start_server(Address::any(family, 0), std::move(options));
    ASSERT_TRUE(server);
    const std::uint16_t port = server->address().port();
    std::vector<Address> asked = {loopback_v4("127.0.0.2", port), loopback_v4("127.0.0.3", port)};
    if (family == Family::v6) asked.push_back(Address::loopback(Family::v6, port));
    for (const Address& target : asked) {
      DatagramSocket client = connect_or_fail(target);
      const Request r = make_request(Op::product, Format::string, {3, 5, 7});
      ASSERT_EQ(client.send(encode(r)), 0);
      auto reply = next_datagram(client);
      ASSERT_TRUE(reply.has_value())
          << "no reply (from the right address) to a request sent to " << target.to_string();
      EXPECT_EQ(*reply, expected_reply(encode(r)));
    }
    EXPECT_TRUE(server->stop().ok());
    EXPECT_EQ(server->stats().send_failed.value(), 0u);
  }
}

// The tap sees the server's side of each exchange on a wildcard socket: the address asked.
TEST_P(ServerEngine, TapOfAWildcardServerSeesTheAddressAsked) {
  std::mutex mutex;
  std::vector<std::string> seen;  // "received 127.0.0.2", "sent 127.0.0.2"
  ServerOptions options = quiet(GetParam());
  options.tap = [&](const TapRecord& r) {
    std::lock_guard lock(mutex);
    const std::string where =
        r.local != nullptr && !r.local->empty() ? r.local->address(0).to_string() : "(none)";
    seen.push_back((r.event == TapEvent::received ? "received " : "sent ") + where);
  };
  auto server = start_server(Address::any(Family::v4, 0), std::move(options));
  ASSERT_TRUE(server);
  DatagramSocket client = connect_or_fail(loopback_v4("127.0.0.2", server->address().port()));
  ASSERT_EQ(client.send(encode(make_request(Op::sum, Format::integer, {1}))), 0);
  ASSERT_TRUE(next_datagram(client).has_value());
  EXPECT_TRUE(server->stop().ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"received 127.0.0.2:0", "sent 127.0.0.2:0"}));
}

// ---- Control: report and stop ----

TEST_P(ServerEngine, RequestReportLogsStatsAndKeepsServing) {
  LogCapture log;  // outlives the server, whose thread writes to it
  ServerOptions options = quiet(GetParam());
  options.log = log.sink();
  auto server = start_server(Address::loopback(Family::v6, 0), std::move(options));
  ASSERT_TRUE(server);
  server->server().request_report();
  const auto line = log.wait_for("stats ");
  ASSERT_TRUE(line.has_value()) << "no stats line within " << kWaitMs << " ms";
  EXPECT_THAT(*line, HasSubstr("received=")) << *line;

  DatagramSocket client = connect_or_fail(server->address());
  const Datagram request = encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  ASSERT_EQ(client.send(request), 0);
  auto reply = next_datagram(client);
  ASSERT_TRUE(reply.has_value()) << "the server stopped after a report";
  EXPECT_EQ(*reply, expected_reply(request));
  EXPECT_TRUE(server->stop().ok());
}

TEST_P(ServerEngine, RequestStopMakesRunReturnOk) {
  auto server = start_server(Address::loopback(Family::v6, 0), quiet(GetParam()));
  ASSERT_TRUE(server);
  const Status st = server->stop();
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST_P(ServerEngine, StopRequestedBeforeRunReturnsAtOnce) {
  auto s = Server::bind({Address::loopback(Family::v6, 0)}, quiet(GetParam()));
  ASSERT_TRUE(s.ok()) << s.error().message();
  s->request_stop();
  EXPECT_TRUE(s->run().ok());
  EXPECT_EQ(s->stats().received.value(), 0u);
}

// Idle workers sleep in their receive; request_stop() wakes them by shutting their sockets down
// for reading, which makes a sleeping receive return an empty "datagram" from nobody. It must
// stop every worker and never be served or counted as a datagram (it would show as received
// and unanswerable), over UDP (a socket each), a Unix socket (one for all) and an adopted one.
TEST_P(ServerEngine, StopWakesIdleWorkersAndCountsNothing) {
  auto dir = testing::TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  for (const Address& where : {Address::loopback(Family::v6, 0), dir->unix_address("idle.sock")}) {
    ServerOptions options = quiet(GetParam());
    options.threads = 3;
    auto server = start_server(where, std::move(options));
    ASSERT_TRUE(server);
    DatagramSocket client = connect_or_fail(server->address());
    const Datagram request = encode(make_request(Op::sum, Format::integer, {2, 3}));
    ASSERT_EQ(client.send(request), 0);
    ASSERT_TRUE(next_datagram(client).has_value()) << where.to_string();
    ASSERT_TRUE(server->stop().ok()) << where.to_string();  // the workers are idle again
    const Stats got = server->stats();
    EXPECT_EQ(got.received.value(), 1u) << where.to_string();
    EXPECT_EQ(got.answered.value(), 1u) << where.to_string();
    EXPECT_EQ(got.unanswerable.value(), 0u) << where.to_string();
    EXPECT_EQ(got.error_replies.value(), 0u) << where.to_string();
  }
  auto socket = DatagramSocket::bind(Address::loopback(Family::v4, 0));
  ASSERT_TRUE(socket.ok()) << socket.error().message();
  ServerOptions options = quiet(GetParam());
  options.threads = 2;
  auto adopted = Server::adopt(std::move(*socket), std::move(options));
  ASSERT_TRUE(adopted.ok()) << adopted.error().message();
  RunningServer server(std::move(*adopted));
  ASSERT_TRUE(server.stop().ok());
  EXPECT_EQ(server.stats().received.value(), 0u);
  EXPECT_EQ(server.stats().unanswerable.value(), 0u);
}

// An adopted socket is another process's too (socket activation: systemd keeps it and passes
// it to the next instance). Stopping must leave it as it was: a second server adopting the same
// socket answers and, idle, receives nothing (on a socket shut down for reading, every receive
// would return an empty "datagram" at once, counted by the thousand).
TEST_P(ServerEngine, StopLeavesAnAdoptedSocketForTheNextServer) {
  auto bound = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(bound.ok()) << bound.error().message();
  const Address local = server_address_of(*bound);
  for (int instance = 1; instance <= 2; ++instance) {
    auto copy = DatagramSocket::adopt(::dup(bound->fd()));  // the manager keeps `bound`
    ASSERT_TRUE(copy.ok()) << copy.error().message();
    ServerOptions options = quiet(GetParam());
    options.threads = 2;
    auto adopted = Server::adopt(std::move(*copy), std::move(options));
    ASSERT_TRUE(adopted.ok()) << adopted.error().message();
    RunningServer server(std::move(*adopted));
    DatagramSocket client = connect_or_fail(local);
    const Datagram request = encode(make_request(Op::sum, Format::integer, {4, 5}));
    ASSERT_EQ(client.send(request), 0);
    auto reply = next_datagram(client);
    ASSERT_TRUE(reply.has_value()) << "instance " << instance;
    EXPECT_EQ(*reply, expected_reply(request));
    std::this_thread::sleep_for(std::chrono::milliseconds(kQuietMs));
    ASSERT_TRUE(server.stop().ok());
    EXPECT_EQ(server.stats().received.value(), 1u) << "instance " << instance;
  }
}

TEST_P(ServerEngine, BindingAnAddressInUseFails) {
  auto first = start_server(Address::loopback(Family::v6, 0), quiet(GetParam()));
  ASSERT_TRUE(first);
  auto second = Server::bind({first->address()}, ServerOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message(), HasSubstr(first->address().to_string()))
      << second.error().message();
}

TEST_P(ServerEngine, SeveralWorkersAnswerEveryClient) {
  ServerOptions options = quiet(GetParam());
  options.threads = 3;
  auto server = start_server(Address::loopback(Family::v6, 0), std::move(options));
  ASSERT_TRUE(server);
  // Clients on distinct ports, so that SO_REUSEPORT spreads them over the workers.
  constexpr std::uint32_t kClients = 12;
  std::vector<DatagramSocket> clients;
  for (std::uint32_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_or_fail(server->address()));
    ASSERT_EQ(clients.back().send(encode(make_request(Op::sum, Format::integer, {i, 1000}))), 0);
  }
  for (std::uint32_t i = 0; i < kClients; ++i) {
    auto reply = next_datagram(clients[i]);
    ASSERT_TRUE(reply.has_value()) << "client " << i;
    EXPECT_EQ(*reply, expected_reply(encode(make_request(Op::sum, Format::integer, {i, 1000}))));
  }
  ASSERT_TRUE(server->stop().ok());
  const Stats got = server->stats();
  EXPECT_EQ(got.received.value(), kClients);
  EXPECT_EQ(got.answered.value(), kClients);
  EXPECT_EQ(got.results.value(), kClients);
}

TEST_P(ServerEngine, SeveralWorkersStillRefuseAPortInUse) {
  auto first = start_server(Address::loopback(Family::v6, 0), quiet(GetParam()));
  ASSERT_TRUE(first);
  ServerOptions options = quiet(GetParam());
  options.threads = 2;
  auto second = Server::bind({first->address()}, std::move(options));
  EXPECT_FALSE(second.ok()) << "a second server joined " << first->address().to_string();
}

// ---- Unix-domain servers ----

TEST_P(ServerEngine, SocketFileIsRemovedOnDestruction) {
  auto dir = testing::TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  const Address where = dir->unix_address("calc.sock");
  {
    auto server = start_server(where, quiet(GetParam()));
    ASSERT_TRUE(server);
    EXPECT_EQ(server->address(), where);
    struct stat st {};
    ASSERT_EQ(::lstat(where.unix_path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));

    DatagramSocket client = connect_or_fail(where);  // autobound (P-13)
    const Datagram request = encode(make_request(Op::sum, Format::string, {1, 3, 5, 7, 9}));
    ASSERT_EQ(client.send(request), 0);
    auto reply = next_datagram(client);
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(*reply, expected_reply(request));
  }
  EXPECT_FALSE(std::filesystem::exists(where.unix_path()));
}

TEST_P(ServerEngine, P13_UnnamedSenderIsCountedAndGetsNothing) {
  auto dir = testing::TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  auto server = start_server(dir->unix_address("calc.sock"), quiet(GetParam()));
  ASSERT_TRUE(server);
  const Datagram request = encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}));

  auto unnamed = DatagramSocket::open(AF_UNIX);  // never bound: it has no address
  ASSERT_TRUE(unnamed.ok());
  ASSERT_EQ(unnamed->send_to(request, server->address()), 0);
  // A named client's request, sent after it, is served after it: its reply shows that the
  // server has dealt with the unnamed one.
  DatagramSocket named = connect_or_fail(server->address());
  ASSERT_EQ(named.send(request), 0);
  auto reply = next_datagram(named);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(*reply, expected_reply(request));
  EXPECT_FALSE(unnamed->wait_readable(kQuietMs));

  ASSERT_TRUE(server->stop().ok());
  const Stats got = server->stats();
  EXPECT_EQ(got.received.value(), 2u);
  EXPECT_EQ(got.unanswerable.value(), 1u);
  EXPECT_EQ(got.answered.value(), 1u);
  EXPECT_EQ(got.results.value(), 1u);
  EXPECT_EQ(got.send_failed.value(), 0u);
}

// ---- The tap ----

TEST_P(ServerEngine, TapSeesEachDatagramAndReply) {
  struct Seen {
    TapEvent event;
    std::string peer;
    Datagram bytes;
    std::size_t wire_length;
  };
  std::vector<Seen> seen;  // written by the server thread, read after it was joined
  ServerOptions options = quiet(GetParam());
  options.tap = [&seen](const TapRecord& r) {
    seen.push_back(
        {r.event, r.peer.to_string(), Datagram(r.bytes.begin(), r.bytes.end()), r.wire_length});
  };
  auto server = start_server(Address::loopback(Family::v6, 0), std::move(options));
  ASSERT_TRUE(server);
  DatagramSocket client = connect_or_fail(server->address());
  const Datagram big = datagram_of_size(1001);
  ASSERT_EQ(client.send(big), 0);
  auto reply = next_datagram(client);
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(server->stop().ok());

  const std::string me = client.local_address()->to_string();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, TapEvent::received);
  EXPECT_EQ(seen[0].peer, me);
  EXPECT_EQ(seen[0].wire_length, 1001u);
  EXPECT_EQ(seen[0].bytes, Datagram(big.begin(), big.begin() + wire::kRecvBufferSize));
  EXPECT_EQ(seen[1].event, TapEvent::sent);
  EXPECT_EQ(seen[1].peer, me);
  EXPECT_EQ(seen[1].bytes, *reply);
}

// ---- Stats ----

TEST(Stats, ToStringNamesEveryCounter) {
  Stats s;
  s.received += 11;
  s.answered += 12;
  s.results += 13;
  s.error_replies += 14;
  for (std::size_t i = 0; i < s.by_error.size(); ++i) s.by_error[i] += 21 + i;
  s.truncated += 15;
  s.unanswerable += 16;
  s.rate_limited += 17;
  s.send_failed += 18;
  s.recv_failed += 19;
  const std::string text = s.to_string();
  for (const char* part :
       {"received=11", "answered=12", "results=13", "errors=14", "empty=21", "unknown_opcode=22",
        "no_integer=23", "misaligned=24", "too_many=25", "truncated=15", "unanswerable=16",
        "rate_limited=17", "send_failed=18", "recv_failed=19"}) {
    EXPECT_THAT(text, HasSubstr(part)) << "'" << part << "' missing in: " << text;
  }
}

TEST(Stats, PlusEqualsAddsEveryCounter) {
  Stats a;
  a.received += 1;
  for (std::size_t i = 0; i < a.by_error.size(); ++i) a.by_error[i] += i + 1;
  a.rate_limited += 2;
  a.recv_failed += 3;
  Stats b = a;
  b.answered += 7;
  b += a;
  EXPECT_EQ(b.received.value(), 2u);
  EXPECT_EQ(b.answered.value(), 7u);
  for (std::size_t i = 0; i < b.by_error.size(); ++i) EXPECT_EQ(b.by_error[i].value(), 2 * (i + 1));
  EXPECT_EQ(b.rate_limited.value(), 4u);
  EXPECT_EQ(b.recv_failed.value(), 6u);
  a.count_error(RequestError::too_many_operands);
  EXPECT_EQ(a.error_replies.value(), 1u);
  EXPECT_EQ(a.by_error[static_cast<std::size_t>(RequestError::too_many_operands)].value(), 6u);
}

}  // namespace
}  // namespace sockcalc::server
