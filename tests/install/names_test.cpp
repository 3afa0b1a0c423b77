// SPDX-License-Identifier: MIT
// tests/install/names_test.cpp -- internal to tests/install.
// Every program of this build run under its installed name (a link sockcalc-NAME in a
// temporary directory, as help2man runs it for the man pages) says that name, and no other,
// in its usage, --help, --version, errors and log lines. Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"
#include "sockcalc/version.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

namespace sockcalc::install_test {
namespace {

using testing::kPatience;
using testing::listening_address;
using testing::Process;
using testing::run_program;
using testing::RunResult;
using testing::TempDir;

class ProgramNames : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create();
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    bin_.emplace(std::move(*dir));
    const std::string failed = link_as_installed(bin_->path());
    ASSERT_TRUE(failed.empty()) << failed;
  }

  // The link sockcalc-TOOL to this build's program TOOL.
  std::string installed(const std::string& tool) const {
    return bin_->path() + "/sockcalc-" + tool;
  }

  std::optional<TempDir> bin_;
};

// The command words of a --help text: the word after "Usage:" and "or:" on the synopsis
// lines, and the first word of each example (the lines indented by two after "Examples:").
std::vector<std::string> command_words(const std::string& help) {
  std::vector<std::string> words;
  bool examples = false;
  for (const std::string& line : lines_of(help)) {
    const std::vector<std::string> w = split_words(line);
    if (line.starts_with("Usage: ") || line.starts_with("  or: ")) {
      if (w.size() > 1) words.push_back(w[1]);
    } else if (line == "Examples:") {
      examples = true;
    } else if (examples && line.starts_with("  ") && line[2] != ' ') {
      words.push_back(w.front());
    } else if (!line.starts_with(" ")) {
      examples = false;
    }
  }
  return words;
}

TEST_F(ProgramNames, VersionSaysTheNameTheProgramWasCalledBy) {
  for (const std::string& tool : tools()) {
    const RunResult r = run_program(installed(tool), {"--version"});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_EQ(r.out, "sockcalc-" + tool + " (sockcalc) " + kVersion + "\n") << r.report;
  }
}

TEST_F(ProgramNames, HelpShowsTheNameInItsSynopsisAndEveryExample) {
  for (const std::string& tool : tools()) {
    const RunResult r = run_program(installed(tool), {"--help"});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_TRUE(r.out.starts_with("Usage: sockcalc-" + tool + " ")) << r.report;
    const std::vector<std::string> words = command_words(r.out);
    EXPECT_GE(words.size(), 2U) << "a synopsis and an example at least: " << r.report;
    for (const std::string& word : words) EXPECT_EQ(word, "sockcalc-" + tool) << r.report;
    EXPECT_THAT(r.out, Not(HasSubstr("%prog"))) << "a placeholder left: " << r.report;
  }
}

TEST_F(ProgramNames, UsageErrorsNameTheProgramAndItsHelp) {
  for (const std::string& tool : tools()) {
    const RunResult r = run_program(installed(tool), {"--no-such-option"});
    EXPECT_TRUE(r.status.exited_with(2)) << r.report;
    const std::string name = "sockcalc-" + tool;
    EXPECT_EQ(r.err, name + ": unknown option '--no-such-option'\nTry '" + name + " --help'.\n")
        << r.report;
  }
}

TEST_F(ProgramNames, HelpNamesTheOtherProgramsAsTheyAreRun) {
  // Installed, the suite's programs are sockcalc-NAME; in the build tree, the links ./NAME.
  const RunResult installed_help = run_program(installed("conformance"), {"--help"});
  EXPECT_THAT(installed_help.out, HasSubstr(" client -- sockcalc-client\n"))
      << installed_help.report;
  const RunResult loadgen_help = run_program(installed("loadgen"), {"--help"});
  EXPECT_THAT(loadgen_help.out, HasSubstr("\"$(pidof sockcalc-server)\"")) << loadgen_help.report;
  const RunResult build_help = run_program(build_programs().at("conformance"), {"--help"});
  EXPECT_THAT(build_help.out, HasSubstr("  conformance client -- ./client\n")) << build_help.report;
}

TEST_F(ProgramNames, ServerLogLinesStartWithItsName) {
  std::unique_ptr<Process> server;
  ASSERT_OK_AND_ASSIGN(server, Process::start(installed("server"), {"--threads", "1", "::1", "0"}));
  const auto where = server->wait_for_line("sockcalc-server: listening on ", kPatience);
  ASSERT_TRUE(where.has_value()) << server->report();
  const std::string address = listening_address(*where);
  const std::string port = address.substr(address.rfind(':') + 1);

  // The client's -v trace and its result, through the server.
  const RunResult call =
      run_program(installed("client"), {"-v", "-op", "+", "::1", port, "2", "3"});
  EXPECT_TRUE(call.status.exited_with(0)) << call.report;
  EXPECT_EQ(call.out, "Result: 5\n") << call.report;
  const std::vector<std::string> trace = lines_of(call.err);
  EXPECT_EQ(trace.size(), 2U) << call.report;
  for (const std::string& line : trace) {
    EXPECT_TRUE(line.starts_with("sockcalc-client: ")) << call.report;
  }

  EXPECT_TRUE(server->terminate()) << server->report();
  const std::vector<std::string> log = lines_of(server->err());
  ASSERT_EQ(log.size(), 2U) << server->report();  // listening on ..., stopped; ...
  for (const std::string& line : log) {
    EXPECT_TRUE(line.starts_with("sockcalc-server: ")) << server->report();
  }
}

TEST_F(ProgramNames, LinksimLogLinesStartWithItsName) {
  std::unique_ptr<Process> linksim;
  ASSERT_OK_AND_ASSIGN(
      linksim, Process::start(installed("linksim"), {"--seed", "1", "::1", "0", "::1", "9"}));
  ASSERT_TRUE(linksim->wait_for_line("sockcalc-linksim: listening on ", kPatience).has_value())
      << linksim->report();
  EXPECT_TRUE(linksim->terminate()) << linksim->report();
  const std::vector<std::string> log = lines_of(linksim->err());
  EXPECT_GE(log.size(), 5U) << linksim->report();  // settings, listening, stopped, counters
  for (const std::string& line : log) {
    EXPECT_TRUE(line.starts_with("sockcalc-linksim: ")) << linksim->report();
  }
}

}  // namespace
}  // namespace sockcalc::install_test
