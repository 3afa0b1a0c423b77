// SPDX-License-Identifier: MIT
// tests/netns/conformance_test.cpp -- internal to tests/netns.
// `conformance server` between hosts: from c, against a server on the wildcard of s asked at
// each of s's addresses, every check passes, reply-source (P-14) included; against a server
// that lets routing choose its reply's source (wrong_server --mistake wrong-source), asked at an
// address that is not routing's choice, reply-source fails and says where the reply came from.
// Test thread only; every process is stopped by its pid, every namespace removed.
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "netns.hpp"

using ::testing::HasSubstr;

namespace sockcalc::testing {
namespace {

// s: fd5c:a::1 (routing's choice for a reply to c), fd5c:b::2 on another prefix, 10.55.0.1
// (primary) and 10.55.0.2 (secondary).
void make_hosts(NetLab& lab) {
  SOCKCALC_ASSERT_OK(lab.add_host("c"));
  SOCKCALC_ASSERT_OK(lab.add_host("s"));
  SOCKCALC_ASSERT_OK(lab.link({.host_a = "c", .if_a = "eth0", .host_b = "s", .if_b = "eth0"}));
  for (const char* a : {"fd5c:a::1/64", "fd5c:b::2/64", "10.55.0.1/24", "10.55.0.2/24"}) {
    SOCKCALC_ASSERT_OK(lab.add_address("s", "eth0", a));
  }
  for (const char* a : {"fd5c:a::100/64", "10.55.0.100/24"}) {
    SOCKCALC_ASSERT_OK(lab.add_address("c", "eth0", a));
  }
  SOCKCALC_ASSERT_OK(lab.add_route("c", {"fd5c:b::/64", "dev", "eth0"}));
}

RunResult check(const NetLab& lab, const std::string& target, const std::string& port) {
  return lab.run("c", SOCKCALC_CONFORMANCE_BIN, {"--timeout", "600", "server", target, port},
                 milliseconds(60000));
}

// The status of check `id` in a conformance table ("PASS   P-14   reply-source ..."), "" if none.
std::string status_of(const std::string& out, const std::string& id) {
  const std::size_t at = out.find(" " + id + " ");
  if (at == std::string::npos) return "";
  const std::size_t line = out.rfind('\n', at);
  return out.substr(line == std::string::npos ? 0 : line + 1, 4);
}

TEST(ConformanceBetweenHosts, OurWildcardServerPassesAtEveryAddress) {
  SOCKCALC_MAKE_LAB(lab);
  make_hosts(*lab);
  if (HasFatalFailure()) return;
  auto server = lab->start_server("s", SOCKCALC_SERVER_BIN, {"::", "0"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  for (const char* target : {"fd5c:a::1", "fd5c:b::2", "10.55.0.1", "10.55.0.2"}) {
    const RunResult r = check(*lab, target, (*server)->port_arg());
    EXPECT_TRUE(r.status.exited_with(0)) << target << "\n" << r.report;
    EXPECT_EQ(status_of(r.out, "reply-source"), "PASS") << target << "\n" << r.report;
    EXPECT_THAT(r.out, HasSubstr(" 0 failed, 0 warnings, 0 skipped: PASS")) << target << "\n"
                                                                            << r.report;
  }
}

TEST(ConformanceBetweenHosts, AWrongSourceServerFailsReplySource) {
  SOCKCALC_MAKE_LAB(lab);
  make_hosts(*lab);
  if (HasFatalFailure()) return;
  auto server =
      lab->start_server("s", SOCKCALC_WRONG_SERVER_BIN, {"--mistake", "wrong-source", "::", "0"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  const std::string port = (*server)->port_arg();
  // Routing's choice: every check passes, reply-source too (it cannot see the bug from here).
  const RunResult chosen = check(*lab, "fd5c:a::1", port);
  EXPECT_TRUE(chosen.status.exited_with(0)) << chosen.report;
  // Another address: the connected probes get nothing, reply-source says why.
  for (const char* target : {"fd5c:b::2", "10.55.0.2"}) {
    const RunResult r = check(*lab, target, port);
    EXPECT_TRUE(r.status.exited_with(1)) << target << "\n" << r.report;
    EXPECT_EQ(status_of(r.out, "reply-source"), "FAIL") << target << "\n" << r.report;
    EXPECT_THAT(r.out, HasSubstr("broke P-14: the reply to a request sent to ")) << target << "\n"
                                                                                 << r.report;
    const std::string routed = std::string(target) == "fd5c:b::2" ? "[fd5c:a::1]:" : "10.55.0.1:";
    EXPECT_THAT(r.out, HasSubstr("came from " + routed + port)) << target << "\n" << r.report;
  }
}

}  // namespace
}  // namespace sockcalc::testing
