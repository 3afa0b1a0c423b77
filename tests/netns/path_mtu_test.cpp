// SPDX-License-Identifier: MIT
// tests/netns/path_mtu_test.cpp -- internal to tests/netns.
// A request through a router onto a link with a small MTU (issue 10 §3). IPv6: the longest
// request (64 integers, 257 + 8 + 40 = 305 bytes) fits IPv6's minimum MTU (1280), so it goes
// through on the first try with no fragment anywhere. IPv4: on a link whose MTU is smaller than
// the 285-byte packet, the request still gets its answer within the client's default tries.
// Hosts: c -- r (router) -- s. Test thread only; every namespace removed.
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "netns.hpp"

using ::testing::HasSubstr;

namespace sockcalc::testing {
namespace {

// IPv6's minimum link MTU (RFC 8200 §5): every IPv6 link carries 1280-byte packets unfragmented.
constexpr int kIpv6MinimumMtu = 1280;
// Smaller than the longest IPv4 request: 257 bytes + 8 (UDP) + 20 (IPv4) = 285.
constexpr int kSmallIpv4Mtu = 256;

struct Path {
  std::string c_addr, r_c_addr, r_s_addr, s_addr;  // with prefix length
  std::string c_gateway, s_gateway;
  int rs_mtu = 0;
};

// c -- r -- s, forwarding on in r, default routes through r.
void make_path(NetLab& lab, const Path& p) {
  for (const char* h : {"c", "r", "s"}) SOCKCALC_ASSERT_OK(lab.add_host(h));
  SOCKCALC_ASSERT_OK(lab.link({.host_a = "c", .if_a = "eth0", .host_b = "r", .if_b = "eth0"}));
  SOCKCALC_ASSERT_OK(
      lab.link({.host_a = "r", .if_a = "eth1", .host_b = "s", .if_b = "eth0", .mtu = p.rs_mtu}));
  SOCKCALC_ASSERT_OK(lab.add_address("c", "eth0", p.c_addr));
  SOCKCALC_ASSERT_OK(lab.add_address("r", "eth0", p.r_c_addr));
  SOCKCALC_ASSERT_OK(lab.add_address("r", "eth1", p.r_s_addr));
  SOCKCALC_ASSERT_OK(lab.add_address("s", "eth0", p.s_addr));
  SOCKCALC_ASSERT_OK(lab.add_route("c", {"default", "via", p.c_gateway}));
  SOCKCALC_ASSERT_OK(lab.add_route("s", {"default", "via", p.s_gateway}));
  SOCKCALC_ASSERT_OK(lab.set_sysctl("r", "net.ipv6.conf.all.forwarding", "1"));
  SOCKCALC_ASSERT_OK(lab.set_sysctl("r", "net.ipv4.ip_forward", "1"));
}

// 1 2 ... 64: the longest request (P-6).
std::vector<std::string> sixty_four() {
  std::vector<std::string> v;
  for (int i = 1; i <= 64; ++i) v.push_back(std::to_string(i));
  return v;
}
constexpr const char* kSixtyFourSum = "Result: 2080\n";  // 64 * 65 / 2

// How many times the client sent its request: its -v lines "client: to ...".
int tries(const RunResult& r) {
  int n = 0;
  for (std::size_t pos = r.err.find("client: to "); pos != std::string::npos;
       pos = r.err.find("client: to ", pos + 1)) {
    ++n;
  }
  return n;
}

struct Counters {
  long long c_frag_creates, r_frag_creates, r_frag_fails, r_too_big, s_reassembly;
};

Counters read_v6(const NetLab& lab) {
  const auto get = [&](const char* host, const char* name) {
    auto v = lab.counter(host, name);
    EXPECT_TRUE(v.ok()) << v.error().message();
    return v.ok() ? *v : -1;
  };
  return {get("c", "Ip6FragCreates"), get("r", "Ip6FragCreates"), get("r", "Ip6FragFails"),
          get("r", "Icmp6OutPktTooBigs"), get("s", "Ip6ReasmReqds")};
}

TEST(PathMtu, Ipv6LongestRequestFitsTheMinimumMtuOnTheFirstTry) {
  SOCKCALC_MAKE_LAB(lab);
  make_path(*lab, {.c_addr = "fd5c:1::c/64",
                   .r_c_addr = "fd5c:1::1/64",
                   .r_s_addr = "fd5c:2::1/64",
                   .s_addr = "fd5c:2::5/64",
                   .c_gateway = "fd5c:1::1",
                   .s_gateway = "fd5c:2::1",
                   .rs_mtu = kIpv6MinimumMtu});
  if (HasFatalFailure()) return;
  auto server = lab->start_server("s", SOCKCALC_SERVER_BIN, {"::", "0"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  const Counters before = read_v6(*lab);

  std::vector<std::string> args = {"-v", "-op", "+", "fd5c:2::5", (*server)->port_arg()};
  const auto ints = sixty_four();
  args.insert(args.end(), ints.begin(), ints.end());
  const RunResult r = lab->run("c", SOCKCALC_CLIENT_BIN, args);
  EXPECT_TRUE(r.status.exited_with(0)) << r.report << (*server)->report();
  EXPECT_EQ(r.out, kSixtyFourSum) << r.report;
  EXPECT_THAT(r.err, HasSubstr("257 bytes")) << r.report;
  EXPECT_EQ(tries(r), 1) << "answered only after a retransmission\n" << r.report;

  const Counters after = read_v6(*lab);
  EXPECT_EQ(after.c_frag_creates, before.c_frag_creates) << "the client's host fragmented";
  EXPECT_EQ(after.r_frag_creates, before.r_frag_creates) << "the router fragmented";
  EXPECT_EQ(after.r_frag_fails, before.r_frag_fails) << "the router dropped a packet too big";
  EXPECT_EQ(after.r_too_big, before.r_too_big) << "the router sent a Packet Too Big";
  EXPECT_EQ(after.s_reassembly, before.s_reassembly) << "the server's host reassembled";
}

TEST(PathMtu, Ipv4RequestLargerThanTheLinkMtuIsStillAnswered) {
  SOCKCALC_MAKE_LAB(lab);
  make_path(*lab, {.c_addr = "10.1.0.2/24",
                   .r_c_addr = "10.1.0.1/24",
                   .r_s_addr = "10.2.0.1/24",
                   .s_addr = "10.2.0.2/24",
                   .c_gateway = "10.1.0.1",
                   .s_gateway = "10.2.0.1",
                   .rs_mtu = kSmallIpv4Mtu});
  if (HasFatalFailure()) return;
  auto server = lab->start_server("s", SOCKCALC_SERVER_BIN, {"0.0.0.0", "0"});
  ASSERT_TRUE(server.ok()) << server.error().message();
  auto frag_before = lab->counter("c", "Ip:FragCreates");
  ASSERT_TRUE(frag_before.ok()) << frag_before.error().message();

  // The client's default tries (8 over 6.75 s); the limit only bounds the test.
  std::vector<std::string> args = {"-v", "-op", "+", "10.2.0.2", (*server)->port_arg()};
  const auto ints = sixty_four();
  args.insert(args.end(), ints.begin(), ints.end());
  const RunResult r = lab->run("c", SOCKCALC_CLIENT_BIN, args, milliseconds(15000));
  EXPECT_TRUE(r.status.exited_with(0)) << r.report << (*server)->report();
  EXPECT_EQ(r.out, kSixtyFourSum) << r.report;
  std::cout << "IPv4, a 285-byte request over a link of MTU " << kSmallIpv4Mtu
            << ": answered after " << tries(r) << " tries\n";
  // The request crossed the small link in fragments, made by someone on the way.
  auto frag_after = lab->counter("c", "Ip:FragCreates");
  auto r_frag = lab->counter("r", "Ip:FragCreates");
  ASSERT_TRUE(frag_after.ok() && r_frag.ok());
  std::cout << "fragments created: client host " << (*frag_after - *frag_before) << ", router "
            << *r_frag << "\n";
  EXPECT_GT(*frag_after - *frag_before + *r_frag, 0) << r.report;
}

}  // namespace
}  // namespace sockcalc::testing
