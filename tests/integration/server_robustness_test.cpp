// SPDX-License-Identifier: MIT
// tests/integration/server_robustness_test.cpp -- internal to tests/integration.
// The real server under bad input (garbage datagrams, an unnamed Unix sender) and when it
// cannot start (port in use, bad address, no arguments). Test thread only.
#include <gmock/gmock.h>

#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "integration.hpp"

namespace sockcalc::integration {
namespace {

using protocol::Format;
using protocol::Op;

const std::vector<std::uint32_t> kIntegers = {1, 3, 5, 7, 9};

// The largest request the protocol allows: 64 integers.
Datagram max_request() {
  std::vector<std::uint32_t> v;
  for (std::uint32_t i = 0; i < wire::kMaxOperands; ++i) v.push_back(i + 1);
  return encode(make_request(Op::sum, Format::integer, v));
}

Datagram resized(Datagram d, std::size_t size) {
  d.resize(size);
  return d;
}

Datagram with_opcode(Datagram d, std::uint8_t opcode) {
  const auto b0 = std::to_integer<std::uint8_t>(d.at(0));
  d[0] = std::byte(static_cast<std::uint8_t>((b0 & ~wire::kOpcodeMask) |
                                             ((opcode << wire::kOpcodeShift) & wire::kOpcodeMask)));
  return d;
}

struct Garbage {
  const char* name;
  Datagram bytes;
};

// Every P-6 rule broken once, and datagrams far past the receive buffer (P-6: judged on the
// real length).
std::vector<Garbage> garbage() {
  const Datagram course = encode(make_request(Op::sum, Format::integer, kIntegers));
  return {
      {"empty", {}},
      {"1 byte", resized(course, 1)},
      {"2 bytes", resized(course, 2)},
      {"opcode 7", with_opcode(course, 7)},
      {"opcode 2", with_opcode(course, 2)},
      {"258 bytes", resized(max_request(), wire::kMaxRequestSize + 1)},
      {"2000 bytes", resized(max_request(), 2000)},
      {"65000 bytes", resized(max_request(), 65000)},
  };
}

// Receives one datagram on `s`, waiting up to kPatience.
std::optional<Datagram> receive(const DatagramSocket& s) {
  Datagram buf(65536);
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!s.wait_readable(static_cast<int>(kPatience.count()))) continue;
    const RecvResult rx = s.recv_from(buf, nullptr);
    if (rx.outcome == RecvOutcome::received) return resized(buf, rx.held);
    if (rx.outcome == RecvOutcome::failed) return std::nullopt;
  }
  return std::nullopt;
}

class IntegServerRobustness : public ::testing::Test {
 protected:
  void TearDown() override { print_on_failure(server_.get()); }
  std::unique_ptr<ServerProcess> server_;
};

// P-7, P-8: each garbage datagram gets exactly one error reply (S = 0, reason cut to the
// request's length, at least 1 byte); then valid requests are still answered.
TEST_F(IntegServerRobustness, GarbageGetsOneErrorReplyEachThenServes) {
  ASSERT_OK_AND_ASSIGN(server_, start_server({"::1", "0"}));
  DatagramSocket s;
  ASSERT_OK_AND_ASSIGN(s, DatagramSocket::connect(server_->address()));
  const auto cases = garbage();
  for (const Garbage& g : cases) {
    SCOPED_TRACE(g.name);
    const auto decoded = protocol::decode_request(g.bytes);
    ASSERT_FALSE(decoded.ok()) << "not garbage: " << g.name;
    ASSERT_EQ(s.send(g.bytes), 0);
    const auto reply = receive(s);
    ASSERT_TRUE(reply.has_value()) << "no reply to " << g.name;
    ASSERT_GE(reply->size(), 1u);
    EXPECT_EQ(std::to_integer<std::uint8_t>(reply->at(0)) & wire::kStatusMask, 0) << hex(*reply);
    EXPECT_LE(reply->size(), std::max<std::size_t>(g.bytes.size(), 1)) << hex(*reply);
    // Exactly the reply the codec gives for the first broken rule.
    EXPECT_EQ(*reply, encode_error(*decoded.fault, g.bytes.size())) << hex(*reply);
    const auto as_client_sees_it = protocol::decode_reply(*reply, Format::integer);
    EXPECT_TRUE(as_client_sees_it.ok() && !as_client_sees_it.reply.success) << hex(*reply);
  }
  // The next datagram is the answer to a valid request, so no garbage got a second reply.
  const auto request = make_request(Op::product, Format::string, kIntegers);
  ASSERT_EQ(s.send(encode(request)), 0);
  const auto reply = receive(s);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(*reply, encode_success(protocol::compute(Op::product, kIntegers), Format::string))
      << hex(*reply);

  const RunResult r =
      run_client(concat({"-op", "+", "::1", server_->port_arg()}, as_args(kIntegers)));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;

  ASSERT_TRUE(server_->stop(SIGTERM));
  const std::string& err = server_->process().err();
  const std::string n = std::to_string(cases.size() + 2);
  EXPECT_THAT(err, ::testing::HasSubstr("received=" + n + " answered=" + n +
                                        " results=2 errors=" + std::to_string(cases.size()) + " "));
  EXPECT_TRUE(server_->process().status().exited_with(kServerOk));
}

// P-13: a request from an unnamed Unix socket cannot be answered; the server counts it and
// keeps serving.
TEST_F(IntegServerRobustness, UnnamedUnixSenderIsCountedNotAnswered) {
  ASSERT_OK_AND_ASSIGN(const TempDir dir, TempDir::create());
  const std::string spec = "unix:" + dir.path() + "/s.sock";
  ASSERT_OK_AND_ASSIGN(server_, start_server({spec}));
  DatagramSocket unnamed;
  ASSERT_OK_AND_ASSIGN(unnamed, DatagramSocket::open(AF_UNIX));
  ASSERT_EQ(unnamed.send_to(encode(make_request(Op::sum, Format::integer, kIntegers)),
                            server_->address()),
            0);
  // The sender never bound, so it has no address the server could reply to.
  Address sender;
  ASSERT_OK_AND_ASSIGN(sender, unnamed.local_address());
  ASSERT_TRUE(sender.is_unnamed()) << sender.to_string();

  const RunResult r = run_client(concat({"-op", "+", spec}, as_args(kIntegers)));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;

  ASSERT_TRUE(server_->stop(SIGTERM));
  EXPECT_TRUE(server_->process().status().exited_with(kServerOk));
  const std::string& err = server_->process().err();
  EXPECT_THAT(err, ::testing::HasSubstr("received=2 answered=1 results=1 "));
  EXPECT_THAT(err, ::testing::HasSubstr("unanswerable=1 "));
}

// ---- Failures to start ----

RunResult run_server(const std::vector<std::string>& args) {
  return run_program(SOCKCALC_SERVER_BIN, args);
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(IntegServerStart, PortInUseExitsOneNamingTheAddress) {
  DatagramSocket holder;
  ASSERT_OK_AND_ASSIGN(holder, DatagramSocket::bind(Address::loopback(Family::v6, 0)));
  Address held;
  ASSERT_OK_AND_ASSIGN(held, holder.local_address());
  const RunResult r = run_server({"::1", std::to_string(held.port())});
  EXPECT_TRUE(r.status.exited_with(kServerCannotStart)) << r.report;
  EXPECT_EQ(count_lines(r.err), 1u) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr(held.to_string())) << r.report;
  EXPECT_TRUE(contains_nocase(r.err, std::strerror(EADDRINUSE))) << r.report;
  EXPECT_THAT(r.err, ::testing::Not(::testing::HasSubstr("listening"))) << r.report;
}

TEST(IntegServerStart, UnixPathInUseExitsOne) {
  ASSERT_OK_AND_ASSIGN(const TempDir dir, TempDir::create());
  const std::string spec = "unix:" + dir.path() + "/s.sock";
  std::unique_ptr<ServerProcess> first;
  ASSERT_OK_AND_ASSIGN(first, start_server({spec}));
  const RunResult r = run_server({spec});
  EXPECT_TRUE(r.status.exited_with(kServerCannotStart)) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr(spec)) << r.report;
  EXPECT_TRUE(contains_nocase(r.err, std::strerror(EADDRINUSE))) << r.report;
  // The failed second server must not have removed the first one's socket file.
  const RunResult c = run_client({"-op", "+", spec, "2", "3"});
  EXPECT_TRUE(c.status.exited_with(kClientOk)) << c.report << first->report();
  EXPECT_EQ(c.out, result_line(5)) << c.report;
}

TEST(IntegServerStart, AddressNotLocalExitsOne) {
  // 192.0.2.1 (TEST-NET-1, RFC 5737) is assigned to no host: bind fails.
  const RunResult r = run_server({"192.0.2.1", "0"});
  EXPECT_TRUE(r.status.exited_with(kServerCannotStart)) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr("192.0.2.1")) << r.report;
}

struct BadServerArgs {
  const char* name;
  std::vector<std::string> args;
  std::string names;
};

// Tests are named after the case; print the name, not the bytes.
void PrintTo(const BadServerArgs& c, std::ostream* os) { *os << c.name; }

class IntegServerUsage : public ::testing::TestWithParam<BadServerArgs> {};

TEST_P(IntegServerUsage, ExitsTwo) {
  const BadServerArgs& c = GetParam();
  const RunResult r = run_program(SOCKCALC_SERVER_BIN, c.args, 4 * kPatience);
  EXPECT_TRUE(r.status.exited_with(kServerUsage)) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr(c.names)) << r.report;
  EXPECT_THAT(r.err, ::testing::Not(::testing::HasSubstr("listening"))) << r.report;
}

INSTANTIATE_TEST_SUITE_P(
    Server, IntegServerUsage,
    ::testing::Values(
        BadServerArgs{"NoArguments", {}, "missing"}, BadServerArgs{"MissingPort", {"::1"}, "PORT"},
        BadServerArgs{"BadPort", {"::1", "x"}, "'x'"},
        BadServerArgs{"PortTooLarge", {"::1", "70000"}, "'70000'"},
        // A name with an empty label: refused by the resolver before any query is sent (a
        // test sends nothing off the machine), and never resolvable: a usage error.
        BadServerArgs{"UnknownHost",
                      {"no..such.host", "0"},
                      "cannot resolve 'no..such.host': name or service not known"},
        BadServerArgs{"NotAnAddress", {"::1::2", "0"}, "::1::2"},
        BadServerArgs{"ExtraArgument", {"::1", "0", "extra"}, "'extra'"},
        BadServerArgs{"UnknownOption", {"--bogus", "::1", "0"}, "'--bogus'"},
        BadServerArgs{"RecvBufferTooSmall", {"--recv-buffer", "100", "::1", "0"}, "'100'"},
        BadServerArgs{
            "RecvBufferMissing", {"::1", "0", "--recv-buffer"}, "'--recv-buffer' needs a value"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(IntegServerHelp, HelpAndVersionExitZero) {
  const RunResult help = run_program(SOCKCALC_SERVER_BIN, {"--help"});
  EXPECT_TRUE(help.status.exited_with(kServerOk)) << help.report;
  EXPECT_THAT(help.out, ::testing::HasSubstr("Usage: server")) << help.report;
  const RunResult version = run_program(SOCKCALC_SERVER_BIN, {"--version"});
  EXPECT_TRUE(version.status.exited_with(kServerOk)) << version.report;
  EXPECT_TRUE(version.out.starts_with("server (sockcalc) ")) << version.report;
}

}  // namespace
}  // namespace sockcalc::integration
