// SPDX-License-Identifier: MIT
// tests/unit/client_test.cpp -- unit tests of client/client (internal to tests/).
// Client::call and call_first against a real in-process server and a hand-driven fake server
// socket: results, error and malformed replies, retransmission, refusal (P-1, P-11, P-12).
// Each test's client call runs on one helper thread at most; the test thread drives the fake.
#include <gtest/gtest.h>

#include "running_server.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/closed_port.hpp"
#include "support/datagrams.hpp"

namespace sockcalc::client {
namespace {

using protocol::Format;
using protocol::Op;
using protocol::Request;
using protocol::RequestError;
using protocol::RequestFault;
using testing::ClosedPort;
using testing::Datagram;
using testing::encode;
using testing::encode_error;
using testing::encode_success;
using testing::make_request;
using Clock = std::chrono::steady_clock;

// Upper bound of every wait for a datagram; never used as a sleep.
constexpr int kWaitMs = 2000;

std::uint32_t expected_value(const Request& r) {
  return protocol::compute(r.op, r.operands.values());
}

// Options for a fake that answers at once: one try, a generous bound.
CallOptions one_try() {
  CallOptions o;
  o.timeout = std::chrono::milliseconds(kWaitMs);
  o.retries = 0;
  return o;
}

using testing::RunningServer;

std::unique_ptr<RunningServer> start_server(const Address& local) {
  server::ServerOptions options;
  options.log = [](const std::string&) {};
  auto s = server::Server::bind({local}, std::move(options));
  EXPECT_TRUE(s.ok()) << s.error().message();
  if (!s) return nullptr;
  return std::make_unique<RunningServer>(std::move(*s));
}

// The test's own "server": a socket the test reads from and answers by hand.
class FakeServer {
 public:
  FakeServer() {
    auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
    EXPECT_TRUE(s.ok()) << s.error().message();
    if (s) socket_ = std::move(*s);
    auto a = socket_.local_address();
    if (a) address_ = *a;
  }

  struct Received {
    Datagram bytes;
    Address peer;
  };

  /// The next datagram, waiting at most kWaitMs.
  std::optional<Received> next() const {
    if (!socket_.wait_readable(kWaitMs)) return std::nullopt;
    std::array<std::byte, 65536> buf{};
    Received r;
    const RecvResult rx = socket_.recv_from(buf, &r.peer);
    if (rx.outcome != RecvOutcome::received) return std::nullopt;
    r.bytes.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(rx.held));
    return r;
  }
  /// Whether a datagram is queued right now.
  [[nodiscard]] bool has_more() const { return socket_.wait_readable(0); }

  void reply(const Datagram& bytes, const Address& peer) const {
    EXPECT_EQ(socket_.send_to(bytes, peer), 0);
  }
  [[nodiscard]] const Address& address() const { return address_; }

 private:
  DatagramSocket socket_;
  Address address_;
};

Client connect_or_fail(const Address& server) {
  auto c = Client::connect(server);
  EXPECT_TRUE(c.ok()) << c.error().message();
  return std::move(*c);
}

// Runs `client.call()` on a helper thread so that the test thread can drive a fake server.
std::future<Result<CallResult>> call_async(Client& client, const Request& request,
                                           const CallOptions& options) {
  return std::async(std::launch::async,
                    [&client, request, options] { return client.call(request, options); });
}

// Serves one request from `fake` with `reply`, checking that it is the request's encoding.
CallResult answer_once(const Request& request, const Datagram& reply) {
  FakeServer fake;
  Client client = connect_or_fail(fake.address());
  auto pending = call_async(client, request, one_try());
  auto got = fake.next();
  EXPECT_TRUE(got.has_value()) << "the client sent nothing";
  if (got) {
    EXPECT_EQ(got->bytes, encode(request)) << course_hex(got->bytes);
    fake.reply(reply, got->peer);
  }
  auto result = pending.get();
  EXPECT_TRUE(result.ok()) << result.error().message();
  return result.ok() ? *result : CallResult{};
}

// ---- Against a real server ----

TEST(ClientLive, BothFormatsGiveTheComputedValue) {
  auto server = start_server(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(server);
  Client client = connect_or_fail(server->address());
  const Request requests[] = {
      make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}),
      make_request(Op::product, Format::string, {1, 3, 5, 7, 9}),
      make_request(Op::product, Format::integer, {65536, 65536}),
      make_request(Op::sum, Format::string, {0xFFFFFFFFu, 0xFFFFFFFFu}),
  };
  for (const Request& base : requests) {
    for (Format f : {Format::integer, Format::string}) {
      Request r = base;
      r.format = f;
      auto result = client.call(r, one_try());
      ASSERT_TRUE(result.ok()) << result.error().message();
      EXPECT_EQ(result->status, CallStatus::success);
      EXPECT_EQ(result->value, expected_value(r));
      EXPECT_EQ(result->tries, 1);
      EXPECT_EQ(result->reply, encode_success(expected_value(r), f));
      EXPECT_EQ(result->peer, server->address());
    }
  }
  EXPECT_TRUE(server->stop().ok());
}

TEST(ClientLive, P13_UnixPathServerAnswersAnAutoboundClient) {
  std::string dir = (std::filesystem::temp_directory_path() / "sockcalc-unit-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  {
    auto where = Address::parse_unix("unix:" + dir + "/calc.sock");
    ASSERT_TRUE(where.ok());
    auto server = start_server(*where);
    ASSERT_TRUE(server);
    Client client = connect_or_fail(server->address());
    const Request r = make_request(Op::product, Format::string, {1, 3, 5, 7, 9});
    auto result = client.call(r, one_try());
    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(result->status, CallStatus::success);
    EXPECT_EQ(result->value, expected_value(r));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(ClientLive, RequestWithNoIntegerIsALocalError) {
  FakeServer fake;
  Client client = connect_or_fail(fake.address());
  auto result = client.call(Request{}, one_try());
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(fake.has_more());  // nothing was sent
}

// ---- Replies from a fake server ----

TEST(ClientFake, P8_ErrorReplyGivesItsReason) {
  const Request r = make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  const Datagram reply = encode_error({RequestError::unknown_opcode, 2}, encode(r).size());
  const CallResult got = answer_once(r, reply);
  EXPECT_EQ(got.status, CallStatus::error_reply);
  EXPECT_EQ(got.reason, "unknown opcode 2");
  EXPECT_EQ(got.reply, reply);
  EXPECT_EQ(got.tries, 1);
}

TEST(ClientFake, P8_ErrorReplyWithoutReason) {
  const Request r = make_request(Op::sum, Format::integer, {1});
  const CallResult got = answer_once(r, encode_error({RequestError::empty, 0}, 0));
  EXPECT_EQ(got.status, CallStatus::error_reply);
  EXPECT_EQ(got.reason, "");
}

TEST(ClientFake, P11_StringReplyWithNulIsMalformed) {
  const Request r = make_request(Op::product, Format::string, {1, 3, 5, 7, 9});
  Datagram reply = encode_success(expected_value(r), Format::string);
  reply.push_back(std::byte{0});  // "945\0": 5 bytes
  ASSERT_EQ(reply.size(), 5u);
  const CallResult got = answer_once(r, reply);
  EXPECT_EQ(got.status, CallStatus::malformed);
  EXPECT_EQ(got.malformed, protocol::ReplyError::not_a_digit);
  EXPECT_EQ(got.reply, reply);
}

TEST(ClientFake, P11_ThreeByteIntegerIsMalformed) {
  const Request r = make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  Datagram reply = encode_success(expected_value(r), Format::integer);
  reply.pop_back();  // a 3-byte integer
  const CallResult got = answer_once(r, reply);
  EXPECT_EQ(got.status, CallStatus::malformed);
  EXPECT_EQ(got.malformed, protocol::ReplyError::wrong_integer_length);
}

TEST(ClientFake, P11_EmptyReplyIsMalformed) {
  const CallResult got = answer_once(make_request(Op::sum, Format::integer, {1}), Datagram{});
  EXPECT_EQ(got.status, CallStatus::malformed);
  EXPECT_EQ(got.malformed, protocol::ReplyError::empty);
}

TEST(ClientFake, P10_UnusedReplyBitsAreIgnored) {
  const Request r = make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  Datagram reply = encode_success(expected_value(r), Format::integer);
  reply[0] |= std::byte{wire::kReplyUnusedMask};
  const CallResult got = answer_once(r, reply);
  EXPECT_EQ(got.status, CallStatus::success);
  EXPECT_EQ(got.value, 25u);
}

TEST(ClientFake, P12_NoReplyRetransmitsThenGivesUp) {
  FakeServer fake;
  Client client = connect_or_fail(fake.address());
  const Request r = make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  CallOptions o;
  o.timeout = std::chrono::milliseconds(20);
  o.retries = 2;
  o.backoff = 2.0;
  o.max_timeout = std::chrono::milliseconds(1000);
  const auto start = Clock::now();
  auto result = client.call(r, o);
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::no_reply);
  EXPECT_EQ(result->tries, 3);
  EXPECT_GE(elapsed, std::chrono::milliseconds(20 + 40 + 80));  // the back-off was waited out
  // The fake saw exactly three identical datagrams.
  for (int i = 0; i < 3; ++i) {
    auto got = fake.next();
    ASSERT_TRUE(got.has_value()) << "datagram " << i;
    EXPECT_EQ(got->bytes, encode(r));
  }
  EXPECT_FALSE(fake.has_more());
}

TEST(ClientFake, P12_BackOffIsCappedByMaxTimeout) {
  FakeServer fake;
  Client client = connect_or_fail(fake.address());
  CallOptions o;
  o.timeout = std::chrono::milliseconds(20);
  o.retries = 2;
  o.backoff = 100.0;  // uncapped, the waits would be 20 ms, 2 s, 200 s
  o.max_timeout = std::chrono::milliseconds(30);
  const auto start = Clock::now();
  auto result = client.call(make_request(Op::sum, Format::integer, {1}), o);
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->status, CallStatus::no_reply);
  EXPECT_EQ(result->tries, 3);
  EXPECT_GE(elapsed, std::chrono::milliseconds(20 + 30 + 30));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

TEST(ClientFake, P12_FirstDatagramLostSecondAnswered) {
  FakeServer fake;
  Client client = connect_or_fail(fake.address());
  const Request r = make_request(Op::product, Format::string, {1, 3, 5, 7, 9});
  CallOptions o;
  o.timeout = std::chrono::milliseconds(150);
  o.backoff = 10.0;  // the second wait (1.5 s) leaves the fake ample time to answer
  o.max_timeout = std::chrono::milliseconds(5000);
  o.retries = 3;
  int sent = 0;
  int received = 0;
  o.trace = [&sent, &received](Direction direction, const Address&, const Address&,
                               protocol::Bytes) {
    ++(direction == Direction::sent ? sent : received);
  };
  auto pending = call_async(client, r, o);
  auto first = fake.next();
  ASSERT_TRUE(first.has_value());  // dropped: no answer
  auto second = fake.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->bytes, first->bytes);
  fake.reply(encode_success(expected_value(r), r.format), second->peer);
  auto result = pending.get();
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::success);
  EXPECT_EQ(result->value, 945u);
  EXPECT_EQ(result->tries, 2);
  EXPECT_EQ(sent, 2);
  EXPECT_EQ(received, 1);
}

TEST(ClientFake, P12_DuplicatedLateReplyDoesNotMatter) {
  FakeServer fake;
  Client client = connect_or_fail(fake.address());
  const Request r = make_request(Op::sum, Format::string, {1, 3, 5, 7, 9});
  CallOptions o;
  o.timeout = std::chrono::milliseconds(50);
  o.backoff = 20.0;
  o.max_timeout = std::chrono::milliseconds(5000);
  o.retries = 3;
  auto pending = call_async(client, r, o);
  // Both tries arrive before any answer; then each gets its (identical) reply.
  auto first = fake.next();
  auto second = fake.next();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  const Datagram reply = encode_success(expected_value(r), r.format);
  fake.reply(reply, second->peer);
  fake.reply(reply, first->peer);
  auto result = pending.get();
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::success);
  EXPECT_EQ(result->value, 25u);
  EXPECT_EQ(result->tries, 2);
}

// ---- Refusal and candidates ----

TEST(ClientRefused, ClosedPortIsRefused) {
  auto closed = ClosedPort::open(Family::v6);
  ASSERT_TRUE(closed) << closed.error().message();
  Client client = connect_or_fail(closed->address());
  auto result = client.call(make_request(Op::sum, Format::integer, {1}), one_try());
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::refused);
  EXPECT_EQ(result->tries, 1);
}

TEST(ClientRefused, CallFirstPassesARefusingCandidate) {
  auto server = start_server(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(server);
  const Request r = make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  auto closed = ClosedPort::open(Family::v6);
  ASSERT_TRUE(closed) << closed.error().message();
  auto result = call_first({closed->address(), server->address()}, r, one_try());
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::success);
  EXPECT_EQ(result->value, 25u);
  EXPECT_EQ(result->peer, server->address());
}

TEST(ClientRefused, CallFirstPassesAMissingUnixPath) {
  auto server = start_server(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(server);
  std::string dir = (std::filesystem::temp_directory_path() / "sockcalc-unit-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  auto missing = Address::parse_unix("unix:" + dir + "/nobody.sock");
  ASSERT_TRUE(missing.ok());
  auto result = call_first({*missing, server->address()},
                           make_request(Op::sum, Format::integer, {2, 2}), one_try());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::success);
  EXPECT_EQ(result->value, 4u);
}

TEST(ClientRefused, CallFirstWithOnlyRefusalsIsRefused) {
  auto closed = ClosedPort::open(Family::v6);
  ASSERT_TRUE(closed) << closed.error().message();
  auto result =
      call_first({closed->address()}, make_request(Op::sum, Format::integer, {1}), one_try());
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->status, CallStatus::refused);
}

// The port stays ours while the test runs: no other socket can bind it, on ::1 or on the
// wildcard, so no test running in parallel can start answering there (support/closed_port.hpp).
TEST(ClientRefused, AClosedPortCannotBeTakenWhileHeld) {
  for (Family family : {Family::v6, Family::v4}) {
    auto closed = ClosedPort::open(family);
    ASSERT_TRUE(closed) << closed.error().message();
    for (const Address& taker : {closed->address(), Address::any(family, closed->port())}) {
      auto other = DatagramSocket::bind(taker);
      EXPECT_FALSE(other.ok()) << taker.to_string() << " was bound";
      if (!other.ok()) {
        EXPECT_EQ(other.error().code, std::errc::address_in_use);
      }
    }
  }
}

TEST(ClientRefused, CallFirstWithNoCandidateFails) {
  EXPECT_FALSE(call_first({}, make_request(Op::sum, Format::integer, {1}), one_try()).ok());
}

}  // namespace
}  // namespace sockcalc::client
