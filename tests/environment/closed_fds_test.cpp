// SPDX-License-Identifier: MIT
// tests/environment/closed_fds_test.cpp -- internal to tests/environment.
// Programs started with fd 0, 1 or 2 closed: the first socket or file they open must not
// become their stdin, stdout or stderr, or the log goes out as datagrams and the result into
// a capture (issue 10, section 5). Test thread only.
#include <signal.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "environment.hpp"

using ::testing::HasSubstr;

namespace sockcalc::environment {
namespace {

using testing::run_program;
using testing::ServerProcess;
using testing::TempDir;

constexpr std::string_view kFrom = "server: from ";  // one -v line per datagram received

std::unique_ptr<ServerProcess> verbose_server() {
  auto s = ServerProcess::start(SOCKCALC_SERVER_BIN, {"-v", "--threads", "1", "::1", "0"});
  EXPECT_TRUE(s) << s.error().message();
  return s ? std::move(*s) : nullptr;
}

// Without fd 2, the client's socket was fd 2: each -v line went to the server as a datagram.
TEST(ClosedFds, ClientWithoutStderrSendsTheServerOnlyItsRequest) {
  auto server = verbose_server();
  ASSERT_TRUE(server);
  const RunResult client = run_via_shell(kStderrClosed, SOCKCALC_CLIENT_BIN,
                                         {"-v", "-op", "+", "::1", server->port_arg(), "1", "2"});
  EXPECT_TRUE(client.status.exited_with(0)) << client.report;
  EXPECT_EQ(client.out, "Result: 3\n");
  ASSERT_TRUE(server->stop()) << server->report();
  EXPECT_EQ(count(server->process().err(), kFrom), 1u) << server->report();
  EXPECT_THAT(server->process().err(), HasSubstr(" received=1 ")) << server->report();
}

// Without fd 1, the --pcap file was fd 1: "Result: 3" went into the capture.
TEST(ClosedFds, ClientWithoutStdoutKeepsItsResultOutOfTheCapture) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  auto server = verbose_server();
  ASSERT_TRUE(server);
  const std::string pcap = dir->path() + "/client.pcap";
  const RunResult client =
      run_via_shell(kStdoutClosed, SOCKCALC_CLIENT_BIN,
                    {"--pcap", pcap, "-op", "+", "::1", server->port_arg(), "1", "2"});
  // The result could not be printed: that is a failure (exit 5), said on stderr.
  EXPECT_TRUE(client.status.exited_with(5)) << client.report;
  EXPECT_THAT(client.err, HasSubstr("cannot write to standard output")) << client.report;
  std::string why;
  const auto records = pcap_records(pcap, why);
  ASSERT_TRUE(records) << why;
  EXPECT_EQ(*records, 2u);  // the request and the reply, nothing else
}

// Without fds 0-2, the server's log went into whatever it opened: here, its capture.
TEST(ClosedFds, ServerWithoutStdioServesAndKeepsItsLogOutOfItsCapture) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string socket = dir->path() + "/calc.sock";
  const std::string pcap = dir->path() + "/server.pcap";
  auto server = start_via_shell(kStdioClosed, SOCKCALC_SERVER_BIN,
                                {"-v", "--threads", "1", "--pcap", pcap, "unix:" + socket});
  ASSERT_TRUE(server) << server.error().message();
  ASSERT_TRUE(wait_for_path(socket, **server)) << (*server)->report();
  for (int i = 0; i < 2; ++i) {
    const RunResult client =
        run_program(SOCKCALC_CLIENT_BIN, {"-op", "+", "unix:" + socket, "1", "2"});
    EXPECT_TRUE(client.status.exited_with(0)) << client.report;
    EXPECT_EQ(client.out, "Result: 3\n");
  }
  (*server)->send_signal(SIGUSR1);  // a stats line, which must not land in the capture either
  EXPECT_TRUE((*server)->terminate()) << (*server)->report();
  EXPECT_TRUE((*server)->status().exited_with(0)) << (*server)->report();
  std::string why;
  const auto records = pcap_records(pcap, why);
  ASSERT_TRUE(records) << why;
  EXPECT_EQ(*records, 4u);  // two requests, two replies
}

// The port of a program that cannot say where it listens (stderr closed), read from /proc.
std::optional<std::uint16_t> port_of(Process& p) {
  constexpr int kLooks = 500;  // 5 s in 10 ms steps
  for (int i = 0; i < kLooks && !p.wait_for_exit(milliseconds(0)); ++i) {
    const auto ports = listening_udp_ports(p.pid());
    if (ports.size() == 1) return ports.front();
    std::this_thread::sleep_for(milliseconds(10));
  }
  return std::nullopt;
}

// linksim opens its --pcap file first: without fd 2 that file was its stderr, and every log
// line went into the capture. Without fds 0-2 it must work all the same.
TEST(ClosedFds, LinksimWithoutStderrOrStdioRelaysAndKeepsItsLogOutOfItsCapture) {
  auto server = verbose_server();
  ASSERT_TRUE(server);
  for (const std::string_view how : {kStderrClosed, kStdioClosed}) {
    SCOPED_TRACE(how);
    auto dir = TempDir::create();
    ASSERT_TRUE(dir) << dir.error().message();
    const std::string pcap = dir->path() + "/linksim.pcap";
    auto linksim = start_via_shell(
        how, SOCKCALC_LINKSIM_BIN,
        {"-v", "--seed", "1", "--pcap", pcap, "::1", "0", "::1", server->port_arg()});
    ASSERT_TRUE(linksim) << linksim.error().message();
    const auto port = port_of(**linksim);
    ASSERT_TRUE(port) << (*linksim)->report();
    const RunResult client =
        run_program(SOCKCALC_CLIENT_BIN, {"-op", "+", "::1", std::to_string(*port), "1", "2"});
    EXPECT_TRUE(client.status.exited_with(0)) << client.report;
    EXPECT_EQ(client.out, "Result: 3\n");
    EXPECT_TRUE((*linksim)->terminate()) << (*linksim)->report();
    EXPECT_TRUE((*linksim)->status().exited_with(0)) << (*linksim)->report();
    std::string why;
    const auto records = pcap_records(pcap, why);
    ASSERT_TRUE(records) << why;
    EXPECT_EQ(*records, 4u);  // the request and the reply, each on both sides of linksim
  }
  ASSERT_TRUE(server->stop()) << server->report();
  EXPECT_EQ(count(server->process().err(), kFrom), 2u) << server->report();
}

}  // namespace
}  // namespace sockcalc::environment
