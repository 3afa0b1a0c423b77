// SPDX-License-Identifier: MIT
// tests/unit/child_process_test.cpp -- unit tests of process/child.hpp (ChildProcess), on real
// children (/bin/sh): output on both pipes, its limit, exit status, SIGTERM and SIGKILL by pid,
// the destructor's kill, a caller's starter, a program that cannot start; find_in_path over a
// PATH-style list in a temporary directory. Every wait bounded;
// each child stopped by its own pid. Single-threaded.
#include "sockcalc/process/child.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace sockcalc {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Long enough for a loaded machine; a passing test never waits that long.
constexpr auto kPatience = 5s;

ChildProcess start_or_fail(const std::vector<std::string>& argv, const ChildOptions& o = {}) {
  auto c = ChildProcess::start(argv, o);
  EXPECT_TRUE(c.ok()) << c.error().message();
  if (!c.ok()) std::abort();  // no child to test: stop here rather than use an empty result
  return std::move(*c);
}

TEST(ChildProcess, ReadsBothStreamsAndTheExitStatus) {
  ChildProcess c = start_or_fail({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(c.wait_for_exit(kPatience));
  c.drain(std::chrono::steady_clock::now() + kPatience);
  ASSERT_TRUE(c.exit().has_value());
  EXPECT_TRUE(c.exit()->exited);
  EXPECT_EQ(c.exit()->code, 3);
  EXPECT_EQ(c.out(), "out\n");
  EXPECT_EQ(c.err(), "err\n");
  EXPECT_FALSE(c.err_open()) << "the pipe ended with the child";
}

TEST(ChildProcess, KeepsAtMostTheOutputLimit) {
  ChildProcess c = start_or_fail({"/bin/sh", "-c", "printf 0123456789"}, {.output_limit = 4});
  ASSERT_TRUE(c.wait_for_exit(kPatience));
  c.drain(std::chrono::steady_clock::now() + kPatience);
  EXPECT_EQ(c.out(), "0123");
}

TEST(ChildProcess, TerminateEndsItWithSigterm) {
  ChildProcess c = start_or_fail({"/bin/sh", "-c", "exec sleep 30"});
  EXPECT_FALSE(c.update()) << "still running";
  EXPECT_TRUE(c.terminate(kPatience));
  ASSERT_TRUE(c.ended());
  EXPECT_FALSE(c.exit()->exited);
  EXPECT_EQ(c.exit()->signal, SIGTERM);
}

TEST(ChildProcess, KillEndsAChildThatIgnoresSigterm) {
  // The shell ignores SIGTERM and says so once it has, then waits.
  ChildProcess c =
      start_or_fail({"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"});
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (c.out().empty() && std::chrono::steady_clock::now() < deadline) c.pump(100ms);
  ASSERT_EQ(c.out(), "ready\n");
  EXPECT_FALSE(c.terminate(200ms)) << "SIGTERM alone did not end it";
  ASSERT_TRUE(c.ended());
  EXPECT_EQ(c.exit()->signal, SIGKILL);
}

TEST(ChildProcess, TheDestructorKillsAndReapsARunningChild) {
  pid_t pid = -1;
  {
    ChildProcess c = start_or_fail({"/bin/sh", "-c", "exec sleep 30"});
    pid = c.pid();
    ASSERT_GT(pid, 0);
  }
  // Reaped: no process, not even a zombie, has that pid now (it could only be reused by a new
  // process much later).
  EXPECT_NE(::kill(pid, 0), 0);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ChildProcess, AMovedFromObjectLeavesTheChildAlone) {
  auto started = ChildProcess::start({"/bin/sh", "-c", "sleep 0.2; echo still here"});
  ASSERT_TRUE(started.ok());
  std::optional<ChildProcess> owner;
  {
    ChildProcess moved_from = std::move(*started);
    owner.emplace(std::move(moved_from));
    EXPECT_EQ(moved_from.pid(), -1);  // NOLINT(bugprone-use-after-move): the point of the test
  }                                   // the moved-from object ends here: it must not kill the child
  ASSERT_TRUE(owner->wait_for_exit(kPatience));
  owner->drain(std::chrono::steady_clock::now() + kPatience);
  EXPECT_TRUE(owner->exit()->exited);
  EXPECT_EQ(owner->out(), "still here\n");
}

TEST(ChildProcess, UsesTheCallersStarter) {
  int calls = 0;
  ChildOptions o;
  o.starter = [&calls](char* const* argv, int out, int err, pid_t& pid) {
    ++calls;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      reset_signals_in_child();
      ::execv(argv[0], argv);
      ::_exit(127);
    }
    return pid < 0 ? errno : 0;
  };
  ChildProcess c = start_or_fail({"/bin/sh", "-c", "echo forked"}, o);
  ASSERT_TRUE(c.wait_for_exit(kPatience));
  c.drain(std::chrono::steady_clock::now() + kPatience);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(c.out(), "forked\n");
}

TEST(ChildProcess, AProgramThatCannotStartIsAnError) {
  auto c = ChildProcess::start({"/nonexistent/sockcalc-no-such-program"});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(),
              HasSubstr("cannot start '/nonexistent/sockcalc-no-such-program'"));
}

TEST(ChildProcess, SearchesPathWhenAsked) {
  ChildProcess c = start_or_fail({"sh", "-c", "exit 0"}, {.search_path = true});
  ASSERT_TRUE(c.wait_for_exit(kPatience));
  EXPECT_TRUE(c.exit()->exited);
  EXPECT_EQ(c.exit()->code, 0);
}

// A directory of its own under the system's temporary one, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sockcalc-path-XXXXXX");
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

  // A file `name` in a new subdirectory `dir`, executable or not; returns the subdirectory.
  std::string add(const std::string& dir, const std::string& name, bool executable) const {
    const std::filesystem::path d = std::filesystem::path(path_) / dir;
    std::filesystem::create_directories(d);
    std::ofstream(d / name) << "#!/bin/sh\n";
    std::filesystem::permissions(d / name, executable ? std::filesystem::perms::owner_all
                                                      : std::filesystem::perms::owner_read);
    return d.string();
  }

 private:
  std::string path_;
};

TEST(FindInPath, TakesTheFirstExecutableInTheListsOrder) {
  TempDir t;
  ASSERT_FALSE(t.path().empty());
  const std::string plain = t.add("a", "prog", false);  // not executable: skipped
  const std::string first = t.add("b", "prog", true);
  const std::string second = t.add("c", "prog", true);
  const std::string dirs = "::" + plain + ":" + first + "::" + second + ":";
  EXPECT_EQ(find_in_path("prog", dirs), first + "/prog");
  EXPECT_EQ(find_in_path("prog", second + ":" + first), second + "/prog");
  EXPECT_EQ(find_in_path("prog", plain), std::nullopt);
  EXPECT_EQ(find_in_path("other", dirs), std::nullopt);
  EXPECT_EQ(find_in_path("prog", ""), std::nullopt);
}

TEST(FindInPath, ANameWithASlashIsItselfIfExecutable) {
  TempDir t;
  ASSERT_FALSE(t.path().empty());
  const std::string dir = t.add("d", "prog", true);
  const std::string plain = t.add("e", "prog", false);
  EXPECT_EQ(find_in_path(dir + "/prog", "/nonexistent"), dir + "/prog");
  EXPECT_EQ(find_in_path(plain + "/prog", dir), std::nullopt);
}

}  // namespace
}  // namespace sockcalc
