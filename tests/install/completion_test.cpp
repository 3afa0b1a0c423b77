// tests/install/completion_test.cpp -- internal to tests/install.
// The bash completion file of this build (tools/completion/sockcalc.bash.in) sourced in a real
// bash, its function called as bash calls it, against the programs of this build under their
// installed names (links sockcalc-NAME in a temporary directory put first on PATH).
// Test thread only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"

namespace sockcalc::install_test {
namespace {

using integration::concat;
using testing::kPatience;
using testing::run_program;
using testing::RunResult;
using testing::TempDir;

// The programs of this build by name, from "server=PATH,client=PATH,...".
std::map<std::string, std::string> build_programs() {
  std::map<std::string, std::string> programs;
  std::string_view list = SOCKCALC_PROGRAMS;
  while (!list.empty()) {
    const std::size_t end = std::min(list.find(','), list.size());
    const std::string_view entry = list.substr(0, end);
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      programs[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
    }
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return programs;
}

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
    for (const auto& [name, path] : build_programs()) {
      std::error_code ec;
      std::filesystem::create_symlink(path, bin_->path() + "/sockcalc-" + name, ec);
      ASSERT_FALSE(ec) << "cannot link " << path << ": " << ec.message();
    }
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

TEST_F(Completion, RegistersEveryProgramUnderItsInstalledNameAndAsDotSlashName) {
  for (const std::string& tool : tools()) {
    const RunResult r =
        run_program(SOCKCALC_BASH, {"-c", "source \"$1\" && complete -p \"$2\" \"$3\"", "bash",
                                    SOCKCALC_COMPLETION_FILE, "sockcalc-" + tool, "./" + tool});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_NE(r.out.find("-F _sockcalc sockcalc-" + tool + "\n"), std::string::npos) << r.report;
    EXPECT_NE(r.out.find("-F _sockcalc ./" + tool + "\n"), std::string::npos) << r.report;
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
  EXPECT_EQ(complete({"sockcalc-client", "-op", ""}), Set({"+", "\\*"}));
  EXPECT_EQ(complete({"sockcalc-loadgen", "--op", ""}), Set({"+", "\\*", "mix"}));
  EXPECT_EQ(complete({"sockcalc-loadgen", "-f", "s"}), Set({"string"}));
  EXPECT_EQ(complete({"sockcalc-linksim", "--direction", ""}), Set({"forward", "reverse", "both"}));
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
