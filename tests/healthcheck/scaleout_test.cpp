// SPDX-License-Identifier: MIT
// tests/healthcheck/scaleout_test.cpp -- the health checker on the scale-out topology of
// deploy/scaleout/topology.sh (two clients, a router, three servers): a server killed while a
// client calls the service is out within a bound (issue 14: within 1 s; asserted < 3 s, so as
// not to be flaky on a loaded machine, and printed), every call succeeds with its retries, the
// datagrams lost in the gap are counted and none is lost after the change, and the server
// started again comes back into rotation. Once through the nftables service, once through the
// ECMP anycast route. Test thread (inside client c1 for its calls); processes stopped by pid;
// the topology is taken down in TearDown, even after a failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "lab.hpp"
#include "sockcalc/client/client.hpp"

namespace sockcalc::testing {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

const std::string kTopology = std::string(SOCKCALC_SOURCE_DIR) + "/deploy/scaleout/topology.sh";
// A call's retries: the library's retransmissions (100 ms, then 200 ms), and, since a refusal
// (ICMP port unreachable from a host whose server died) ends a library call at once, new
// calls from a new socket, as an application retries. Each new socket is a new flow that the
// balancer sends to the dead server with a chance of 1 in 3 until the checker takes it out, so
// a call fails only if every attempt does: with 6 attempts that was 1 in 729 per call, 20 calls
// in a gap made it fail 1 run in 36 (seen in CI); with 20, (1/3)^20 < 3e-10 per call.
constexpr int kAttempts = 20;
// Calls are paced so that the gap holds a countable number of them.
constexpr std::chrono::milliseconds kPace{10};

struct Path {
  const char* name;
  std::vector<std::string> options;  // what the health checker changes
  std::string service6;              // where clients send
  std::string service4;
  std::vector<std::string> changed;  // the log lines ending "live endpoints " + set, one per object
};

const Path kNft{"nftables",
                {"--nft"},
                "fd00:5c:ff::1",
                "10.92.255.1",
                {"nftables inet sockcalc: live endpoints "}};
const Path kEcmp{
    "ecmp",
    {"--ecmp", "fd00:5c:fe::1/128", "--ecmp", "10.92.254.1/32"},
    "fd00:5c:fe::1",
    "10.92.254.1",
    {"route fd00:5c:fe::1/128: live endpoints ", "route 10.92.254.1/32: live endpoints "}};

// gtest and ctest name a case by its path.
void PrintTo(const Path& path, std::ostream* os) { *os << path.name; }

// What one call (with its retries) cost.
struct Call {
  bool answered = false;
  int lost = 0;  // datagrams sent without a reply
};

Call call_with_retries(const Address& service, std::uint32_t a) {
  protocol::Request request;
  request.op = protocol::Op::sum;
  request.operands.push_back(a);
  request.operands.push_back(1);
  client::CallOptions options;
  options.timeout = std::chrono::milliseconds(100);
  options.max_timeout = std::chrono::milliseconds(200);
  options.retries = 3;
  Call call;
  for (int attempt = 0; attempt < kAttempts && !call.answered; ++attempt) {
    auto c = client::Client::connect(service);
    if (!c) continue;
    auto r = c->call(request, options);
    if (!r) continue;
    call.answered = r->status == client::CallStatus::success && r->value == a + 1;
    call.lost += r->tries - (call.answered ? 1 : 0);
  }
  return call;
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class ScaleOut : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    if (nft_program().empty()) {
      if (netns_required()) FAIL() << "no nft program (Debian package nftables)";
      GTEST_SKIP() << "no nft program (Debian package nftables)";
    }
    static int made = 0;
    // sc-PID-...: NetLab's sweep removes what a run that died left behind.
    prefix_ = "sc-" + std::to_string(getpid()) + "-hc" + std::to_string(++made);
    const RunResult up = run_program(kTopology, {"up", "--prefix", prefix_}, milliseconds(60000));
    ASSERT_TRUE(up.status.exited_with(0)) << up.report;
    up_ = true;
    for (int j = 1; j <= 3; ++j) start_server(j);
    std::vector<std::string> args = {"netns", "exec", prefix_ + "-r", SOCKCALC_HEALTHCHECK_BIN};
    args.insert(args.end(), GetParam().options.begin(), GetParam().options.end());
    for (int j = 1; j <= 3; ++j) {
      args.push_back("s" + std::to_string(j) + "=" + server6(j) + "," + server4(j));
    }
    auto hc = Process::start(ip_program(), args);
    ASSERT_TRUE(hc.ok()) << hc.error().message();
    checker_ = std::move(*hc);
    ASSERT_TRUE(wait_for_all_changed("s1 s2 s3", 1)) << checker_->report();
  }

  void TearDown() override {
    inside_.reset();
    checker_.reset();  // stopped by pid
    for (auto& s : servers_) s.reset();
    if (up_) {
      const RunResult down =
          run_program(kTopology, {"down", "--prefix", prefix_}, milliseconds(60000));
      EXPECT_TRUE(down.status.exited_with(0)) << down.report;
    }
  }

  // Server j on the wildcard address; `verbose`: with -v, every request's peer in its log.
  void start_server(int j, bool verbose = false) {
    std::vector<std::string> args = {
        "netns", "exec", prefix_ + "-s" + std::to_string(j), SOCKCALC_SERVER_BIN, "--threads", "1",
        "::",    "10000"};
    if (verbose) args.insert(args.begin() + 4, "-v");
    auto s = ServerProcess::start(ip_program(), args);
    ASSERT_TRUE(s.ok()) << s.error().message();
    servers_[static_cast<std::size_t>(j - 1)] = std::move(*s);
  }

  // Whether every object of the path took the live set `names` at least `times` times so far.
  bool all_changed(const std::string& names, int times) const {
    for (const std::string& line : GetParam().changed) {
      if (count(checker_->err(), line + names + "\n") < times) return false;
    }
    return true;
  }

  bool wait_for_all_changed(const std::string& names, int times) {
    const auto deadline = Clock::now() + kPatience;
    while (!all_changed(names, times)) {
      if (Clock::now() >= deadline) return false;
      checker_->pump(milliseconds(20));
    }
    return true;
  }

  std::string prefix_;
  bool up_ = false;
  std::unique_ptr<ServerProcess> servers_[3];
  std::unique_ptr<Process> checker_;
  std::unique_ptr<InNamespace> inside_;
};

TEST_P(ScaleOut, AKilledServerIsTakenOutCallsSucceedAndItComesBack) {
  const Path& path = GetParam();
  auto inside = InNamespace::enter(prefix_ + "-c1");
  ASSERT_TRUE(inside.ok()) << inside.error().message();
  inside_ = std::move(*inside);
  const std::vector<Address> services = {
      Address::resolve(path.service6, 10000, Purpose::connect)->front(),
      Address::resolve(path.service4, 10000, Purpose::connect)->front()};
  std::uint32_t n = 0;
  for (int i = 0; i < 20; ++i, ++n) {  // all three serve; nothing lost
    const Call c = call_with_retries(services[n % 2], n);
    ASSERT_TRUE(c.answered);
    EXPECT_EQ(c.lost, 0);
  }

  // SIGKILL: the server dies without a word; its host answers ICMP port unreachable.
  servers_[1]->process().send_signal(SIGKILL);
  ASSERT_TRUE(servers_[1]->process().wait_for_exit(kPatience));
  const auto killed = Clock::now();
  int calls_in_gap = 0, lost_in_gap = 0, calls_after = 0, lost_after = 0, unanswered = 0;
  std::optional<Clock::duration> out_after;
  while (calls_after < 60 && Clock::now() - killed < std::chrono::seconds(10)) {
    const Call c = call_with_retries(services[n % 2], n);
    ++n;
    unanswered += c.answered ? 0 : 1;
    (out_after ? calls_after : calls_in_gap) += 1;
    (out_after ? lost_after : lost_in_gap) += c.lost;
    checker_->pump(kPace);  // the checker's log lines, for at most kPace: the calls' pace
    if (!out_after && all_changed("s1 s3", 1)) out_after = Clock::now() - killed;
  }
  ASSERT_TRUE(out_after.has_value()) << checker_->report();
  const double seconds = std::chrono::duration<double>(*out_after).count();
  std::printf(
      "[ %s ] s2 out %.3f s after SIGKILL; %d calls in the gap lost %d datagrams, "
      "%d calls after it lost %d\n",
      path.name, seconds, calls_in_gap, lost_in_gap, calls_after, lost_after);
  EXPECT_LT(seconds, 3.0) << checker_->report();
  EXPECT_EQ(unanswered, 0);
  EXPECT_EQ(lost_after, 0);  // once changed, no new flow goes to the dead server
  EXPECT_LE(lost_in_gap, calls_in_gap * kAttempts * 4);  // bounded by what the calls sent
  EXPECT_THAT(checker_->err(),
              HasSubstr("endpoint s2 ([" + server6(2) + "]:10000) down after 3 failed"));

  start_server(2, true);
  ASSERT_TRUE(wait_for_all_changed("s1 s2 s3", 2)) << checker_->report();
  for (int i = 0; i < 60; ++i, ++n) {
    const Call c = call_with_retries(services[n % 2], n);
    EXPECT_TRUE(c.answered);
    EXPECT_EQ(c.lost, 0);
  }
  // Back in rotation: the restarted server answered some of the 60 new flows of c1 (each has a
  // third of a chance: all missed it with p = (2/3)^60 < 1e-10), not only the checker's probes.
  ASSERT_TRUE(servers_[1]->stop());
  const std::string err = servers_[1]->process().err();
  EXPECT_GT(count(err, "from [fd00:5c:1::2]:") + count(err, "from 10.92.1.2:"), 0) << err;
}

INSTANTIATE_TEST_SUITE_P(Paths, ScaleOut, ::testing::Values(kNft, kEcmp),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace sockcalc::testing
