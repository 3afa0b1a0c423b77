// SPDX-License-Identifier: MIT
// tests/environment/broken_pipe_test.cpp -- internal to tests/environment.
// The server and linksim keep serving when the reader of their stderr goes away
// (`server -v ... 2>&1 | head -1`): a log line that cannot be written is lost, never the
// service (issue 10, section 5). Test thread only.
#include <signal.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "environment.hpp"
#include "sockcalc/address/address.hpp"

namespace sockcalc::environment {
namespace {

using testing::run_program;
using testing::ServerProcess;

// A client that gives up quickly: a server killed by SIGPIPE refuses, or does not answer.
RunResult ask(const std::string& port) {
  return run_program(SOCKCALC_CLIENT_BIN,
                     {"--timeout", "200", "--retries", "2", "-op", "+", "::1", port, "1", "2"});
}

TEST(BrokenPipe, ServerGoesOnLoggingRequestsWhenItsLogReaderLeaves) {
  auto server = ServerProcess::start(SOCKCALC_SERVER_BIN, {"-v", "--threads", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  (*server)->process().close_stderr_reader();  // every -v line from now on: EPIPE
  for (int i = 0; i < 3; ++i) {
    const RunResult client = ask((*server)->port_arg());
    ASSERT_TRUE(client.status.exited_with(0)) << client.report << (*server)->report();
    EXPECT_EQ(client.out, "Result: 3\n");
  }
  ASSERT_TRUE((*server)->stop()) << (*server)->report();
  EXPECT_TRUE((*server)->process().status().exited_with(0)) << (*server)->report();
}

TEST(BrokenPipe, ServerGoesOnAfterAStatsLineNobodyReads) {
  auto server = ServerProcess::start(SOCKCALC_SERVER_BIN, {"--threads", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  Process& process = (*server)->process();
  process.close_stderr_reader();
  process.send_signal(SIGUSR1);  // the stats line, into the broken pipe
  // A server killed by SIGPIPE ends at once; one that survives is still running after this.
  EXPECT_FALSE(process.wait_for_exit(milliseconds(300))) << process.report();
  const RunResult client = ask((*server)->port_arg());
  EXPECT_TRUE(client.status.exited_with(0)) << client.report << process.report();
  ASSERT_TRUE((*server)->stop()) << process.report();
  EXPECT_TRUE(process.status().exited_with(0)) << process.report();
}

TEST(BrokenPipe, LinksimGoesOnRelayingWhenItsLogReaderLeaves) {
  auto server = ServerProcess::start(SOCKCALC_SERVER_BIN, {"--threads", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  auto linksim = Process::start(SOCKCALC_LINKSIM_BIN,
                                {"-v", "--seed", "1", "::1", "0", "::1", (*server)->port_arg()});
  ASSERT_TRUE(linksim) << linksim.error().message();
  const auto line = (*linksim)->wait_for_line("linksim: listening on ", kPatience);
  ASSERT_TRUE(line) << (*linksim)->report();
  const auto relay = Address::parse(line->substr(0, line->find(',')));
  ASSERT_TRUE(relay) << *line;
  (*linksim)->close_stderr_reader();  // each datagram's -v line from now on: EPIPE
  for (int i = 0; i < 2; ++i) {
    const RunResult client = ask(std::to_string(relay->port()));
    ASSERT_TRUE(client.status.exited_with(0)) << client.report << (*linksim)->report();
    EXPECT_EQ(client.out, "Result: 3\n");
  }
  EXPECT_TRUE((*linksim)->terminate()) << (*linksim)->report();
  EXPECT_TRUE((*linksim)->status().exited_with(0)) << (*linksim)->report();
}

}  // namespace
}  // namespace sockcalc::environment
