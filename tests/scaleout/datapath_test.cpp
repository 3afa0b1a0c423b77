// SPDX-License-Identifier: MIT
// tests/scaleout/datapath_test.cpp -- internal to tests/scaleout.
// The scale-out lab's two data paths, as deploy/scaleout/topology.sh makes them, with three real
// servers on the wildcard address of the server hosts: through the nftables virtual service
// and through the ECMP anycast route, over IPv6 and IPv4, from both client hosts, every answer
// is right (the client program, then loadgen checking every reply over 64 sockets) and every
// server answers part of the flows. Test thread only; servers stopped by pid, the topology
// brought down even when a test fails.
#include <signal.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration.hpp"
#include "support/loadgen_run.hpp"
#include "topology.hpp"

namespace sockcalc::testing {
namespace {

using integration::as_args;
using integration::concat;
using integration::expected_output;
using integration::kClientOk;
using integration::print_on_failure;

// loadgen: 64 sockets (64 flows, each with its own source port: the nftables service picks
// an endpoint per flow at random, the router hashes each flow's addresses and ports), 0.5 s,
// no warm-up. A server misses every one of 64 independent uniform picks with probability
// (2/3)^64 < 1e-11, so "every server answers" cannot fail by bad luck.
const std::vector<std::string> kLoad = {"-c", "64", "-d", "0.5", "-w", "0", "-t", "1000", "--json"};
constexpr milliseconds kLoadgenLimit{30000};

// One row of the test matrix: a service address and what reaches it.
struct Path {
  const char* name;
  const char* address;
};
const std::vector<Path> kNftables = {{"nftables IPv6", kVip6}, {"nftables IPv4", kVip4}};
const std::vector<Path> kEcmp = {{"ECMP IPv6", kAnycast6}, {"ECMP IPv4", kAnycast4}};

// The counter `name` of a server's "received=... answered=..." stats line.
std::uint64_t counter(const std::string& line, const std::string& name) {
  const std::string spaced = " " + line;
  const auto at = spaced.find(" " + name + "=");
  if (at == std::string::npos) return 0;
  return std::strtoull(spaced.c_str() + at + name.size() + 2, nullptr, 10);
}

// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A server's counters now: SIGUSR1, then its newest "server: stats ..." line (the earlier ones
// stay in its stderr, so this waits for one more than there were).
std::optional<std::string> stats_now(ServerProcess& server) {
  constexpr std::string_view kStats = "server: stats ";
  Process& p = server.process();
  const std::size_t before = occurrences(p.err(), std::string(kStats));
  p.send_signal(SIGUSR1);
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (occurrences(p.err(), std::string(kStats)) == before) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    p.pump(milliseconds(100));
  }
  const auto at = p.err().rfind(kStats);
  const auto end = p.err().find('\n', at);
  if (end == std::string::npos) return std::nullopt;
  return p.err().substr(at + kStats.size(), end - at - kStats.size());
}

// What a loadgen run sent, once its answers were checked.
class ScaleoutDataPath : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!scaleout_unavailable_reason().empty()) return;  // each test skips or fails
    auto up = Topology::up(unique_prefix());
    if (!up) {
      setup_error_ = up.error().message();
      return;
    }
    topology_ = std::move(*up).release();
    for (const std::string& host : kServerHosts) {
      // One worker each: its one stats line counts everything the server did.
      auto s = topology_->start_server(host, SOCKCALC_SERVER_BIN,
                                       {"--threads", "1", "::", kServicePort});
      if (!s) {
        setup_error_ = "cannot start the server in " + host + ": " + s.error().message();
        return;
      }
      servers_.push_back(std::move(*s));
    }
  }

  static void TearDownTestSuite() {
    for (auto& s : servers_) (void)s->stop();
    servers_.clear();
    delete topology_;  // topology.sh down
    topology_ = nullptr;
  }

  void SetUp() override {
    SOCKCALC_REQUIRE_SCALEOUT_OR_SKIP();
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_NE(topology_, nullptr);
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& s : servers_) print_on_failure(s.get());
    std::cerr << "topology.sh up said:\n" << (topology_ ? topology_->up_output() : "") << "\n";
  }

  // Every server's "answered" counter now.
  static std::vector<std::uint64_t> answered() {
    std::vector<std::uint64_t> out;
    for (auto& s : servers_) {
      const auto line = stats_now(*s);
      EXPECT_TRUE(line.has_value()) << "no stats line\n" << s->report();
      out.push_back(line ? counter(*line, "answered") : 0);
    }
    return out;
  }

  // The client program from `host` to `address`: a sum and a product, integer and string, one
  // of them wrapping modulo 2^32.
  static void run_clients(const std::string& host, const std::string& address) {
    const std::vector<std::uint32_t> operands = {7, 11, 4294967295u, 65536, 65536};
    for (const bool product : {false, true}) {
      std::vector<std::string> args = {"-op", product ? "*" : "+", "-t", "1000", "--retries", "2"};
      if (product) args.emplace_back("-s");
      const RunResult r =
          topology_->run(host, SOCKCALC_CLIENT_BIN,
                         concat(concat(args, {address, kServicePort}), as_args(operands)));
      EXPECT_TRUE(r.status.exited_with(kClientOk)) << host << " -> " << address << "\n" << r.report;
      EXPECT_EQ(r.out,
                expected_output(product ? protocol::Op::product : protocol::Op::sum, operands))
          << host << " -> " << address << "\n"
          << r.report;
    }
  }

  // loadgen from `host` to `address`; every reply right.
  static LoadRun run_loadgen(const std::string& host, const std::string& address) {
    return expect_every_reply_right(topology_->run(
        host, SOCKCALC_LOADGEN_BIN, concat(kLoad, {address, kServicePort}), kLoadgenLimit));
  }

  // Through each path from each client host: right answers, and the servers' counters grow by
  // what was sent (each request answered once, twice at most when loadgen sent it again), with
  // every server taking part of the flows.
  static void check_paths(const std::vector<Path>& paths) {
    for (const Path& path : paths) {
      for (const std::string& host : kClientHosts) {
        SCOPED_TRACE(std::string(path.name) + " from " + host);
        const std::vector<std::uint64_t> before = answered();
        run_clients(host, path.address);
        const LoadRun load = run_loadgen(host, path.address);
        const std::vector<std::uint64_t> after = answered();
        ASSERT_EQ(after.size(), before.size());
        std::uint64_t total = 0;
        for (std::size_t i = 0; i < after.size(); ++i) {
          EXPECT_GT(after[i], before[i]) << kServerHosts[i] << " answered nothing";
          total += after[i] - before[i];
        }
        const double requests = load.requests + 2;  // the client calls: 2, no retransmission needed
        EXPECT_GE(static_cast<double>(total), requests);
        EXPECT_LE(static_cast<double>(total), requests + load.retransmits + 4);
      }
    }
  }

  static inline Topology* topology_ = nullptr;
  static inline std::vector<std::unique_ptr<ServerProcess>> servers_;
  static inline std::string setup_error_;
};

// One test for every path: ctest runs each test in a process of its own, and each would
// bring a lab of its own up (seconds on a loaded machine). SCOPED_TRACE names the path of a
// failure.
TEST_F(ScaleoutDataPath, EveryPathAnswersRightAndEveryServerServes) {
  check_paths(kNftables);
  check_paths(kEcmp);

  // A server's own address, routed by the router without NAT: the baseline the benchmark calls
  // "direct". Only that server answers.
  SCOPED_TRACE("direct to s2");
  const std::vector<std::uint64_t> before = answered();
  for (const std::string& host : kClientHosts) {
    run_clients(host, "fd00:5c:12::2");
    run_clients(host, "10.92.12.2");
  }
  const std::vector<std::uint64_t> after = answered();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[1], before[1] + 8);
  EXPECT_EQ(after[2], before[2]);
}

}  // namespace
}  // namespace sockcalc::testing
