// SPDX-License-Identifier: MIT
// tests/scaleout/topology.hpp -- internal to tests/scaleout.
// Topology: deploy/scaleout/topology.sh run by a test, the way a user runs it: `up` with a
// prefix of this test process (sc-PID-tN, which NetLab's sweep removes should the process die),
// `down` on destruction even when the test failed; programs run in its hosts by `ip netns exec`.
// The script's fixed addresses (docs/SCALING.md) are the constants below. Test thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "support/netlab.hpp"
#include "support/process.hpp"

namespace sockcalc::testing {

/// Addresses and port the script gives every topology (inside its namespaces only).
inline constexpr const char* kServicePort = "10000";
inline constexpr const char* kVip6 = "fd00:5c:ff::1";      // nftables virtual service
inline constexpr const char* kVip4 = "10.92.255.1";        //
inline constexpr const char* kAnycast6 = "fd00:5c:fe::1";  // ECMP anycast, on servers' lo
inline constexpr const char* kAnycast4 = "10.92.254.1";    //
inline const std::vector<std::string> kServerHosts = {"s1", "s2", "s3"};
inline const std::vector<std::string> kClientHosts = {"c1", "c2"};
inline const std::vector<std::string> kAllHosts = {"c1", "c2", "r", "s1", "s2", "s3"};

/// How long `up` and `down` may take: a few seconds each, many more on a loaded machine.
inline constexpr milliseconds kScriptTimeout{90000};

/// The path of deploy/scaleout/topology.sh in the source tree.
std::string topology_script();

/// Runs the script with `args`, and the extra environment in `options` (a PATH without nft).
RunResult run_topology(const std::vector<std::string>& args, const StartOptions& options = {});

/// A prefix no other test (or test process) uses: "sc-PID-tN", N counting up in this process.
std::string unique_prefix();

/// Why these tests cannot run here ("" when they can): no namespaces (netlab's reason) or no
/// nft program.
std::string scaleout_unavailable_reason();

/// Skips the test with the reason, or fails it when SOCKCALC_REQUIRE_NETNS=1 (make check as
/// root installs nftables, so a missing nft is then a failure too).
#define SOCKCALC_REQUIRE_SCALEOUT_OR_SKIP()                                      \
  do {                                                                           \
    const std::string sockcalc_scaleout_reason =                                 \
        ::sockcalc::testing::scaleout_unavailable_reason();                      \
    if (!sockcalc_scaleout_reason.empty()) {                                     \
      if (::sockcalc::testing::netns_required()) {                               \
        FAIL() << "SOCKCALC_REQUIRE_NETNS=1 but " << sockcalc_scaleout_reason;   \
      }                                                                          \
      GTEST_SKIP() << "scale-out lab unavailable: " << sockcalc_scaleout_reason; \
    }                                                                            \
  } while (0)

class Topology {
 public:
  /// `topology.sh up --prefix PREFIX`; the error holds the script's report.
  static Result<std::unique_ptr<Topology>> up(const std::string& prefix);

  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  /// `topology.sh down --prefix PREFIX`. Never throws.
  ~Topology();

  [[nodiscard]] const std::string& prefix() const { return prefix_; }
  /// The namespace of a host ("r" -> "PREFIX-r").
  [[nodiscard]] std::string netns(const std::string& host) const { return prefix_ + "-" + host; }
  /// What `up` printed.
  [[nodiscard]] const std::string& up_output() const { return up_output_; }

  /// run_program() of `program args...` inside `host`.
  [[nodiscard]] RunResult run(const std::string& host, const std::string& program,
                              const std::vector<std::string>& args,
                              milliseconds timeout = kPatience) const;
  /// ServerProcess::start() of `program args...` inside `host`.
  [[nodiscard]] Result<std::unique_ptr<ServerProcess>> start_server(
      const std::string& host, const std::string& program,
      const std::vector<std::string>& args) const;

 private:
  Topology(std::string prefix, std::string output)
      : prefix_(std::move(prefix)), up_output_(std::move(output)) {}
  std::string prefix_;
  std::string up_output_;
};

}  // namespace sockcalc::testing
