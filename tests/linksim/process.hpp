// tests/linksim/process.hpp -- internal to tests/linksim.
// TempDir (a mkdtemp directory removed on destruction) and Process (a child program whose
// stdout and stderr go to files, waited for with deadlines, stopped by its pid). One thread each.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockcalc::test {

class TempDir {
 public:
  TempDir();  // under $TMPDIR or /tmp; aborts the test program if it cannot be made
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Process {
 public:
  /// Starts argv[0] (a path) with `argv`; stdout and stderr go to DIR/NAME.out and DIR/NAME.err.
  /// On failure pid() is -1 and err() says why.
  static Process start(const std::vector<std::string>& argv, const std::string& dir,
                       const std::string& name);

  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;
  ~Process();  // a child still running is killed (SIGKILL, by its pid) and reaped

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running() const { return pid_ > 0 && !status_; }

  /// Sends `signal` to the child (only while it runs).
  void signal(int signal) const;

  /// Waits up to `timeout` for the child to exit: its exit status (0..255), 128 + N when
  /// signal N killed it, or nullopt when it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// Waits up to `timeout` for a complete stderr line containing `needle`; returns the line.
  /// Gives up early when the child exits without printing it.
  std::optional<std::string> wait_for_err_line(std::string_view needle,
                                               std::chrono::milliseconds timeout);

  [[nodiscard]] std::string out() const;  // everything written to stdout so far
  [[nodiscard]] std::string err() const;  // everything written to stderr so far

  /// "NAME: ARGV..." plus stdout and stderr, for failure messages.
  [[nodiscard]] std::string dump() const;

 private:
  Process() = default;
  bool reap(bool block);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string name_;
  std::string command_;
  std::string out_path_;
  std::string err_path_;
  std::string start_error_;
};

/// Reads a whole file ("" when it cannot be read).
std::string read_file(const std::string& path);

/// The lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, std::string_view needle);

}  // namespace sockcalc::test
