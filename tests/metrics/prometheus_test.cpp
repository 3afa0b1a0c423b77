// SPDX-License-Identifier: MIT
// tests/metrics/prometheus_test.cpp -- internal to tests/metrics.
// End to end: a real Prometheus server (Debian: prometheus), started on loopback with a
// generated configuration, scrapes a real server started with --metrics while requests are
// sent; the values read back from Prometheus' HTTP API must equal what was sent. Also: every
// metric the Grafana dashboard (deploy/grafana) and the scrape configuration (deploy/prometheus)
// name is one the server exports. Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "traffic.hpp"

namespace sockcalc::metrics_test {
namespace {

using json = nlohmann::json;
using testing::Process;
using testing::ServerProcess;
using testing::TempDir;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
// Prometheus scrapes every second (the generated configuration); its start (an empty TSDB)
// takes a second or two. The bounds only keep a broken run from hanging the suite.
constexpr auto kStartLimit = std::chrono::seconds(30);
constexpr auto kQueryLimit = std::chrono::seconds(30);
constexpr auto kPollEvery = std::chrono::milliseconds(250);
// A free port picked by the kernel may be taken by someone else before Prometheus binds it.
constexpr int kPortAttempts = 3;

// A TCP port on 127.0.0.1 free now: the kernel picks it for a socket we then close.
std::optional<std::uint16_t> free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  Address a = Address::loopback(Family::v4, 0);
  socklen_t len = Address::capacity();
  const bool ok = ::bind(fd, a.data(), a.length()) == 0 && ::getsockname(fd, a.data(), &len) == 0;
  ::close(fd);
  if (!ok) return std::nullopt;
  a.set_length(len);
  return a.port();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The query's value when Prometheus answers it with one sample, else nullopt.
std::optional<double> query(const Address& prometheus, const std::string& promql) {
  std::string encoded;
  for (const unsigned char c : promql) {
    if (std::isalnum(c) || c == '_') {
      encoded += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      encoded += hex;
    }
  }
  const std::string reply =
      http_exchange(prometheus, "GET /api/v1/query?query=" + encoded +
                                    " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const auto answer = json::parse(body_of(reply), nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || answer.value("status", "") != "success") return std::nullopt;
  const json& result = answer["data"]["result"];
  if (!result.is_array() || result.size() != 1) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

// Asks `promql` until Prometheus gives `expected`, or the limit passes; returns the last value.
std::optional<double> wait_for_value(const Address& prometheus, const std::string& promql,
                                     double expected) {
  std::optional<double> last;
  for (const auto end = Clock::now() + kQueryLimit; Clock::now() < end;) {
    last = query(prometheus, promql);
    if (last == expected) return last;
    std::this_thread::sleep_for(kPollEvery);
  }
  return last;
}

// Prometheus on 127.0.0.1 with a configuration that scrapes `target` every second.
class PrivatePrometheus {
 public:
  static Result<std::unique_ptr<PrivatePrometheus>> start(const TempDir& dir,
                                                          const Address& target) {
    const std::string config = dir.path() + "/prometheus.yml";
    const std::string text =
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: sockcalc\n    static_configs:\n"
        "      - targets: ['" +
        target.to_string() + "']\n";
    if (!write_file(config, text)) return errno_error(EIO, "cannot write " + config);
    std::string last_failure;
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
      const auto port = free_tcp_port();
      if (!port) return errno_error(EADDRNOTAVAIL, "no free TCP port on 127.0.0.1");
      const Address web = Address::loopback(Family::v4, *port);
      auto p = Process::start(
          kPrometheus, {"--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/data",
                        "--web.listen-address=" + web.to_string(), "--log.level=warn"});
      if (!p) return p.error();
      if (ready(**p, web))
        return std::unique_ptr<PrivatePrometheus>(new PrivatePrometheus(std::move(*p), web));
      last_failure = (*p)->report();
      // Someone took the port between our probe and Prometheus' bind: try another one.
    }
    return errno_error(ETIMEDOUT, "prometheus did not start\n" + last_failure);
  }

  [[nodiscard]] const Address& address() const { return web_; }
  Process& process() { return *process_; }

 private:
  PrivatePrometheus(std::unique_ptr<Process> p, Address web)
      : process_(std::move(p)), web_(std::move(web)) {}

  // Until Prometheus says it is ready (GET /-/ready), exits, or the limit passes.
  static bool ready(Process& p, const Address& web) {
    for (const auto end = Clock::now() + kStartLimit; Clock::now() < end;) {
      if (http_exchange(web, "GET /-/ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
              .starts_with("HTTP/1.1 200"))
        return true;
      p.pump(kPollEvery);
      if (p.wait_for_exit(milliseconds(0))) return false;
    }
    return false;
  }

  std::unique_ptr<Process> process_;  // stopped by pid (SIGTERM) when destroyed
  Address web_;
};

class PrometheusScrape : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && prometheus_)
      std::cerr << "prometheus:\n" << prometheus_->process().report();
    integration::print_on_failure(server_.get());
  }
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<PrivatePrometheus> prometheus_;
};

TEST_F(PrometheusScrape, ReadsBackExactlyWhatWasSent) {
  if (::access(kPrometheus, X_OK) != 0) {
    GTEST_SKIP() << "prometheus is not installed (Debian: prometheus; make check-deps installs it)";
  }
  auto s = integration::start_server({"--threads", "2", "--metrics", "127.0.0.1:0", "::1", "0"});
  ASSERT_TRUE(s.ok()) << s.error().message();
  server_ = std::move(*s);
  auto target = testing::metrics_address(server_->process());
  ASSERT_TRUE(target.ok()) << target.error().message();
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  auto p = PrivatePrometheus::start(*dir, *target);
  ASSERT_TRUE(p.ok()) << p.error().message();
  prometheus_ = std::move(*p);
  const Address& api = prometheus_->address();
  // Prometheus reaches the server before anything is sent.
  EXPECT_EQ(wait_for_value(api, "up{job=\"sockcalc\"}", 1), 1.0);

  const Traffic sent = send_known_traffic(server_->address(), 9);
  const auto total = static_cast<double>(sent.total());
  EXPECT_EQ(wait_for_value(api, "sum(sockcalc_server_datagrams_received_total)", total), total);
  EXPECT_EQ(query(api, "sum(sockcalc_server_replies_total)"), total);
  EXPECT_EQ(query(api, "sum(sockcalc_server_results_total)"), static_cast<double>(sent.good));
  for (const auto& [name, count] : sent.errors) {
    EXPECT_EQ(query(api, "sum(sockcalc_server_error_replies_total{error=\"" + name + "\"})"),
              static_cast<double>(count))
        << name;
  }
  EXPECT_EQ(query(api, "count(sockcalc_server_replies_total)"), 2.0);  // one series per worker
  EXPECT_EQ(query(api, "sockcalc_server_workers"), 2.0);
  EXPECT_EQ(query(api, "sum(sockcalc_server_receive_drops_total)"), 0.0);
}

// The metric names a text of PromQL or YAML mentions: every "sockcalc_..." word.
std::set<std::string> metric_names_in(const std::string& text) {
  static const std::regex kName("sockcalc_[a-z_]+");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

// Every "expr" of the dashboard's panels and template variables.
void collect_expressions(const json& node, std::string& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if ((key == "expr" || key == "query") && value.is_string())
        out += value.get<std::string>() + "\n";
      collect_expressions(value, out);
    }
  } else if (node.is_array()) {
    for (const json& item : node) collect_expressions(item, out);
  }
}

TEST(Dashboard, QueriesOnlyMetricsTheServerExports) {
  const auto dashboard = json::parse(read_file(SOCKCALC_DASHBOARD), nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded()) << SOCKCALC_DASHBOARD << " is not valid JSON";
  std::string expressions;
  collect_expressions(dashboard, expressions);
  const auto queried = metric_names_in(expressions);
  ASSERT_GE(queried.size(), 4u) << expressions;

  auto s = integration::start_server({"--metrics", "[::1]:0", "::1", "0"});
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto target = testing::metrics_address((*s)->process());
  ASSERT_TRUE(target.ok()) << target.error().message();
  const auto text = scrape(*target);
  ASSERT_TRUE(text.has_value());
  const auto exported = families(*text);
  for (const std::string& name : queried) {
    EXPECT_TRUE(exported.contains(name))
        << "the dashboard queries " << name << ", which the server does not export";
  }
  // The panels the issue asks for: request rate, errors by cause, kernel drops, per worker.
  for (const char* needed :
       {"sockcalc_server_datagrams_received_total", "sockcalc_server_error_replies_total",
        "sockcalc_server_receive_drops_total"}) {
    EXPECT_TRUE(queried.contains(needed)) << needed;
  }
  EXPECT_THAT(expressions, ::testing::HasSubstr("by (worker)"));
  EXPECT_THAT(expressions, ::testing::HasSubstr("by (error)"));
}

TEST(ScrapeConfig, IsValidForPromtool) {
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian: prometheus)";
  }
  const auto r =
      testing::run_program("/usr/bin/promtool", {"check", "config", SOCKCALC_SCRAPE_CONFIG});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
}

}  // namespace
}  // namespace sockcalc::metrics_test
