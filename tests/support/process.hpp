// SPDX-License-Identifier: MIT
// tests/support/process.hpp -- public to every test program (library sockcalc_test_support).
// Process: a child program (posix_spawn, or fork+execve to pass fds as systemd does), stdout and
// stderr read through pipes, stopped by pid on destruction; ServerProcess, run_program(), TempDir.
// An object belongs to the thread that created it; distinct objects are independent.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/process/child.hpp"

namespace sockcalc::testing {

using std::chrono::milliseconds;

/// How long a test waits for a program to do something it should do at once (exit after a
/// signal, print its ready line). Generous for a loaded machine and a sanitized build; a
/// passing test never waits that long.
inline constexpr milliseconds kPatience{5000};

/// How a child ended.
struct ExitStatus {
  bool exited = false;    // it called exit(): code is valid
  int code = -1;          // exit status 0..255
  bool signaled = false;  // a signal killed it: signal is valid
  int signal = 0;

  [[nodiscard]] bool exited_with(int c) const { return exited && code == c; }
  /// "exit 0", "killed by signal 9 (Killed)".
  [[nodiscard]] std::string to_string() const;
};

/// How a child starts, beyond its program and arguments.
struct StartOptions {
  /// "NAME=VALUE" entries added to the child's environment (each replaces the test's variable
  /// of that name, if any).
  std::vector<std::string> env;
  /// Fds passed the way systemd socket activation does (sd_listen_fds(3)): installed as fd 3,
  /// 4, ... of the child, whose environment then holds LISTEN_FDS=<count> and
  /// LISTEN_PID=<the child's own pid> (known only after fork: the child is then started with
  /// fork and execve instead of posix_spawn; a failed execve ends it with exit 127). The
  /// caller keeps its own copies of these fds.
  std::vector<int> listen_fds;
};

class Process {
 public:
  /// Starts `program` (a path) with `args` (argv[1..]); stdin reads /dev/null, stdout and
  /// stderr go to pipes this object reads. Signals the test may send (SIGINT, SIGTERM) are
  /// reset to their default disposition and unblocked in the child.
  static Result<std::unique_ptr<Process>> start(const std::string& program,
                                                const std::vector<std::string>& args);
  /// The same, with `options`.
  static Result<std::unique_ptr<Process>> start(const std::string& program,
                                                const std::vector<std::string>& args,
                                                const StartOptions& options);

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  /// terminate()s a child still running, then closes every fd. Never throws.
  ~Process();

  [[nodiscard]] pid_t pid() const { return child_.pid(); }
  /// The command line, for messages: "server ::1 0".
  [[nodiscard]] const std::string& command() const { return command_; }

  /// Reads what the child wrote for up to `timeout` (0: only what is already there); returns
  /// early once some output arrived or the child's pipes closed.
  void pump(milliseconds timeout);

  /// Reads stderr until it holds `needle`, the child closes stderr, or `timeout` passes.
  /// Returns whether stderr holds `needle`.
  bool wait_for_stderr(std::string_view needle, milliseconds timeout);

  /// Reads stderr until it holds a complete line starting with `prefix` (or as wait_for_stderr
  /// gives up); returns the rest of that line, without its newline.
  std::optional<std::string> wait_for_line(std::string_view prefix, milliseconds timeout);

  /// Waits up to `timeout` for the child to exit, reading its output meanwhile, then reads its
  /// pipes to the end. Returns whether it exited (status() is then set).
  bool wait_for_exit(milliseconds timeout);

  /// Closes this side of the child's stderr pipe, as a reader that goes away does
  /// (`server 2>&1 | head -1`): the child's next write to stderr fails with EPIPE, or kills
  /// it with SIGPIPE. err() keeps what was read until then.
  void close_stderr_reader();

  /// Sends `signal` to the child, by pid, if it has not been reaped yet.
  void send_signal(int signal);

  /// SIGTERM, up to `grace` for the child to exit, then SIGKILL and a bounded wait.
  /// Returns whether the child exited on SIGTERM alone.
  bool terminate(milliseconds grace = kPatience);

  [[nodiscard]] bool reaped() const { return child_.ended(); }
  /// How the child ended; ExitStatus{} (neither exited nor signaled) while it runs.
  [[nodiscard]] ExitStatus status() const;

  [[nodiscard]] const std::string& out() const { return child_.out(); }
  [[nodiscard]] const std::string& err() const { return child_.err(); }

  /// The command, its status and everything it wrote: what a failed test prints.
  [[nodiscard]] std::string report() const;

 private:
  Process(ChildProcess child, std::string command)
      : child_(std::move(child)), command_(std::move(command)) {}

  ChildProcess child_;  // the one class that starts, reads and stops children
  std::string command_;
};

/// What a program that ran to its end did.
struct RunResult {
  ExitStatus status;
  bool timed_out = false;  // it had to be killed
  std::string out;
  std::string err;
  std::string report;  // Process::report(), for failure messages
};

/// Runs `program args...` to its end, killing it after `timeout`.
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      milliseconds timeout = kPatience);
/// The same, started with `options` (extra environment, listen fds).
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const StartOptions& options, milliseconds timeout = kPatience);

/// The path of the program `name` in a directory of $PATH (then of `extra_dirs`, such as
/// /usr/sbin, which is not on every PATH) where it is executable; nullopt when there is none.
std::optional<std::string> find_program(const std::string& name,
                                        const std::vector<std::string>& extra_dirs = {});

/// The ADDRESS of a server's start line, given the rest of "server: listening on ADDRESS
/// (sockcalc VERSION, N workers)" after "listening on ": the line without its " (sockcalc ...)"
/// tail (a line without one, a test peer's, is all address).
std::string listening_address(std::string_view rest);

/// The address of the line "PROGRAM: metrics on ADDRESS" a program prints with --metrics (the
/// real port), waiting up to `timeout` for it; an error says why there is none.
Result<Address> metrics_address(Process& program, milliseconds timeout = kPatience);

/// A server program (the path of a build of tools/server), running until stop() or destruction.
class ServerProcess {
 public:
  /// Starts `program` with `args` and waits (up to `timeout`) for its line
  /// "server: listening on ADDRESS" ("sockcalc-server: ..." for a program of that name, as
  /// installed), then parses ADDRESS. On failure the error says why and
  /// carries the server's output.
  static Result<std::unique_ptr<ServerProcess>> start(const std::string& program,
                                                      const std::vector<std::string>& args,
                                                      milliseconds timeout = kPatience);
  /// The same, the server started with `options` (e.g. a socket passed as systemd does).
  static Result<std::unique_ptr<ServerProcess>> start(const std::string& program,
                                                      const std::vector<std::string>& args,
                                                      const StartOptions& options,
                                                      milliseconds timeout = kPatience);

  /// The address the server reported, with the real port.
  [[nodiscard]] const Address& address() const { return address_; }
  [[nodiscard]] std::uint16_t port() const { return address_.port(); }
  /// The port as text, for a client's command line.
  [[nodiscard]] std::string port_arg() const { return std::to_string(port()); }

  /// Sends `signal` (SIGTERM by default) and waits for the server to exit. Returns whether it
  /// exited within kPatience.
  bool stop(int signal = SIGTERM);

  Process& process() { return *process_; }
  [[nodiscard]] std::string report() const { return process_->report(); }

 private:
  ServerProcess(std::unique_ptr<Process> p, Address a)
      : process_(std::move(p)), address_(std::move(a)) {}
  std::unique_ptr<Process> process_;
  Address address_;
};

/// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
 public:
  static Result<TempDir> create();
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::string& path() const { return path_; }
  /// The Unix-domain address of the file `name` in this directory. A short name always fits:
  /// create() keeps the directory's path short enough for sun_path; a name too long gives an
  /// empty Address, which every bind or connect refuses.
  [[nodiscard]] Address unix_address(const std::string& name) const;

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

}  // namespace sockcalc::testing
