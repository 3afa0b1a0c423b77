// SPDX-License-Identifier: MIT
// tests/metrics/tools_option_test.cpp -- internal to tests/metrics.
// `linksim --metrics` and `loadgen --metrics`: the real programs scraped while they run, their
// values compared with what went through them, their text checked by promtool. Test thread.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "traffic.hpp"

namespace sockcalc::metrics_test {
namespace {

using ::testing::HasSubstr;
using testing::Process;
using testing::RunResult;
using testing::TempDir;

constexpr auto kRunLimit = std::chrono::seconds(20);

// promtool's verdict on `text`, or a skip reason when promtool is not installed.
void expect_promtool_accepts(const std::string& text) {
  if (::access("/usr/bin/promtool", X_OK) != 0) return;  // checked where it is installed
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const std::string file = dir->path() + "/metrics.txt";
  std::ofstream(file) << text;
  const RunResult lint = testing::run_program(
      "/bin/sh", {"-c", "exec /usr/bin/promtool check metrics < \"$0\"", file});
  EXPECT_TRUE(lint.status.exited_with(0)) << lint.report;
  EXPECT_EQ(lint.out + lint.err, "") << lint.report;
}

TEST(LinksimMetrics, CountsEachDirectionAndFault) {
  auto server = integration::start_server({"--threads", "1", "::1", "0"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  // Every request is sent twice: the server answers both copies, so twice as many replies
  // come back as requests went.
  auto linksim = Process::start(
      SOCKCALC_LINKSIM_BIN, {"--seed", "1", "--direction", "forward", "--dup", "100", "--metrics",
                             "[::1]:0", "::1", "0", "::1", (*server)->port_arg()});
  ASSERT_TRUE(linksim.ok()) << linksim.error().message();
  auto at = testing::metrics_address(**linksim);
  ASSERT_TRUE(at.ok()) << at.error().message();
  const auto line = (*linksim)->wait_for_line("linksim: listening on ", testing::kPatience);
  ASSERT_TRUE(line.has_value()) << (*linksim)->report();
  auto relay = Address::parse(line->substr(0, line->find(',')));
  ASSERT_TRUE(relay.ok()) << *line;

  constexpr int kRequests = 3;
  for (int i = 0; i < kRequests; ++i) {
    const auto r = integration::run_client(
        {"-op", "+", "::1", std::to_string(relay->port()), "1", std::to_string(i)});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  }
  // The second reply of each request may still be on its way: scrape until it arrived.
  std::optional<std::string> text;
  for (const auto end = Clock::now() + kRunLimit; Clock::now() < end;) {
    text = scrape(*at);
    ASSERT_TRUE(text.has_value());
    if (sum_of(*text, "sockcalc_linksim_datagrams_received_total", {"direction=\"reverse\""}) ==
        2 * kRequests) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto count = [&](std::string_view name, const char* direction) {
    return sum_of(*text, name, {std::string("direction=\"") + direction + "\""});
  };
  EXPECT_EQ(count("sockcalc_linksim_datagrams_received_total", "forward"), kRequests) << *text;
  EXPECT_EQ(count("sockcalc_linksim_datagrams_duplicated_total", "forward"), kRequests);
  EXPECT_EQ(count("sockcalc_linksim_datagrams_dropped_total", "forward"), 0);
  EXPECT_EQ(count("sockcalc_linksim_datagrams_received_total", "reverse"), 2 * kRequests);
  EXPECT_EQ(count("sockcalc_linksim_datagrams_duplicated_total", "reverse"), 0);
  EXPECT_EQ(sum_of(*text, "sockcalc_linksim_flows_total", {"event=\"created\""}), kRequests);
  EXPECT_THAT(*text, HasSubstr("sockcalc_build_info{version=\""));
  expect_promtool_accepts(*text);
  EXPECT_TRUE((*linksim)->terminate());
}

TEST(LoadgenMetrics, ShowsTheRunWhileItRuns) {
  auto server = integration::start_server({"--threads", "1", "::1", "0"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  auto loadgen =
      Process::start(SOCKCALC_LOADGEN_BIN, {"-c", "2", "-w", "0.2", "-d", "3", "--metrics",
                                            "127.0.0.1:0", "::1", (*server)->port_arg()});
  ASSERT_TRUE(loadgen.ok()) << loadgen.error().message();
  auto at = testing::metrics_address(**loadgen);
  ASSERT_TRUE(at.ok()) << at.error().message();
  // The figures are those of the progress report, once a second: wait for the measured phase.
  std::optional<std::string> text;
  for (const auto end = Clock::now() + kRunLimit; Clock::now() < end;) {
    text = scrape(*at);
    if (!text) break;  // the run ended
    if (sum_of(*text, "sockcalc_loadgen_requests_total", {"phase=\"measured\""}) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(text.has_value()) << (*loadgen)->report();
  const double sent = sum_of(*text, "sockcalc_loadgen_requests_total").value_or(0);
  const double ok = sum_of(*text, "sockcalc_loadgen_replies_total", {"result=\"ok\""}).value_or(0);
  const double in_flight = sum_of(*text, "sockcalc_loadgen_in_flight_requests").value_or(-1);
  EXPECT_GT(sent, 0) << *text;
  EXPECT_GT(ok, 0) << *text;
  EXPECT_LE(ok, sent);
  EXPECT_GE(in_flight, 0);
  EXPECT_LE(in_flight, 2);  // -c 2: at most one request in flight per socket
  EXPECT_EQ(sum_of(*text, "sockcalc_loadgen_replies_total", {"result=\"wrong\""}), 0);
  EXPECT_EQ(sum_of(*text, "sockcalc_loadgen_warming_up"), 0);
  expect_promtool_accepts(*text);
  ASSERT_TRUE((*loadgen)->wait_for_exit(kRunLimit)) << (*loadgen)->report();
  EXPECT_TRUE((*loadgen)->status().exited_with(0)) << (*loadgen)->report();
}

}  // namespace
}  // namespace sockcalc::metrics_test
