// SPDX-License-Identifier: MIT
// tests/scaleout/topology_test.cpp -- internal to tests/scaleout.
// deploy/scaleout/topology.sh itself: `up` makes the six hosts with the router's ruleset and
// multipath routes and says so, `status` shows them, `down` removes them; bad input (unknown
// command or option, bad prefix, a prefix in use, ip or nft missing) is refused with a clear
// message and leaves nothing made; a failure half-way through `up` removes what it made.
// Test thread only; every topology brought down, every namespace removed, even on failure.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "topology.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

namespace sockcalc::testing {
namespace {

// No namespace of `prefix` exists (none was made, or all were removed).
void expect_no_host_of(const std::string& prefix) {
  for (const std::string& host : kAllHosts) {
    EXPECT_FALSE(netns_exists(prefix + "-" + host)) << prefix << "-" << host << " was left behind";
  }
}

// Deletes namespaces a test made by hand, on every way out of the test.
class HandMadeNamespaces {
 public:
  HandMadeNamespaces() = default;
  HandMadeNamespaces(const HandMadeNamespaces&) = delete;
  HandMadeNamespaces& operator=(const HandMadeNamespaces&) = delete;
  ~HandMadeNamespaces() {
    for (const std::string& n : names_) (void)run_program(ip_program(), {"netns", "delete", n});
  }
  bool add(const std::string& name) {
    names_.push_back(name);
    return run_program(ip_program(), {"netns", "add", name}).status.exited_with(0);
  }

 private:
  std::vector<std::string> names_;
};

// The first of `dirs` that holds an executable `name`, "" if none.
std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    const std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// Every program the script runs.
const std::vector<std::string> kScriptPrograms = {"ip", "nft", "sysctl", "dirname", "awk",   "grep",
                                                  "id", "tr",  "wc",     "sed",     "paste", "cat"};

// Start options that set PATH (and nothing else).
StartOptions with_path(const std::string& path) {
  StartOptions options;
  options.env = {"PATH=" + path};
  return options;
}

// A directory for PATH holding links to the script's programs except `missing`.
void link_programs_except(const std::string& dir, const std::string& missing) {
  for (const std::string& name : kScriptPrograms) {
    if (name == missing) continue;
    const std::string target = find_program(name);
    ASSERT_FALSE(target.empty()) << "no " << name << " here";
    ASSERT_EQ(::symlink(target.c_str(), (dir + "/" + name).c_str()), 0) << name;
  }
}

class ScaleoutTopology : public ::testing::Test {
 protected:
  void SetUp() override {
    if (SOCKCALC_SANITIZED) {
      GTEST_SKIP() << "sanitized build: these tests run only the script, ip and nft, none of our "
                      "code; the default preset's ctest runs them";
    }
    SOCKCALC_REQUIRE_SCALEOUT_OR_SKIP();
  }
};

TEST_F(ScaleoutTopology, UpShowsItselfRefusesItsPrefixAgainAndGoesDown) {
  const std::string prefix = unique_prefix();
  {
    auto up = Topology::up(prefix);
    ASSERT_TRUE(up.ok()) << up.error().message();
    const Topology& t = **up;
    for (const std::string& host : kAllHosts) {
      EXPECT_TRUE(netns_exists(t.netns(host))) << t.netns(host);
      EXPECT_THAT(t.up_output(), HasSubstr(t.netns(host)));
    }

    const RunResult status = run_topology({"status", "--prefix", prefix});
    EXPECT_TRUE(status.status.exited_with(0)) << status.report;
    EXPECT_THAT(status.out, HasSubstr("6 of 6 hosts"));
    EXPECT_THAT(status.out, HasSubstr("svc6: numgen random mod 3 vmap { 0 : goto ep6-s1, 1 : "
                                      "goto ep6-s2, 2 : goto ep6-s3 }"));
    EXPECT_THAT(status.out, HasSubstr("svc4: numgen random mod 3 vmap"));
    for (const char* hop : {"nexthop via fd00:5c:11::2 dev s1", "nexthop via fd00:5c:13::2 dev s3",
                            "nexthop via 10.92.12.2 dev s2"}) {
      EXPECT_THAT(status.out, HasSubstr(hop)) << status.report;
    }
    // The anycast address is on every server's lo; the router hashes layer 4.
    for (const std::string& s : kServerHosts) {
      const RunResult lo = t.run(s, ip_program(), {"-brief", "addr", "show", "dev", "lo"});
      EXPECT_THAT(lo.out, HasSubstr(std::string(kAnycast6) + "/128")) << lo.report;
      EXPECT_THAT(lo.out, HasSubstr(std::string(kAnycast4) + "/32")) << lo.report;
    }
    for (const char* key :
         {"net.ipv6.fib_multipath_hash_policy", "net.ipv4.fib_multipath_hash_policy",
          "net.ipv6.conf.all.forwarding", "net.ipv4.ip_forward"}) {
      const RunResult r = t.run("r", find_program("sysctl"), {"-n", key});
      EXPECT_EQ(r.out, "1\n") << key << "\n" << r.report;
    }

    // The same prefix again: refused, and the topology there is left as it was.
    const RunResult again = run_topology({"up", "--prefix", prefix});
    EXPECT_TRUE(again.status.exited_with(1)) << again.report;
    EXPECT_THAT(again.err, HasSubstr("prefix '" + prefix + "' already in use"));
    EXPECT_THAT(again.err, Not(HasSubstr("removed"))) << again.report;
    for (const std::string& host : kAllHosts) EXPECT_TRUE(netns_exists(t.netns(host))) << host;
  }  // ~Topology: down
  expect_no_host_of(prefix);
  const RunResult status = run_topology({"status", "--prefix", prefix});
  EXPECT_TRUE(status.status.exited_with(1)) << status.report;
  EXPECT_THAT(status.out, HasSubstr("0 of 6 hosts"));
  const RunResult down = run_topology({"down", "--prefix", prefix});
  EXPECT_TRUE(down.status.exited_with(0)) << down.report;
  EXPECT_THAT(down.out, HasSubstr("nothing to remove"));
}

TEST_F(ScaleoutTopology, UsageErrorsSayWhatIsWrongAndMakeNothing) {
  const std::string prefix = unique_prefix();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "no command (up, down or status)"},
      {{"frobnicate", "--prefix", prefix}, "unknown command 'frobnicate'"},
      {{"up", "--prefix", prefix, "--bogus"}, "unknown option '--bogus'"},
      {{"up", "down", "--prefix", prefix}, "more than one command ('up' and 'down')"},
      {{"up", "--prefix"}, "option '--prefix' needs a value"},
      {{"up", "--prefix", "9lives"}, "bad prefix '9lives'"},
      {{"up", "--prefix", "a/b"}, "bad prefix 'a/b'"},
      {{"up", "--prefix", ""}, "bad prefix ''"},
      {{"up", "--prefix", std::string(33, 'x')}, "bad prefix"},
  };
  for (const Case& c : cases) {
    const RunResult r = run_topology(c.args);
    EXPECT_TRUE(r.status.exited_with(2)) << r.report;
    EXPECT_THAT(r.err, HasSubstr("topology.sh: " + c.message)) << r.report;
    EXPECT_THAT(r.err, HasSubstr("Try 'topology.sh --help'.")) << r.report;
  }
  expect_no_host_of(prefix);
  expect_no_host_of("9lives");
  expect_no_host_of(std::string(33, 'x'));

  const RunResult help = run_topology({"--help"});
  EXPECT_TRUE(help.status.exited_with(0)) << help.report;
  for (const char* word :
       {"up ", "down ", "status ", "--prefix P", "fd00:5c:ff::1", "10.92.254.1"}) {
    EXPECT_THAT(help.out, HasSubstr(word));
  }
}

TEST_F(ScaleoutTopology, PrefixPartlyInUseIsRefusedAndNothingIsAdded) {
  const std::string prefix = unique_prefix();
  HandMadeNamespaces hand;
  ASSERT_TRUE(hand.add(prefix + "-s2"));
  const RunResult r = run_topology({"up", "--prefix", prefix});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  EXPECT_THAT(r.err,
              HasSubstr("prefix '" + prefix + "' already in use: namespaces of hosts s2 exist"));
  for (const std::string& host : kAllHosts) {
    EXPECT_EQ(netns_exists(prefix + "-" + host), host == "s2") << host;
  }
}

TEST_F(ScaleoutTopology, MissingProgramIsNamedAndNothingIsMade) {
  for (const std::string missing : {"nft", "ip", "sysctl"}) {
    SCOPED_TRACE(missing);
    const std::string prefix = unique_prefix();
    auto dir = TempDir::create();
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    link_programs_except(dir->path(), missing);
    if (HasFatalFailure()) return;
    const RunResult r = run_topology({"up", "--prefix", prefix}, with_path(dir->path()));
    EXPECT_TRUE(r.status.exited_with(1)) << r.report;
    EXPECT_THAT(r.err, HasSubstr("'" + missing + "' not found on PATH")) << r.report;
    EXPECT_THAT(r.err, HasSubstr("nothing was changed")) << r.report;
    expect_no_host_of(prefix);
  }
}

// The one step of `up` that no real condition makes fail on demand is its last, loading the
// ruleset: an `nft` that refuses stands in for one that cannot (an old kernel without
// nf_tables). Everything made before it goes again.
TEST_F(ScaleoutTopology, FailureHalfWayRemovesWhatWasMade) {
  const std::string prefix = unique_prefix();
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  const std::string nft = dir->path() + "/nft";
  {
    std::ofstream out(nft);
    out << "#!/bin/sh\necho 'Error: Could not process rule: Operation not supported' >&2\n"
           "exit 1\n";
  }
  ASSERT_EQ(::chmod(nft.c_str(), 0755), 0);
  const char* path = std::getenv("PATH");
  const RunResult r =
      run_topology({"up", "--prefix", prefix},
                   with_path(dir->path() + ":" + (path != nullptr ? path : "/usr/sbin:/usr/bin")));
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  EXPECT_THAT(r.err, HasSubstr("cannot load the nftables ruleset in " + prefix +
                               "-r: Error: "
                               "Could not process rule"))
      << r.report;
  EXPECT_THAT(r.err, HasSubstr("removed what this run made (" + prefix + "-c1 ")) << r.report;
  expect_no_host_of(prefix);
  if (HasFailure()) (void)run_topology({"down", "--prefix", prefix});
}

}  // namespace
}  // namespace sockcalc::testing
