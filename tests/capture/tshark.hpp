// SPDX-License-Identifier: MIT
// capture/tshark.hpp -- internal to tests/capture.
// Runs tshark (or any program) as a child process with a time limit and collects its output;
// also a scratch directory that removes itself. Each object belongs to one test thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sockcalc::capture_test {

/// What a finished (or killed) child did (tests/support run_program, in the shape these tests use).
struct ToolRun {
  bool started = false;    // false: it could not be started (see `error`)
  bool timed_out = false;  // killed (SIGKILL) at the time limit
  int exit_status = -1;    // the exit code, or -1 when killed by a signal
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
  std::string error;       // why it could not be started
};

/// The full path of `tshark` found through $PATH, or nullopt when it is not installed.
std::optional<std::string> find_tshark();

/// Runs `argv` (argv[0] a path) with `env` added to (or replacing entries of) the current
/// environment, closes its stdin, collects stdout and stderr, and waits at most `limit`: then
/// kills the child by its pid and reaps it.
ToolRun run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                 std::chrono::milliseconds limit);

/// tshark started as root prints exactly one line, before anything else:
///   Running as user "root" and group "root". This could be dangerous.
/// (print_current_user() in Wireshark; no option or variable silences it). Returns `err`
/// without that one line when it is the first line and has exactly that form; anything else is
/// returned unchanged, so every other warning still fails the tests.
std::string without_root_warning(const std::string& err);

/// A mkdtemp directory under $TMPDIR (or /tmp), removed with its files on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Runs tshark on `capture` with extra arguments `args`, isolated from the user's Wireshark
/// configuration and personal plugins (HOME, XDG_CONFIG_HOME and WIRESHARK_CONFIG_DIR point into
/// `home`), within 60 s. The root warning line is already removed from `err`.
ToolRun run_tshark(const std::string& tshark, const std::string& home, const std::string& capture,
                   const std::vector<std::string>& args);

/// Splits `text` into lines (without their '\n').
std::vector<std::string> lines_of(const std::string& text);

}  // namespace sockcalc::capture_test
