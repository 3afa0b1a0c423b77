// SPDX-License-Identifier: MIT
// tests/netns/netlab_test.cpp -- internal to tests/netns.
// The lab itself: two hosts joined by a veth pair exchange a request and its reply (our server
// and client); every namespace is gone after the lab, after a failure inside a test, and after
// a run that died without cleaning up (the next lab sweeps it).
// Test thread only; every process is stopped by its pid.
#include <stdexcept>

#include <gmock/gmock.h>

#include "netns.hpp"

using ::testing::HasSubstr;

namespace sockcalc::testing {
namespace {

// Two hosts on one link, each with a ULA address of its own.
void make_pair(NetLab& lab) {
  SOCKCALC_ASSERT_OK(lab.add_host("c"));
  SOCKCALC_ASSERT_OK(lab.add_host("s"));
  SOCKCALC_ASSERT_OK(lab.link({.host_a = "c", .if_a = "eth0", .host_b = "s", .if_b = "eth0"}));
  SOCKCALC_ASSERT_OK(lab.add_address("c", "eth0", "fd5c:1ab::c/64"));
  SOCKCALC_ASSERT_OK(lab.add_address("s", "eth0", "fd5c:1ab::5/64"));
}

TEST(NetLab, TwoHostsExchangeADatagram) {
  std::vector<std::string> names;
  {
    SOCKCALC_MAKE_LAB(lab);
    make_pair(*lab);
    if (HasFatalFailure()) return;
    names = lab->namespaces();
    ASSERT_EQ(names.size(), 2u);
    for (const std::string& n : names) EXPECT_TRUE(netns_exists(n)) << n;

    auto server = lab->start_server("s", SOCKCALC_SERVER_BIN, {"fd5c:1ab::5", "0"});
    ASSERT_TRUE(server.ok()) << server.error().message();
    const RunResult r = ask_sum(*lab, "c", "fd5c:1ab::5", (*server)->port_arg());
    EXPECT_TRUE(r.status.exited_with(0)) << r.report << (*server)->report();
    EXPECT_EQ(r.out, sum_line()) << r.report;

    // The server runs inside "s" only: from the test's own namespace that address is unknown.
    const RunResult outside =
        run_program(SOCKCALC_CLIENT_BIN, {"--timeout", "100", "--retries", "0", "-op", "+",
                                          "fd5c:1ab::5", (*server)->port_arg(), "1"});
    EXPECT_FALSE(outside.status.exited_with(0)) << outside.report;
    // The pid is the server's own (ip netns exec execs it): stopping by pid works.
    EXPECT_TRUE((*server)->stop()) << (*server)->report();
    EXPECT_TRUE((*server)->process().status().exited_with(0)) << (*server)->report();
  }
  for (const std::string& n : names) EXPECT_FALSE(netns_exists(n)) << n << " left behind";
}

TEST(NetLab, NamespacesAreRemovedWhenATestFails) {
  SOCKCALC_REQUIRE_NETNS_OR_SKIP();
  std::vector<std::string> names;
  try {
    auto lab = NetLab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message();
    make_pair(**lab);
    if (HasFatalFailure()) return;
    names = (*lab)->namespaces();
    throw std::runtime_error("simulated failure");  // as a test that stops half-way
  } catch (const std::runtime_error&) {
  }
  ASSERT_EQ(names.size(), 2u);
  for (const std::string& n : names) EXPECT_FALSE(netns_exists(n)) << n << " left behind";
}

TEST(NetLab, ANewLabSweepsWhatADeadRunLeft) {
  SOCKCALC_REQUIRE_NETNS_OR_SKIP();
  // A pid that no longer runs: a child that exited and was reaped.
  auto p = Process::start("/bin/true", {});
  ASSERT_TRUE(p.ok()) << p.error().message();
  const pid_t dead = (*p)->pid();
  ASSERT_TRUE((*p)->wait_for_exit(kPatience));
  const std::string stale = "sc-" + std::to_string(dead) + "-0-crashed";
  const RunResult add = run_program(ip_program(), {"netns", "add", stale});
  ASSERT_TRUE(add.status.exited_with(0)) << add.report;
  ASSERT_TRUE(netns_exists(stale));

  // A namespace of a live process (this one) is left alone.
  auto lab = NetLab::create();
  ASSERT_TRUE(lab.ok()) << lab.error().message();
  SOCKCALC_ASSERT_OK((*lab)->add_host("a"));
  auto other = NetLab::create();
  ASSERT_TRUE(other.ok()) << other.error().message();
  EXPECT_FALSE(netns_exists(stale)) << "a dead run's namespace was not swept";
  EXPECT_TRUE(netns_exists((*lab)->netns("a"))) << "a live lab's namespace was swept";
}

TEST(NetLab, RefusesBadHostsAndReportsIpErrors) {
  SOCKCALC_MAKE_LAB(lab);
  EXPECT_FALSE(lab->add_host("").ok());
  EXPECT_FALSE(lab->add_host("much-too-long").ok());
  SOCKCALC_ASSERT_OK(lab->add_host("a"));
  EXPECT_FALSE(lab->add_host("a").ok());
  const Status bad = lab->add_address("a", "nosuchif", "fd5c::1/64");
  ASSERT_FALSE(bad.ok());
  // The message names the command and carries ip's own words.
  EXPECT_THAT(bad.error().message(), HasSubstr("ip -n")) << bad.error().message();
  EXPECT_THAT(bad.error().message(), HasSubstr("nosuchif")) << bad.error().message();
}

}  // namespace
}  // namespace sockcalc::testing
