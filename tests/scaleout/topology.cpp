// SPDX-License-Identifier: MIT
// tests/scaleout/topology.cpp -- internal to tests/scaleout.
// Runs deploy/scaleout/topology.sh for a test and removes what it made; see topology.hpp.
// Test thread only.
#include "topology.hpp"

#include <unistd.h>

#include <atomic>
#include <iostream>
#include <system_error>

#include "support/netlab.hpp"

namespace sockcalc::testing {

std::string topology_script() {
  return std::string(SOCKCALC_SOURCE_DIR) + "/deploy/scaleout/topology.sh";
}

RunResult run_topology(const std::vector<std::string>& args, const StartOptions& options) {
  std::vector<std::string> all = {topology_script()};
  all.insert(all.end(), args.begin(), args.end());
  return run_program("/bin/bash", all, options, kScriptTimeout);
}

std::string unique_prefix() {
  static std::atomic<int> next{0};
  return "sc-" + std::to_string(::getpid()) + "-t" + std::to_string(next.fetch_add(1));
}

std::string scaleout_unavailable_reason() {
  if (const std::string& reason = netns_unavailable_reason(); !reason.empty()) return reason;
  for (const char* path : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"}) {
    if (::access(path, X_OK) == 0) return "";
  }
  return "no nft program (Debian: nftables)";
}

Result<std::unique_ptr<Topology>> Topology::up(const std::string& prefix) {
  // Labs of test processes that died (their pid in the name) go first, as NetLab does.
  (void)sweep_stale_namespaces();
  const RunResult r = run_topology({"up", "--prefix", prefix});
  if (!r.status.exited_with(0)) {
    return Error{std::make_error_code(std::errc::io_error),
                 "cannot bring the topology " + prefix + " up:\n" + r.report};
  }
  return std::unique_ptr<Topology>(new Topology(prefix, r.out));
}

Topology::~Topology() {
  const RunResult r = run_topology({"down", "--prefix", prefix_});
  if (!r.status.exited_with(0)) std::cerr << "topology down failed:\n" << r.report << "\n";
}

RunResult Topology::run(const std::string& host, const std::string& program,
                        const std::vector<std::string>& args, milliseconds timeout) const {
  std::vector<std::string> all = {"netns", "exec", netns(host), program};
  all.insert(all.end(), args.begin(), args.end());
  return run_program(ip_program(), all, timeout);
}

Result<std::unique_ptr<ServerProcess>> Topology::start_server(
    const std::string& host, const std::string& program,
    const std::vector<std::string>& args) const {
  std::vector<std::string> all = {"netns", "exec", netns(host), program};
  all.insert(all.end(), args.begin(), args.end());
  return ServerProcess::start(ip_program(), all);
}

}  // namespace sockcalc::testing
