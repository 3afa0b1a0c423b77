// SPDX-License-Identifier: MIT
// tests/healthcheck/lab.cpp -- internal to tests/healthcheck. The helpers of lab.hpp.
// Test thread only.
#include "lab.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace sockcalc::testing {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

}  // namespace

const std::string& nft_program() {
  static const std::string path = [] {
    for (const char* p : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"}) {
      if (access(p, X_OK) == 0) return std::string(p);
    }
    return std::string();
  }();
  return path;
}

Result<std::unique_ptr<InNamespace>> InNamespace::enter(const std::string& netns) {
  const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return errno_error(errno, "cannot open this thread's network namespace");
  const int target = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    const int e = errno;
    close(home);
    return errno_error(e, "cannot open namespace " + netns);
  }
  const int rc = setns(target, CLONE_NEWNET);
  const int e = errno;
  close(target);
  if (rc != 0) {
    close(home);
    return errno_error(e, "cannot enter namespace " + netns);
  }
  return std::unique_ptr<InNamespace>(new InNamespace(home));
}

InNamespace::~InNamespace() {
  // Back home; should that fail, the rest of the test program would act in a lab host that is
  // about to be deleted: stop here rather than touch the machine's own network by mistake.
  if (setns(home_, CLONE_NEWNET) != 0) std::abort();
  close(home_);
}

std::string server6(int j) { return "fd00:5c:1" + std::to_string(j) + "::2"; }
std::string server4(int j) { return "10.92.1" + std::to_string(j) + ".2"; }

Status load_ruleset(const NetLab& lab, const std::string& host) {
  std::ifstream in(std::string(SOCKCALC_SOURCE_DIR) + "/deploy/nftables/sockcalc.nft.in");
  std::ostringstream text;
  text << in.rdbuf();
  std::string rules = text.str();
  if (rules.empty()) return validation_error("cannot read deploy/nftables/sockcalc.nft.in");
  rules = replace_all(rules, "@VIP6@", kVip6);
  rules = replace_all(rules, "@VIP4@", kVip4);
  rules = replace_all(rules, "@PORT@", std::to_string(kServicePort));
  for (int j = 1; j <= 3; ++j) {
    rules = replace_all(rules, "@S" + std::to_string(j) + "_6@", server6(j));
    rules = replace_all(rules, "@S" + std::to_string(j) + "_4@", server4(j));
  }
  auto dir = TempDir::create();
  if (!dir) return dir.error();
  const std::string file = dir->path() + "/sockcalc.nft";
  std::ofstream(file) << rules;
  const RunResult r = lab.run(host, nft_program(), {"-f", file});
  if (!r.status.exited_with(0)) return validation_error("nft -f failed: " + r.report);
  return Ok{};
}

std::string list_chain(const NetLab& lab, const std::string& host, const std::string& chain) {
  const RunResult r = lab.run(host, nft_program(), {"list", "chain", "inet", "sockcalc", chain});
  return r.status.exited_with(0) ? r.out : "";
}

std::string ip_output(const NetLab& lab, const std::string& host,
                      const std::vector<std::string>& args) {
  return lab.run(host, ip_program(), args).out;
}

}  // namespace sockcalc::testing
