// SPDX-License-Identifier: MIT
// tests/metrics/server_option_test.cpp -- internal to tests/metrics.
// `server --metrics`: the real program scraped over TCP (and by curl), its values compared with
// the requests sent, its text checked by promtool, its address and bind errors. Test thread.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "traffic.hpp"

namespace sockcalc::metrics_test {
namespace {

using integration::start_server;
using ::testing::HasSubstr;
using testing::RunResult;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kUsage = 2;
constexpr int kFailure = 1;

// A Debian tool the test runs, or nullopt when it is not installed.
std::optional<std::string> tool(const std::string& path) {
  if (::access(path.c_str(), X_OK) == 0) return path;
  return std::nullopt;
}

class ServerMetrics : public ::testing::Test {
 protected:
  void start(const std::vector<std::string>& args) {
    auto s = start_server(args);
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(*s);
    auto at = testing::metrics_address(server_->process());
    ASSERT_TRUE(at.ok()) << at.error().message();
    metrics_ = *at;
  }
  void TearDown() override { integration::print_on_failure(server_.get()); }

  std::unique_ptr<ServerProcess> server_;
  Address metrics_;
};

TEST_F(ServerMetrics, CountsWhatWasSentPerWorkerAndPerCause) {
  ASSERT_NO_FATAL_FAILURE(start({"--threads", "2", "--metrics", "127.0.0.1:0", "::1", "0"}));
  EXPECT_EQ(metrics_.family(), AF_INET);
  EXPECT_NE(metrics_.port(), 0);
  // The metrics line comes before the start line scripts wait for.
  const std::string& err = server_->process().err();
  EXPECT_LT(err.find("metrics on 127.0.0.1:"), err.find("listening on "));

  const auto before = scrape(metrics_);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(sum_of(*before, "sockcalc_server_datagrams_received_total"), 0.0);
  EXPECT_EQ(sum_of(*before, "sockcalc_server_workers"), 2.0);

  const Traffic sent = send_known_traffic(server_->address(), 6);
  const auto after = scrape(metrics_);
  ASSERT_TRUE(after.has_value());
  const std::string& text = *after;
  const auto total = static_cast<double>(sent.total());
  EXPECT_EQ(sum_of(text, "sockcalc_server_datagrams_received_total"), total) << text;
  EXPECT_EQ(sum_of(text, "sockcalc_server_replies_total"), total) << text;
  EXPECT_EQ(sum_of(text, "sockcalc_server_results_total"), static_cast<double>(sent.good));
  for (const auto& [name, count] : sent.errors) {
    EXPECT_EQ(sum_of(text, "sockcalc_server_error_replies_total", {"error=\"" + name + "\""}),
              static_cast<double>(count))
        << name << "\n"
        << text;
  }
  // Per worker: two workers, each with its own series, summing to the total.
  EXPECT_EQ(
      sum_of(text, "sockcalc_server_datagrams_received_total", {"worker=\"0\""}).value_or(0) +
          sum_of(text, "sockcalc_server_datagrams_received_total", {"worker=\"1\""}).value_or(0),
      total);
  EXPECT_THAT(text, HasSubstr("sockcalc_build_info{version=\""));
  EXPECT_EQ(sum_of(text, "sockcalc_server_receive_drops_total"), 0.0);
  EXPECT_GT(sum_of(text, "sockcalc_server_receive_buffer_bytes", {"socket=\"1\""}).value_or(0), 0);
  const double started = sum_of(text, "sockcalc_server_start_time_seconds").value_or(0);
  // time() truncates to the second; the start time has its fraction.
  const double now = static_cast<double>(::time(nullptr)) + 1;
  EXPECT_LE(started, now);
  EXPECT_GT(started, now - 600);
  EXPECT_TRUE(server_->stop());
  EXPECT_TRUE(server_->process().status().exited_with(0)) << server_->report();
}

TEST_F(ServerMetrics, CurlScrapesItAndPromtoolFindsNoProblem) {
  const auto curl = tool("/usr/bin/curl");
  const auto promtool = tool("/usr/bin/promtool");
  if (!curl || !promtool) {
    GTEST_SKIP() << "curl or promtool is not installed (Debian: curl, prometheus)";
  }
  ASSERT_NO_FATAL_FAILURE(start({"--metrics", "[::1]:0", "127.0.0.1", "0"}));
  send_known_traffic(server_->address(), 2);
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const std::string file = dir->path() + "/metrics.txt";
  const RunResult got = testing::run_program(
      *curl, {"--silent", "--show-error", "--fail", "--output", file, "--write-out",
              "%{http_code} %{content_type}", "http://" + metrics_.to_string() + "/metrics"});
  ASSERT_TRUE(got.status.exited_with(0)) << got.report;
  EXPECT_EQ(got.out, "200 text/plain; version=0.0.4; charset=utf-8");
  // promtool reads the text on stdin; a problem (a name, a missing HELP) exits non-zero.
  const RunResult lint = testing::run_program(
      "/bin/sh", {"-c", "exec \"$0\" check metrics < \"$1\"", *promtool, file});
  EXPECT_TRUE(lint.status.exited_with(0)) << lint.report;
  EXPECT_EQ(lint.out + lint.err, "") << lint.report;
}

TEST(ServerMetricsOption, ABadAddressIsAUsageError) {
  for (const std::string bad :
       {"9100", "::1:9100", "[::1]9100", "127.0.0.1:65536", "127.0.0.1:x", "unix:/tmp/m"}) {
    const RunResult r = testing::run_program(SOCKCALC_SERVER_BIN, {"--metrics", bad, "::1", "0"});
    EXPECT_TRUE(r.status.exited_with(kUsage)) << r.report;
    EXPECT_THAT(r.err, HasSubstr("invalid --metrics address '" + bad + "'")) << r.report;
  }
}

TEST(ServerMetricsOption, APortInUseStopsTheStartWithTheReason) {
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  Address any = Address::loopback(Family::v4, 0);
  ASSERT_EQ(::bind(holder, any.data(), any.length()), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = Address::capacity();
  ASSERT_EQ(::getsockname(holder, any.data(), &len), 0);
  any.set_length(len);
  const RunResult r =
      testing::run_program(SOCKCALC_SERVER_BIN, {"--metrics", any.to_string(), "::1", "0"});
  ::close(holder);
  EXPECT_TRUE(r.status.exited_with(kFailure)) << r.report;
  EXPECT_THAT(r.err, HasSubstr("cannot bind TCP " + any.to_string() + ": address already in use"))
      << r.report;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("listening on"))) << r.report;
}

}  // namespace
}  // namespace sockcalc::metrics_test
