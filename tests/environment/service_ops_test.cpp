// SPDX-License-Identifier: MIT
// tests/environment/service_ops_test.cpp -- internal to tests/environment.
// The server as a service manager runs it (issue 13, "Logs", "Privileges and resources"):
// severities under the journal, SIGHUP reopening a rotated capture, --user, the worker count
// from the CPUs it may use, and the client as an exec health probe. Test thread only.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "environment.hpp"
#include "sockcalc/address/address.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

namespace sockcalc::environment {
namespace {

using testing::listening_address;
using testing::run_program;
using testing::TempDir;

// Runs the program with $JOURNAL_STREAM naming its own stderr, a pipe to the test, as systemd
// names the journal's stream socket: `stat -L` of /proc/self/fd/2 is the fstat(2) of that
// pipe, "DEVICE:INODE" in decimal, the format systemd writes.
constexpr std::string_view kStderrIsJournal =
    R"(JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" "$@")";
// $JOURNAL_STREAM inherited, naming another file (/dev/null): not the journal.
constexpr std::string_view kJournalElsewhere =
    R"(JOURNAL_STREAM=$(stat -L -c %d:%i /dev/null) exec "$0" "$@")";
// The program on the first CPU only.
constexpr std::string_view kFirstCpu = R"(exec taskset -c 0 "$0" "$@")";
// As the user nobody, with no supplementary group: a server started by someone not root.
constexpr std::string_view kAsNobody =
    R"(exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$0" "$@")";

// The port at the end of a start line's address.
std::string port_of(const std::string& rest) {
  const std::string address = listening_address(rest);
  return address.substr(address.rfind(':') + 1);
}

// The exec probe of docs/SERVICE.md: the sum of one 0, one try of 200 ms.
RunResult probe(const std::string& port) {
  return run_program(SOCKCALC_CLIENT_BIN,
                     {"-op", "+", "--retries", "1", "--timeout", "200", "::1", port, "0"});
}

// The value of the line "NAME:\tVALUE" of /proc/PID/status.
std::string status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name + ":")) {
      const std::size_t start = line.find_first_not_of(" \t", name.size() + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "(no " + name + ")";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', at)) {
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

// ---- Logs ----

TEST(ServiceOps, UnderTheJournalEveryLineCarriesItsSeverityAndNoName) {
  auto server = start_via_shell(kStderrIsJournal, SOCKCALC_SERVER_BIN, {"-t", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const auto line = (*server)->wait_for_line("<6>listening on ", kPatience);
  ASSERT_TRUE(line) << (*server)->report();
  EXPECT_THAT(*line, HasSubstr(" (sockcalc ")) << "the start line gives the version";
  const RunResult r = probe(port_of(*line));
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  ASSERT_TRUE((*server)->terminate()) << (*server)->report();
  EXPECT_TRUE((*server)->status().exited_with(0)) << (*server)->report();
  const auto lines = lines_of((*server)->err());
  ASSERT_EQ(lines.size(), 2u) << (*server)->report();
  EXPECT_TRUE(lines[1].starts_with("<6>stopped; received=1 ")) << (*server)->report();
}

TEST(ServiceOps, UnderTheJournalAFailedStartIsAnError) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string pcap = dir->path() + "/missing/server.pcap";
  const RunResult r =
      run_via_shell(kStderrIsJournal, SOCKCALC_SERVER_BIN, {"--pcap", pcap, "::1", "0"});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  EXPECT_EQ(r.err, "<3>cannot open pcap file " + pcap + ": no such file or directory\n")
      << r.report;
}

TEST(ServiceOps, AJournalStreamNamingAnotherFileLeavesTheLinesAsTheyAre) {
  auto server = start_via_shell(kJournalElsewhere, SOCKCALC_SERVER_BIN, {"-t", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  ASSERT_TRUE((*server)->wait_for_line("server: listening on ", kPatience)) << (*server)->report();
  ASSERT_TRUE((*server)->terminate()) << (*server)->report();
  for (const std::string& l : lines_of((*server)->err())) {
    EXPECT_TRUE(l.starts_with("server: ")) << (*server)->report();
  }
}

// ---- SIGHUP ----

// logrotate's way: the capture renamed, then SIGHUP. Before: the server died of SIGHUP (exit
// 129, no counters), and a capture could only grow.
TEST(ServiceOps, SighupStartsANewCaptureAfterRotationAndTheServerGoesOn) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string pcap = dir->path() + "/server.pcap";
  auto server =
      testing::ServerProcess::start(SOCKCALC_SERVER_BIN, {"-t", "2", "--pcap", pcap, "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  Process& p = (*server)->process();
  const std::string port = (*server)->port_arg();
  EXPECT_TRUE(probe(port).status.exited_with(0)) << p.report();

  ASSERT_EQ(std::rename(pcap.c_str(), (pcap + ".1").c_str()), 0);
  p.send_signal(SIGHUP);
  ASSERT_TRUE(p.wait_for_stderr("reopened: a new file", kPatience)) << p.report();
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(probe(port).status.exited_with(0)) << p.report();
  // A second SIGHUP without rotation keeps the file (reopening it would truncate it).
  p.send_signal(SIGHUP);
  ASSERT_TRUE(p.wait_for_stderr("still in place: kept", kPatience)) << p.report();
  EXPECT_TRUE(probe(port).status.exited_with(0)) << p.report();

  ASSERT_TRUE((*server)->stop()) << p.report();
  EXPECT_TRUE(p.status().exited_with(0)) << p.report();
  EXPECT_EQ(count(p.err(), "server: SIGHUP: reloading\n"), 2u) << p.report();
  EXPECT_THAT(p.err(), HasSubstr("server: stopped; received=4 answered=4 ")) << p.report();
  std::string why;
  const auto rotated = pcap_records(pcap + ".1", why);
  ASSERT_TRUE(rotated) << why;
  EXPECT_EQ(*rotated, 2u);  // the first request and its reply
  const auto current = pcap_records(pcap, why);
  ASSERT_TRUE(current) << why;
  EXPECT_EQ(*current, 6u);  // the three later exchanges
}

TEST(ServiceOps, SighupWithoutACaptureIsLoggedAndServingGoesOn) {
  auto server = testing::ServerProcess::start(SOCKCALC_SERVER_BIN, {"-t", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  Process& p = (*server)->process();
  p.send_signal(SIGHUP);
  ASSERT_TRUE(p.wait_for_stderr("server: SIGHUP: reloading\n", kPatience)) << p.report();
  EXPECT_TRUE(probe((*server)->port_arg()).status.exited_with(0)) << p.report();
  ASSERT_TRUE((*server)->stop()) << p.report();
  EXPECT_TRUE(p.status().exited_with(0)) << p.report();
}

// ---- --user ----

struct Nobody {
  uid_t uid;
  gid_t gid;
};
std::optional<Nobody> nobody() {
  const passwd* entry = ::getpwnam("nobody");
  if (entry == nullptr) return std::nullopt;
  return Nobody{entry->pw_uid, entry->pw_gid};
}

void expect_runs_as(pid_t pid, const Nobody& who, const std::string& report) {
  const std::string uid = std::to_string(who.uid);
  const std::string gid = std::to_string(who.gid);
  EXPECT_EQ(status_field(pid, "Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid) << report;
  EXPECT_EQ(status_field(pid, "Gid"), gid + "\t" + gid + "\t" + gid + "\t" + gid) << report;
  EXPECT_EQ(status_field(pid, "Groups"), "") << report;
}

TEST(ServiceOps, UserDropsRootWithItsGroupAndNoOtherGroupsBeforeServing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start as root";
  const auto who = nobody();
  ASSERT_TRUE(who) << "no user nobody";
  auto server = testing::ServerProcess::start(SOCKCALC_SERVER_BIN,
                                              {"--user", "nobody", "-t", "2", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  Process& p = (*server)->process();
  expect_runs_as(p.pid(), *who, p.report());
  EXPECT_TRUE(probe((*server)->port_arg()).status.exited_with(0)) << p.report();
  ASSERT_TRUE((*server)->stop()) << p.report();
  EXPECT_TRUE(p.status().exited_with(0)) << p.report();
}

// The socket file is made by root, then given to the user: the server, no longer root, can
// still remove it at exit from a sticky directory, as /tmp is.
TEST(ServiceOps, UserKeepsTheSocketFileItMadeRemovable) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start as root";
  const auto who = nobody();
  ASSERT_TRUE(who) << "no user nobody";
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  std::filesystem::permissions(dir->path(),
                               std::filesystem::perms::all | std::filesystem::perms::sticky_bit);
  const std::string path = dir->path() + "/calc.sock";
  auto server = testing::ServerProcess::start(SOCKCALC_SERVER_BIN,
                                              {"--user", "nobody", "-t", "1", "unix:" + path});
  ASSERT_TRUE(server) << server.error().message();
  Process& p = (*server)->process();
  expect_runs_as(p.pid(), *who, p.report());
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, who->uid);
  const RunResult r = run_program(SOCKCALC_CLIENT_BIN, {"-op", "+", "unix:" + path, "2", "3"});
  EXPECT_EQ(r.out, "Result: 5\n") << r.report << p.report();
  ASSERT_TRUE((*server)->stop()) << p.report();
  EXPECT_TRUE(p.status().exited_with(0)) << p.report();
  EXPECT_FALSE(std::filesystem::exists(path)) << "the socket file was left behind";
}

TEST(ServiceOps, UnknownUserOrGroupIsAUsageError) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--user", "sockcalc-no-such-user", "::1", "0"},
        std::vector<std::string>{"--user", "nobody", "--group", "sockcalc-no-such-group", "::1",
                                 "0"},
        std::vector<std::string>{"--group", "nogroup", "::1", "0"}}) {
    const RunResult r = run_program(SOCKCALC_SERVER_BIN, args);
    EXPECT_TRUE(r.status.exited_with(2)) << r.report;
    EXPECT_THAT(r.err, Not(HasSubstr("listening on"))) << r.report;
  }
}

TEST(ServiceOps, UserWithoutRootIsRefusedBeforeServing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start as another user";
  const RunResult r =
      run_via_shell(kAsNobody, SOCKCALC_SERVER_BIN, {"--user", "nobody", "::1", "0"});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  EXPECT_TRUE(r.err.starts_with("server: --user needs root: started as uid ")) << r.report;
  EXPECT_THAT(r.err, Not(HasSubstr("listening on"))) << r.report;
}

// ---- Workers and the probe ----

// Before: one worker per core of the machine, whatever the affinity mask.
TEST(ServiceOps, DefaultWorkersFollowTheAffinityMask) {
  auto server = start_via_shell(kFirstCpu, SOCKCALC_SERVER_BIN, {"::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const auto line = (*server)->wait_for_line("server: listening on ", kPatience);
  ASSERT_TRUE(line) << (*server)->report();
  EXPECT_TRUE(line->ends_with(", 1 worker)")) << *line;
  EXPECT_EQ(status_field((*server)->pid(), "Threads"), "1") << (*server)->report();
  EXPECT_TRUE(probe(port_of(*line)).status.exited_with(0)) << (*server)->report();
  ASSERT_TRUE((*server)->terminate()) << (*server)->report();
}

// docs/SERVICE.md's exec probe: 0 while the server answers, 4 once nothing answers.
TEST(ServiceOps, ClientAsExecProbeSaysWhetherTheServerAnswers) {
  auto server = testing::ServerProcess::start(SOCKCALC_SERVER_BIN, {"-t", "1", "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const std::string port = (*server)->port_arg();
  const RunResult up = probe(port);
  EXPECT_TRUE(up.status.exited_with(0)) << up.report;
  EXPECT_EQ(up.out, "Result: 0\n") << up.report;
  ASSERT_TRUE((*server)->stop());
  const RunResult down = probe(port);
  EXPECT_TRUE(down.status.exited_with(4)) << down.report;
}

}  // namespace
}  // namespace sockcalc::environment
