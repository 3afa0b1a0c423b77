// SPDX-License-Identifier: MIT
// capture/tshark.cpp -- implementation of capture/tshark.hpp (tests only).
// Programs run with tests/support's run_program; tshark's own environment and warnings here.
// Single-threaded per call.
#include "capture/tshark.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "support/process.hpp"

namespace sockcalc::capture_test {

std::optional<std::string> find_tshark() { return testing::find_program("tshark"); }

ToolRun run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                 std::chrono::milliseconds limit) {
  testing::StartOptions options;
  options.env = env;
  const testing::RunResult r = testing::run_program(
      argv.front(), std::vector<std::string>(argv.begin() + 1, argv.end()), options, limit);
  ToolRun run;
  run.started = r.status.exited || r.status.signaled || r.timed_out;
  run.timed_out = r.timed_out;
  run.exit_status = r.status.exited ? r.status.code : -1;
  run.out = r.out;
  run.err = r.err;
  if (!run.started) run.error = r.report;
  return run;
}

std::string without_root_warning(const std::string& err) {
  static const std::regex kRootLine(
      R"(^Running as user "[^"\n]*" and group "[^"\n]*"\. This could be dangerous\.\n)");
  return std::regex_replace(err, kRootLine, "", std::regex_constants::format_first_only);
}

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sockcalc-capture-XXXXXX";
  if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ToolRun run_tshark(const std::string& tshark, const std::string& home, const std::string& capture,
                   const std::vector<std::string>& args) {
  std::vector<std::string> argv{tshark, "-r", capture};
  argv.insert(argv.end(), args.begin(), args.end());
  ToolRun run = run_tool(argv,
                         {"HOME=" + home, "XDG_CONFIG_HOME=" + home + "/.config",
                          "WIRESHARK_CONFIG_DIR=" + home + "/.config/wireshark", "LC_ALL=C"},
                         std::chrono::seconds(60));
  run.err = without_root_warning(run.err);
  return run;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace sockcalc::capture_test
