// SPDX-License-Identifier: MIT
// tests/integration/transport_test.cpp -- internal to tests/integration.
// The real server and client over every transport: IPv4, dual-stack IPv6, a host name, a Unix
// path and an abstract Unix name; and how the server stops on SIGTERM and SIGINT.
// Test thread only.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

using protocol::Op;

const std::vector<std::uint32_t> kIntegers = {1, 3, 5, 7, 9};

// Runs `client -op + TARGET... 1 3 5 7 9` and checks that it printed the sum.
void expect_sum_from(const std::vector<std::string>& target, const ServerProcess& server) {
  const RunResult r = run_client(concat(concat({"-op", "+"}, target), as_args(kIntegers)));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report << "server:\n" << server.report();
  EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;
}

// Stops the server with `signal` and checks that it exits 0 after logging its counters.
void expect_clean_stop(ServerProcess& server, int signal, std::uint64_t received) {
  ASSERT_TRUE(server.stop(signal)) << server.report();
  EXPECT_TRUE(server.process().status().exited_with(kServerOk)) << server.report();
  const std::string& err = server.process().err();
  const auto line = err.find("server: stopped; received=" + std::to_string(received) + " ");
  EXPECT_NE(line, std::string::npos) << server.report();
  EXPECT_NE(err.find("answered=" + std::to_string(received) + " ", line), std::string::npos)
      << server.report();
}

bool is_socket_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// P-1 over IPv4.
TEST(IntegTransport, Ipv4ServerAndClient) {
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"127.0.0.1", "0"}));
  EXPECT_EQ(server->address().family(), AF_INET) << server->report();
  EXPECT_NE(server->port(), 0) << server->report();
  expect_sum_from({"127.0.0.1", server->port_arg()}, *server);
  expect_clean_stop(*server, SIGTERM, 1);
}

// P-1: a server on `::` is dual stack; both families reach it, and each reply goes back to the
// request's source. Binding `::` is safe here: the traffic stays on loopback.
TEST(IntegTransport, DualStackServerAnswersIpv4AndIpv6) {
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"::", "0"}));
  EXPECT_EQ(server->address().family(), AF_INET6) << server->report();
  expect_sum_from({"127.0.0.1", server->port_arg()}, *server);
  expect_sum_from({"::1", server->port_arg()}, *server);
  expect_clean_stop(*server, SIGTERM, 2);
}

// Host names on both sides: the server binds the first address `localhost` names, the client
// tries each address of `localhost` until one does not refuse.
TEST(IntegTransport, LocalhostByName) {
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"localhost", "0"}));
  expect_sum_from({"localhost", server->port_arg()}, *server);
  expect_clean_stop(*server, SIGTERM, 1);
}

// P-13: a Unix path server; the socket file exists while it runs and is removed on SIGTERM.
TEST(IntegTransport, UnixPathServerRemovesItsFile) {
  ASSERT_OK_AND_ASSIGN(const TempDir dir, TempDir::create());
  const std::string path = dir.path() + "/s.sock";
  const std::string spec = "unix:" + path;
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({spec}));
  EXPECT_EQ(server->address().to_string(), spec) << server->report();
  EXPECT_TRUE(is_socket_file(path)) << server->report();
  expect_sum_from({spec}, *server);
  const RunResult product = run_client(concat({"-op", "*", "-s", spec}, as_args(kIntegers)));
  EXPECT_TRUE(product.status.exited_with(kClientOk)) << product.report;
  EXPECT_EQ(product.out, expected_output(Op::product, kIntegers)) << product.report;
  expect_clean_stop(*server, SIGTERM, 2);
  EXPECT_FALSE(exists(path)) << "the socket file is still there\n" << server->report();
}

// P-13: an abstract Unix name (no file): the client autobinds, so the server can reply.
TEST(IntegTransport, AbstractUnixName) {
  static std::atomic<int> counter{0};
  const std::string spec =
      "unix:@sockcalc-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({spec}));
  EXPECT_EQ(server->address().to_string(), spec) << server->report();
  EXPECT_TRUE(server->address().is_abstract()) << server->report();
  expect_sum_from({spec}, *server);
  expect_clean_stop(*server, SIGTERM, 1);
}

// A client to a Unix path with no server behind it: refused, exit 4.
TEST(IntegTransport, UnixPathWithoutServerIsRefused) {
  ASSERT_OK_AND_ASSIGN(const TempDir dir, TempDir::create());
  const RunResult r = run_client({"-op", "+", "unix:" + dir.path() + "/none.sock", "1"});
  EXPECT_TRUE(r.status.exited_with(kClientNoReply)) << r.report;
  EXPECT_THAT(r.err, HasSubstr("refused")) << r.report;
}

// The server exits 0 on SIGTERM and on SIGINT, and logs its counters as it stops.
class IntegServerStop : public ::testing::TestWithParam<int> {};

TEST_P(IntegServerStop, ExitsZeroAndLogsCounters) {
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"::1", "0"}));
  expect_sum_from({"::1", server->port_arg()}, *server);
  expect_clean_stop(*server, GetParam(), 1);
  EXPECT_THAT(server->process().err(), HasSubstr("results=1 ")) << server->report();
}

INSTANTIATE_TEST_SUITE_P(Server, IntegServerStop, ::testing::Values(SIGTERM, SIGINT),
                         [](const auto& p) {
                           return std::string(p.param == SIGTERM ? "Sigterm" : "Sigint");
                         });

// An idle server stops as promptly as a busy one.
TEST(IntegTransport, IdleServerStopsOnSigterm) {
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"::1", "0"}));
  expect_clean_stop(*server, SIGTERM, 0);
}

// The process state letter of /proc/PID/stat ('T': stopped), or '?' when it cannot be read.
char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() ? text[paren + 2] : '?';
}

long rmem_max() {
  std::ifstream in("/proc/sys/net/core/rmem_max");
  long value = 0;
  in >> value;
  return value;
}

// --recv-buffer: a burst far beyond the default buffer (256 small requests) waits in the
// socket while the server is stopped, and every request of it is answered once it goes on.
TEST(IntegTransport, RecvBufferHoldsABurstWhileTheServerIsStopped) {
  constexpr int kBuffer = 8 << 20;
  constexpr int kBurst = 2000;
  if (::geteuid() != 0 && rmem_max() < kBuffer) {
    GTEST_SKIP() << "needs root (SO_RCVBUFFORCE) or net.core.rmem_max >= " << kBuffer;
  }
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"--threads", "1", "--recv-buffer",
                                             std::to_string(kBuffer), "::1", "0"}));
  SocketOptions big;
  big.recv_buffer = kBuffer;
  DatagramSocket client;
  ASSERT_OK_AND_ASSIGN(client, DatagramSocket::bind(Address::loopback(Family::v6, 0), big));

  const pid_t pid = server->process().pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  for (int i = 0; i < 500 && process_state(pid) != 'T'; ++i) ::usleep(2000);
  ASSERT_EQ(process_state(pid), 'T');
  const Datagram request = encode(make_request(Op::sum, protocol::Format::integer, kIntegers));
  int sent = 0;
  for (int i = 0; i < kBurst; ++i) sent += client.send_to(request, server->address()) == 0;
  ASSERT_EQ(::kill(pid, SIGCONT), 0);

  const Datagram expected = encode_success(25, protocol::Format::integer);
  std::vector<std::byte> buffer(64);
  int right = 0;
  int replies = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (replies < sent && std::chrono::steady_clock::now() < deadline) {
    if (!client.wait_readable(100)) continue;
    const RecvResult r = client.recv_from(buffer, nullptr);
    if (r.outcome != RecvOutcome::received) continue;
    ++replies;
    right += Datagram(buffer.begin(), buffer.begin() + static_cast<long>(r.held)) == expected;
  }
  EXPECT_EQ(sent, kBurst);
  EXPECT_EQ(replies, sent) << server->report();
  EXPECT_EQ(right, replies);
  expect_clean_stop(*server, SIGTERM, static_cast<std::uint64_t>(sent));
}

}  // namespace
}  // namespace sockcalc::integration
