// SPDX-License-Identifier: MIT
// tests/install/completion_test.cpp -- internal to tests/install.
// The bash completion file of this build (tools/completion/sockcalc.bash.in) sourced in a real
// bash, its function called as bash calls it, against the programs of this build under their
// installed names (links sockcalc-NAME in a temporary directory put first on PATH).
// Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"

using ::testing::HasSubstr;

namespace sockcalc::install_test {
namespace {

using integration::concat;
using testing::kPatience;
using testing::run_program;
using testing::RunResult;
using testing::ServerProcess;
using testing::TempDir;

// Sources the completion file, puts $2 first on PATH, then completes the words after them as
// bash would with the cursor at the end of the last one, and prints one candidate a line.
constexpr const char* kCompleteScript = R"(source "$1" || exit 3
PATH="$2:$PATH"
shift 2
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
prev=""
((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
_sockcalc "$1" "${COMP_WORDS[COMP_CWORD]}" "$prev" || exit 4
printf '%s\n' "${COMPREPLY[@]}"
)";

class Completion : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create();
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    bin_.emplace(std::move(*dir));
    const std::string failed = link_as_installed(bin_->path());
    ASSERT_TRUE(failed.empty()) << failed;
  }

  // The candidates bash would offer for `words` (the command first, the word being
  // completed last).
  std::set<std::string> complete(const std::vector<std::string>& words) {
    const RunResult r = run_program(
        SOCKCALC_BASH,
        concat({"-c", kCompleteScript, "bash", SOCKCALC_COMPLETION_FILE, bin_->path()}, words));
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_EQ(r.err, "") << r.report;
    const auto lines = lines_of(r.out);
    return {lines.begin(), lines.end()};
  }

  // The options `name --help` lists.
  std::set<std::string> options_in_help(const std::string& name) {
    const RunResult r = run_program(build_programs().at(name), {"--help"});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    return help_options(r.out);
  }

  std::optional<TempDir> bin_;
};

using Set = std::set<std::string>;

TEST_F(Completion, RegistersEveryProgramUnderItsInstalledNameOnly) {
  for (const std::string& tool : tools()) {
    const RunResult r =
        run_program(SOCKCALC_BASH, {"-c", "source \"$1\" && complete -p \"$2\"", "bash",
                                    SOCKCALC_COMPLETION_FILE, "sockcalc-" + tool});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_EQ(r.out, "complete -o default -F _sockcalc sockcalc-" + tool + "\n") << r.report;
    // Not ./NAME: another project's ./server, completed in its own directory, would run.
    const RunResult dot =
        run_program(SOCKCALC_BASH, {"-c", "source \"$1\" && complete -p \"$2\"", "bash",
                                    SOCKCALC_COMPLETION_FILE, "./" + tool});
    EXPECT_TRUE(dot.status.exited_with(1)) << dot.report;
    EXPECT_EQ(dot.out, "") << dot.report;
  }
}

TEST_F(Completion, OffersExactlyTheOptionsEachProgramsHelpLists) {
  ASSERT_FALSE(tools().empty());
  for (const std::string& tool : tools()) {
    const Set in_help = options_in_help(tool);
    EXPECT_TRUE(in_help.contains("--help")) << tool;
    EXPECT_TRUE(in_help.contains("--version")) << tool;
    EXPECT_EQ(complete({"sockcalc-" + tool, "-"}), in_help) << tool;
  }
}

TEST_F(Completion, OffersTheOptionsThatStartWithTheWord) {
  EXPECT_EQ(complete({"sockcalc-server", "--th"}), Set({"--threads"}));
  EXPECT_EQ(complete({"sockcalc-server", "--"}).count("--engine"), 1U);
  EXPECT_EQ(complete({"sockcalc-client", "-o"}), Set({"-o", "-op"}));
  EXPECT_EQ(complete({"sockcalc-client", "--ti"}), Set({"--timeout"}));
  EXPECT_EQ(complete({"sockcalc-linksim", "--re"}), Set({"--reorder", "--reorder-hold"}));
  EXPECT_EQ(complete({"sockcalc-loadgen", "--conc"}), Set({"--concurrency"}));
}

TEST_F(Completion, OffersTheValuesOfOptionsWithAFixedSet) {
  EXPECT_EQ(complete({"sockcalc-server", "--engine", ""}), Set({"batch", "simple"}));
  EXPECT_EQ(complete({"sockcalc-server", "--engine", "s"}), Set({"simple"}));
  // '*' comes escaped, so that the shell does not expand it.
  EXPECT_EQ(complete({"sockcalc-client", "-op", ""}), Set({"+", "sum", "\\*", "x", "product"}));
  EXPECT_EQ(complete({"sockcalc-client", "-op", "p"}), Set({"product"}));
  EXPECT_EQ(complete({"sockcalc-loadgen", "--op", ""}),
            Set({"+", "sum", "\\*", "x", "product", "mix"}));
  EXPECT_EQ(complete({"sockcalc-loadgen", "-f", "s"}), Set({"string"}));
  EXPECT_EQ(complete({"sockcalc-linksim", "--direction", ""}), Set({"forward", "reverse", "both"}));
}

// Every operation name offered is one the program's --help gives, and the program takes it.
TEST_F(Completion, OffersTheOperationNamesTheHelpGivesAndTheProgramsTake) {
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(
      server, ServerProcess::start(build_programs().at("server"), {"--threads", "1", "::1", "0"}));
  for (const std::string& tool : {std::string("client"), std::string("loadgen")}) {
    const RunResult help = run_program(build_programs().at(tool), {"--help"});
    for (std::string op : complete({"sockcalc-" + tool, "--op", ""})) {
      if (op == "\\*") op = "*";
      EXPECT_THAT(help.out, HasSubstr("'" + op + "'")) << tool << " " << op << help.report;
      const std::vector<std::string> args =
          tool == "client"
              ? std::vector<std::string>{"--op", op, "::1", server->port_arg(), "6", "7"}
              : std::vector<std::string>{"--op", op,  "-d",  "0.05",
                                         "-w",   "0", "::1", server->port_arg()};
      const RunResult r = run_program(build_programs().at(tool), args);
      EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    }
  }
}

TEST_F(Completion, OffersFileNamesForAFileAndNothingForANumber) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string file = dir.path() + "/capture.pcap";
  std::ofstream(file) << "";
  EXPECT_EQ(complete({"sockcalc-server", "--pcap", dir.path() + "/cap"}), Set({file}));
  EXPECT_EQ(complete({"sockcalc-client", "--pcap", dir.path() + "/cap"}), Set({file}));
  EXPECT_EQ(complete({"sockcalc-server", "--threads", ""}), Set());
  EXPECT_EQ(complete({"sockcalc-client", "--timeout", "1"}), Set());
}

TEST_F(Completion, WorksForAProgramNamedByItsPath) {
  // As `./server` at the repository's root: the options come from that program.
  const std::string server = build_programs().at("server");
  EXPECT_EQ(complete({server, "--eng"}), Set({"--engine"}));
  EXPECT_EQ(complete({server, "--engine", "b"}), Set({"batch"}));
}

}  // namespace
}  // namespace sockcalc::install_test
