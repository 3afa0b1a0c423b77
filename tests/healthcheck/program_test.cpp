// SPDX-License-Identifier: MIT
// tests/healthcheck/program_test.cpp -- the healthcheck program of this build: its usage errors
// (anywhere), and, inside a namespace host holding the repository's nftables ruleset, a start
// that cannot work (no table, a missing chain, no CAP_NET_ADMIN: exit 1, nothing changed), and
// a run with servers on that host: one stopped leaves the service, started again it comes back,
// SIGTERM ends the program with status 0. Test thread only; processes stopped by pid.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "lab.hpp"

namespace sockcalc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<std::string> kThree = {"s1=" + server6(1) + "," + server4(1),
                                         "s2=" + server6(2) + "," + server4(2),
                                         "s3=" + server6(3) + "," + server4(3)};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Reads the program's stderr until `needle` is in it `count` times, or kPatience passed.
bool wait_for_count(Process& p, const std::string& needle, int count) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (true) {
    int found = 0;
    for (std::size_t at = p.err().find(needle); at != std::string::npos;
         at = p.err().find(needle, at + 1)) {
      ++found;
    }
    if (found >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    p.pump(milliseconds(50));
  }
}

TEST(HealthcheckUsage, BadCommandLinesExit2NamingTheProblem) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "nothing to change: give --nft, --ecmp PREFIX, or both"},
      {{"--nft"}, "missing ENDPOINT"},
      {{"--nft", "s1"}, "invalid endpoint 's1': must be NAME=ADDRESS[,ADDRESS]"},
      {{"--nft", "s1=fd00::1", "s2=fd00::1"}, "endpoints s1 and s2 share a name or an address"},
      {{"--nft", "s1=no.such.host"}, "invalid address 'no.such.host'"},
      {{"--ecmp", "fd00::1/129", "s1=fd00::1"}, "invalid prefix 'fd00::1/129'"},
      {{"--ecmp", "fd00::1", "--ecmp", "fd00::1/128", "s1=fd00::1"}, "given twice"},
      {{"--nft", "--timeout", "200", "s1=fd00::1"}, "shorter than the interval"},
      {{"--nft", "--fall", "0", "s1=fd00::1"}, "fall"},
      {{"--nft", "--port", "0", "s1=fd00::1"}, "port"},
      {{"--nft-table", "a b", "s1=fd00::1"}, "invalid table 'a b'"},
      {{"--bogus"}, "--bogus"},
  };
  for (const auto& [args, message] : cases) {
    const RunResult r = run_program(SOCKCALC_HEALTHCHECK_BIN, args);
    EXPECT_TRUE(r.status.exited_with(2)) << r.report;
    EXPECT_THAT(r.err, StartsWith("healthcheck: ")) << r.report;
    EXPECT_THAT(r.err, HasSubstr(message)) << r.report;
    EXPECT_THAT(r.err, HasSubstr("Try 'healthcheck --help'.")) << r.report;
  }
}

TEST(HealthcheckUsage, HelpAndVersion) {
  const RunResult help = run_program(SOCKCALC_HEALTHCHECK_BIN, {"--help"});
  EXPECT_TRUE(help.status.exited_with(0)) << help.report;
  for (const char* option : {"--nft ", "--nft-table NAME", "--ecmp PREFIX", "--port PORT",
                             "--interval MS", "--timeout MS", "--fall N", "--rise N"}) {
    EXPECT_THAT(help.out, HasSubstr(option)) << option;
  }
  EXPECT_THAT(help.out, HasSubstr("Exit status:"));
  const RunResult version = run_program(SOCKCALC_HEALTHCHECK_BIN, {"--version"});
  EXPECT_TRUE(version.status.exited_with(0)) << version.report;
  EXPECT_THAT(version.out, HasSubstr("healthcheck (sockcalc) "));
}

// One host "r" holding the ruleset, with the three servers' and the service's addresses on lo.
class HealthcheckProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    if (nft_program().empty()) {
      if (netns_required()) FAIL() << "no nft program (Debian package nftables)";
      GTEST_SKIP() << "no nft program (Debian package nftables)";
    }
    auto lab = NetLab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message();
    lab_ = std::move(*lab);
    HC_ASSERT_OK(lab_->add_host("r"));
    HC_ASSERT_OK(load_ruleset(*lab_, "r"));
    for (int j = 1; j <= 3; ++j) {
      HC_ASSERT_OK(lab_->add_address("r", "lo", server6(j) + "/128"));
      HC_ASSERT_OK(lab_->add_address("r", "lo", server4(j) + "/32"));
    }
    svc6_ = list_chain(*lab_, "r", "svc6");
    svc4_ = list_chain(*lab_, "r", "svc4");
    ASSERT_THAT(svc6_, HasSubstr("mod 3"));
  }

  RunResult run_in_r(const std::vector<std::string>& args, const std::string& wrapper = "") {
    std::vector<std::string> command = {SOCKCALC_HEALTHCHECK_BIN};
    if (!wrapper.empty())
      command.insert(command.begin(), {wrapper, "--bounding-set", "-net_admin"});
    return lab_->run("r", command.front(),
                     concat(std::vector<std::string>(command.begin() + 1, command.end()), args));
  }

  void expect_service_unchanged() {
    EXPECT_EQ(list_chain(*lab_, "r", "svc6"), svc6_);
    EXPECT_EQ(list_chain(*lab_, "r", "svc4"), svc4_);
  }

  std::unique_ptr<NetLab> lab_;
  std::string svc6_;
  std::string svc4_;
};

TEST_F(HealthcheckProgram, AStartThatCannotWorkExits1AndChangesNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string wrapper;
    std::string message;
  };
  const std::vector<Case> cases = {
      {concat({"--nft-table", "nosuch"}, kThree), "",
       "healthcheck: cannot read nftables table inet nosuch: no such file or directory"},
      {concat({"--nft"}, concat(kThree, {"s4=fd00:5c:14::2"})), "",
       "healthcheck: nftables table inet sockcalc has no chain ep6-s4"},
      {concat({"--ecmp", "10.92.254.1/32"}, {"s1=" + server6(1)}), "",
       "healthcheck: no endpoint has an IPv4 address to route 10.92.254.1/32 through"},
      // Without CAP_NET_ADMIN nftables cannot be read: "nft not available" as a user sees it.
      {concat({"--nft"}, kThree), "/usr/bin/setpriv",
       "operation not permitted (needs root or CAP_NET_ADMIN)"},
  };
  for (const Case& c : cases) {
    if (!c.wrapper.empty() && access(c.wrapper.c_str(), X_OK) != 0) continue;
    const RunResult r = run_in_r(c.args, c.wrapper);
    EXPECT_TRUE(r.status.exited_with(1)) << r.report;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << r.report;
    expect_service_unchanged();
  }
}

TEST_F(HealthcheckProgram, TakesAStoppedServerOutAndBringsItBackThenStopsOnSigterm) {
  const auto start = [&](int j) {
    return lab_->start_server("r", SOCKCALC_SERVER_BIN, {"--threads", "1", server6(j), "10000"});
  };
  auto s1 = start(1);
  auto s2 = start(2);
  ASSERT_TRUE(s1.ok() && s2.ok());  // s3 never runs: down from the start
  auto checker = Process::start(
      ip_program(),
      lab_->in_host("r", SOCKCALC_HEALTHCHECK_BIN,
                    concat({"--nft", "--interval", "100", "--timeout", "80"}, kThree)));
  ASSERT_TRUE(checker.ok()) << checker.error().message();
  Process& hc = **checker;
  ASSERT_TRUE(hc.wait_for_stderr("nftables inet sockcalc: live endpoints s1 s2\n", kPatience))
      << hc.report();
  EXPECT_THAT(hc.err(), HasSubstr("healthcheck: endpoint s3 ([" + server6(3) +
                                  "]:10000) is down: refused (nobody listens)"));
  EXPECT_THAT(list_chain(*lab_, "r", "svc6"),
              HasSubstr("numgen random mod 2 vmap { 0 : goto ep6-s1, 1 : goto ep6-s2 }"));
  // s3 has no IPv4 server running either: svc4 alike.
  EXPECT_THAT(list_chain(*lab_, "r", "svc4"),
              HasSubstr("numgen random mod 2 vmap { 0 : goto ep4-s1, 1 : goto ep4-s2 }"));

  ASSERT_TRUE((*s1)->stop());
  ASSERT_TRUE(hc.wait_for_stderr("nftables inet sockcalc: live endpoints s2\n", kPatience))
      << hc.report();
  EXPECT_THAT(list_chain(*lab_, "r", "svc6"), HasSubstr("mod 1 vmap { 0 : goto ep6-s2 }"));
  EXPECT_THAT(hc.err(), HasSubstr("endpoint s1 ([" + server6(1) + "]:10000) down after 3 failed"));

  s1 = start(1);
  ASSERT_TRUE(s1.ok());
  ASSERT_TRUE(wait_for_count(hc, "nftables inet sockcalc: live endpoints s1 s2\n", 2))
      << hc.report();
  EXPECT_THAT(hc.err(), HasSubstr("endpoint s1 ([" + server6(1) + "]:10000) up after 2 good"));
  EXPECT_TRUE(hc.terminate()) << hc.report();  // SIGTERM alone ends it
  EXPECT_TRUE(hc.status().exited_with(0)) << hc.report();
  EXPECT_THAT(hc.err(), HasSubstr("healthcheck: stopped; live endpoints s1 s2\n"));
  EXPECT_THAT(list_chain(*lab_, "r", "svc6"),
              HasSubstr("mod 2 vmap { 0 : goto ep6-s1, 1 : goto ep6-s2 }"));
}

}  // namespace
}  // namespace sockcalc::testing
