// tests/loadgen/child.hpp -- internal to tests/loadgen.
// Child: a program started with posix_spawn, stdout and stderr captured through pipes,
// stopped by its pid (SIGTERM, then SIGKILL) when the object dies. run_program() runs one to
// its end. An object belongs to the thread that created it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockcalc::loadgen_test {

using std::chrono::milliseconds;

/// How long a test waits for something that should happen at once (a ready line, an exit
/// after a signal): generous for a loaded machine and a sanitized build.
inline constexpr milliseconds kPatience{10000};

struct ExitStatus {
  bool exited = false;  // exit() was called: code is valid
  int code = -1;
  int signal = 0;  // the signal that killed it, when not exited
  [[nodiscard]] std::string to_string() const;
};

class Child {
 public:
  /// Starts `program` with `args` (argv[1..]); stdin is /dev/null. nullptr (and a message in
  /// `error`) when it cannot be started.
  static std::unique_ptr<Child> start(const std::string& program,
                                      const std::vector<std::string>& args, std::string* error);
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // stops and reaps the child if it still runs

  [[nodiscard]] pid_t pid() const { return pid_; }

  /// Reads stderr until a line containing `needle` arrives; returns that line, or nullopt
  /// after `timeout` or when the child closed stderr.
  std::optional<std::string> wait_for_stderr_line(std::string_view needle, milliseconds timeout);

  /// Waits for the child to end, reading its output meanwhile. nullopt on timeout (the child
  /// still runs).
  std::optional<ExitStatus> wait(milliseconds timeout);

  /// Sends `signal` (by pid), then waits up to kPatience; SIGKILL if it still runs.
  ExitStatus stop(int signal);

  /// Everything read so far.
  [[nodiscard]] const std::string& out() const { return out_; }
  [[nodiscard]] const std::string& err() const { return err_; }

 private:
  Child(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  // Reads what the pipes hold, waiting up to `wait_ms` for something; false when both are
  // closed.
  bool pump(int wait_ms);
  bool reap(bool block);

  pid_t pid_;
  int out_fd_;
  int err_fd_;
  std::string out_;
  std::string err_;
  std::size_t err_scanned_ = 0;
  std::optional<ExitStatus> status_;
};

struct RunResult {
  std::optional<ExitStatus> status;  // nullopt: it did not end in time and was killed
  std::string out;
  std::string err;
  std::string start_error;
};

/// Runs `program` to its end, at most `timeout` (then it is killed).
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      milliseconds timeout);

}  // namespace sockcalc::loadgen_test
