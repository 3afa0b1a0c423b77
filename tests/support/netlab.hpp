// SPDX-License-Identifier: MIT
// tests/support/netlab.hpp -- public to every test program (library sockcalc_test_support).
// NetLab: a small lab of test hosts, one network namespace each, joined by veth pairs, with the
// addresses, routes and sysctls a test asks for; programs run inside a host through
// `ip netns exec`. One thread per NetLab; distinct labs (and parallel test runs) never collide.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "support/process.hpp"

namespace sockcalc::testing {

/// Why this machine cannot make network namespaces for a test ("not root", "no ip program",
/// "ip netns add refused: ..."), or "" when it can. Probes once per process (it creates and
/// deletes one namespace) and remembers the answer.
const std::string& netns_unavailable_reason();

/// True when the environment says namespace tests must run (SOCKCALC_REQUIRE_NETNS=1, set by
/// `make check` as root): a lab that cannot be made is then a failure, not a skip.
bool netns_required();

/// Skips the current test with the reason when namespaces cannot be made, or fails it when
/// netns_required(). Use at the top of a test body or SetUp().
#define SOCKCALC_REQUIRE_NETNS_OR_SKIP()                                                        \
  do {                                                                                          \
    const std::string& sockcalc_netns_reason = ::sockcalc::testing::netns_unavailable_reason(); \
    if (!sockcalc_netns_reason.empty()) {                                                       \
      if (::sockcalc::testing::netns_required()) {                                              \
        FAIL() << "SOCKCALC_REQUIRE_NETNS=1 but " << sockcalc_netns_reason;                     \
      }                                                                                         \
      GTEST_SKIP() << "network namespaces unavailable: " << sockcalc_netns_reason;              \
    }                                                                                           \
  } while (0)

/// The path of the `ip` program (iproute2), "" when there is none.
const std::string& ip_program();

/// One link between two hosts: the veth end in each, by the name the test gives it (names live
/// inside the hosts' namespaces, so "eth0" may be used in every host).
struct LinkSpec {
  std::string host_a;
  std::string if_a;
  std::string host_b;
  std::string if_b;
  int mtu = 0;  // 0: the veth default (1500)
};

class NetLab {
 public:
  /// A new, empty lab. First removes namespaces that earlier runs left behind (their name holds
  /// the pid of a process that no longer exists). Fails when namespaces cannot be made.
  static Result<std::unique_ptr<NetLab>> create();

  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;
  /// Deletes every namespace of the lab (which deletes their veths). Never throws.
  ~NetLab();

  /// A new host `host` (letters and digits, at most 8): its namespace, with `lo` up and
  /// duplicate address detection off (every address is usable at once).
  Status add_host(const std::string& host);

  /// A veth pair between two hosts, both ends up, with the MTU asked (both ends).
  Status link(const LinkSpec& spec);

  /// Adds `cidr` ("fd5c::1/64", "fe80::1/64", "10.1.0.1/24", "127.0.0.2/8") to `iface` of
  /// `host`. IPv6 addresses get `nodad`.
  Status add_address(const std::string& host, const std::string& iface, const std::string& cidr);

  /// `ip route add ARGS...` in `host` ("default", "via", "fd5c:1::1"); ip infers the family.
  Status add_route(const std::string& host, const std::vector<std::string>& args);

  /// Sets a sysctl inside `host` ("net.ipv6.conf.all.forwarding", "1").
  Status set_sysctl(const std::string& host, const std::string& key, const std::string& value);

  /// Runs `ip -n NAMESPACE args...` for `host`; the error carries ip's stderr.
  Status ip(const std::string& host, const std::vector<std::string>& args);

  /// The namespace of `host`, "" for an unknown host.
  [[nodiscard]] std::string netns(const std::string& host) const;
  /// Every namespace this lab made, in order.
  [[nodiscard]] std::vector<std::string> namespaces() const;

  /// The arguments that run `program args...` inside `host` when given to ip_program():
  /// {"netns", "exec", NAMESPACE, program, args...}. `ip netns exec` execs the program, so the
  /// Process's pid is the program's own and stopping it by pid works.
  [[nodiscard]] std::vector<std::string> in_host(const std::string& host,
                                                 const std::string& program,
                                                 const std::vector<std::string>& args) const;

  /// run_program() of `program args...` inside `host`.
  RunResult run(const std::string& host, const std::string& program,
                const std::vector<std::string>& args, milliseconds timeout = kPatience) const;

  /// ServerProcess::start() of `program args...` inside `host`.
  Result<std::unique_ptr<ServerProcess>> start_server(const std::string& host,
                                                      const std::string& program,
                                                      const std::vector<std::string>& args) const;

  /// Reads a counter of /proc/net/snmp6 ("Ip6FragCreates") or /proc/net/snmp ("Ip FragCreates"
  /// is named "Ip:FragCreates") inside `host`.
  Result<long long> counter(const std::string& host, const std::string& name) const;

 private:
  NetLab() = default;
  std::map<std::string, std::string> hosts_;  // host -> namespace
  std::vector<std::string> order_;            // namespaces, in creation order
  int lab_number_ = 0;
};

/// Whether a namespace of that name exists now (`ip netns list`).
bool netns_exists(const std::string& name);

/// Removes namespaces named sc-PID-... whose PID is not alive; returns how many. Called by
/// NetLab::create(); exposed for the lab's own test.
int sweep_stale_namespaces();

}  // namespace sockcalc::testing
