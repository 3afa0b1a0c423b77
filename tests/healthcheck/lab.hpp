// SPDX-License-Identifier: MIT
// tests/healthcheck/lab.hpp -- internal to tests/healthcheck.
// What the namespace tests of the health checker share: a lab or a skip, the test thread moved
// into a lab host (so the library's nftables, conntrack and netlink calls act there), the
// repository's nftables ruleset filled in and loaded, and commands run in a host.
// Test thread only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "support/netlab.hpp"
#include "support/process.hpp"

namespace sockcalc::testing {

/// Fails the test with the error of `status` (a Status) unless it is Ok.
#define HC_ASSERT_OK(status)                                    \
  do {                                                          \
    const auto hc_status = (status);                            \
    ASSERT_TRUE(hc_status.ok()) << hc_status.error().message(); \
  } while (0)

/// A lab, or the test skipped (failed with SOCKCALC_REQUIRE_NETNS=1) when none can be made.
#define HC_MAKE_LAB(lab)                                        \
  SOCKCALC_REQUIRE_NETNS_OR_SKIP();                             \
  auto lab##_made = ::sockcalc::testing::NetLab::create();      \
  ASSERT_TRUE(lab##_made.ok()) << lab##_made.error().message(); \
  std::unique_ptr<::sockcalc::testing::NetLab> lab = std::move(*lab##_made)

/// The nft program (nftables), "" when there is none.
const std::string& nft_program();

/// The calling thread inside network namespace `netns` until destruction, then back where it
/// was. Threads it starts meanwhile are born there too.
class InNamespace {
 public:
  static Result<std::unique_ptr<InNamespace>> enter(const std::string& netns);
  InNamespace(const InNamespace&) = delete;
  InNamespace& operator=(const InNamespace&) = delete;
  ~InNamespace();

 private:
  explicit InNamespace(int home) : home_(home) {}
  int home_;  // an fd of the namespace the thread came from
};

/// Server addresses of the ruleset: fd00:5c:1J::2 and 10.92.1J.2 for server J (1..3), and the
/// virtual addresses fd00:5c:ff::1 and 10.92.255.1, as deploy/scaleout/topology.sh uses them.
std::string server6(int j);
std::string server4(int j);
inline const std::string kVip6 = "fd00:5c:ff::1";
inline const std::string kVip4 = "10.92.255.1";
inline constexpr int kServicePort = 10000;

/// deploy/nftables/sockcalc.nft.in with its placeholders filled in as above, loaded with
/// `nft -f` in `host`.
Status load_ruleset(const NetLab& lab, const std::string& host);

/// `nft list chain inet sockcalc CHAIN` in `host`: the chain as nft prints it ("" on failure).
std::string list_chain(const NetLab& lab, const std::string& host, const std::string& chain);

/// `ip ARGS...` in `host`: what it printed.
std::string ip_output(const NetLab& lab, const std::string& host,
                      const std::vector<std::string>& args);

}  // namespace sockcalc::testing
