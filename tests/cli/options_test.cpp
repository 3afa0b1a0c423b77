// SPDX-License-Identifier: MIT
// tests/cli/options_test.cpp -- internal to tests/cli.
// Option tables (tools/common/options.hpp): the --help layout they make, and how they read a
// command line in both spellings, with the usage errors of a bad one. Test thread only.
#include "options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace sockcalc::cli {
namespace {

using testing::ElementsAre;
using testing::ExitedWithCode;
using testing::IsEmpty;

// What the options of kCommand set.
struct Settings {
  int threads = 0;
  std::chrono::milliseconds timeout{0};
  bool verbose = false;
  std::string pcap;
  std::vector<std::string> order;  // the options' names, in the order their setters ran
};

CommandLine command_of(Settings& s, Spelling spelling) {
  return {.help =
              "Usage: %prog% [options] HOST\n"
              "\n"
              "Options:\n"
              "%options%\n"
              "\n"
              "Report:\n"
              "%options:report%\n"
              "Exit status: 0.\n",
          .column = 20,
          .spelling = spelling,
          .options = {
              {.short_name = 't',
               .name = "threads",
               .arg = "N",
               .help = "workers,\nas many as CPUs",
               .set =
                   [&s](std::string_view v) {
                     s.order.emplace_back("threads");
                     set_whole(s.threads, "threads", 1, 256)(v);
                   }},
              {.name = "timeout",
               .arg = "MS",
               .help = "wait",
               .set = set_whole(s.timeout, "timeout", 1, 60'000)},
              {.short_name = 'v',
               .name = "verbose",
               .help = "say more",
               .set =
                   [&s](std::string_view) {
                     s.order.emplace_back("verbose");
                     s.verbose = true;
                   },
               .alias = "-verbose"},
              {.name = "group",  // 19 columns: no room for two spaces before column 20
               .arg = "GROUP",
               .help = "run as GROUP",
               .set = [](std::string_view) {}},
              {.name = "pcap",
               .arg = "FILE",
               .help = "capture",
               .set = set_text(s.pcap),
               .group = "report"},
              {.name = "max-timeouts",
               .arg = "N",
               .help = "fail past N",
               .set = [](std::string_view) {},
               .group = "report"},
          }};
}

// Runs parse_or_exit over `args` (argv[0] first), as main would.
std::vector<std::string> parse(const CommandLine& command, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_or_exit(command, static_cast<int>(args.size()), argv.data());
}

TEST(OptionHelp, LaysOutEachGroupWhereItsMarkerIsWithHelpAndVersionLast) {
  Settings s;
  EXPECT_EQ(help_text(command_of(s, Spelling::gnu)),
            "Usage: sockcalc [options] HOST\n"
            "\n"
            "Options:\n"
            "  -t, --threads N   workers,\n"
            "                    as many as CPUs\n"
            "      --timeout MS  wait\n"
            "  -v, -verbose, --verbose\n"
            "                    say more\n"
            "      --group GROUP\n"
            "                    run as GROUP\n"
            "\n"
            "Report:\n"
            "      --pcap FILE   capture\n"
            "      --max-timeouts N\n"
            "                    fail past N\n"
            "  -h, --help        show this help and exit\n"
            "  -V, --version     show the version and exit\n"
            "Exit status: 0.\n");
}

TEST(OptionParse, CallsEachSetterInTheOrderGivenAndReturnsTheOperands) {
  Settings s;
  const auto rest =
      parse(command_of(s, Spelling::gnu), {"prog", "-v", "host", "--threads=4", "--timeout", "250",
                                           "--pcap", "out.pcap", "-t", "8", "--", "-v", "9"});
  EXPECT_THAT(rest, ElementsAre("host", "-v", "9"));
  EXPECT_THAT(s.order, ElementsAre("verbose", "threads", "threads"));
  EXPECT_EQ(s.threads, 8);
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(250));
  EXPECT_TRUE(s.verbose);
  EXPECT_EQ(s.pcap, "out.pcap");
}

TEST(OptionParse, LongOnlySpellingTakesALongNameAfterOneDash) {
  Settings s;
  const auto rest = parse(command_of(s, Spelling::long_only), {"prog", "-threads", "3", "-vt2"});
  EXPECT_THAT(rest, IsEmpty());
  EXPECT_EQ(s.threads, 2);
  EXPECT_TRUE(s.verbose);
}

TEST(OptionParse, ABadCommandLineIsAUsageErrorNamingTheOptionAsTyped) {
  Settings s;
  const CommandLine gnu = command_of(s, Spelling::gnu);
  EXPECT_EXIT(parse(gnu, {"prog", "--threads"}), ExitedWithCode(2),
              "option '--threads' needs a value");
  EXPECT_EXIT(parse(gnu, {"prog", "--nope"}), ExitedWithCode(2), "unknown option '--nope'");
  EXPECT_EXIT(parse(gnu, {"prog", "--threads", "0"}), ExitedWithCode(2),
              "invalid threads '0': must be 1\\.\\.256");
  EXPECT_EXIT(parse(command_of(s, Spelling::long_only), {"prog", "-timeout", "x"}),
              ExitedWithCode(2), "invalid timeout 'x': must be 1\\.\\.60000");
}

TEST(OptionParse, HelpAndVersionExitZero) {
  Settings s;
  const CommandLine gnu = command_of(s, Spelling::gnu);
  EXPECT_EXIT(parse(gnu, {"prog", "--help"}), ExitedWithCode(0), "");
  EXPECT_EXIT(parse(gnu, {"prog", "-V"}), ExitedWithCode(0), "");
}

}  // namespace
}  // namespace sockcalc::cli
