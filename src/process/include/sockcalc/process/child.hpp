// SPDX-License-Identifier: MIT
// process/child.hpp -- public to the programs and tests (module sockcalc_process, not installed).
// ChildProcess: the one class that starts a program with its stdout and stderr on pipes, reads
// them, waits for its end and stops it by its pid: `conformance client`'s client under test and
// the tests' Process both are one. An object belongs to the thread that started it; it never
// signals anything but its own child's pid.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/core/unique_fd.hpp"
#include "sockcalc/process/child_process.hpp"

namespace sockcalc {

/// How a ChildProcess starts.
struct ChildOptions {
  bool search_path = false;     // argv[0] without a slash is looked up in PATH
  char* const* envp = nullptr;  // the child's environment; nullptr: this process's
  /// Starts the child instead of posix_spawn(p) (e.g. fork + execve to pass listen fds, or as
  /// a sandbox's user); see start_with_pipes. Empty: posix_spawn(p) with search_path and envp.
  ChildStarter starter{};
  /// Bytes kept of each stream; more is read and dropped, so a chatty child cannot fill memory.
  std::size_t output_limit = std::numeric_limits<std::size_t>::max();
};

class ChildProcess {
 public:
  /// Starts argv[0] with argv[1..]: stdin reads /dev/null, stdout and stderr go to pipes this
  /// object reads, signals as spawn_with_pipes gives them. Fails with "cannot start 'PROGRAM':
  /// reason" (not found, not executable, no pipe).
  static Result<ChildProcess> start(const std::vector<std::string>& argv,
                                    const ChildOptions& options = {});

  /// Moving leaves an object with no child behind (its destructor then does nothing).
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// kill()s a child still running (bounded), then closes every fd. Never throws.
  ~ChildProcess();

  [[nodiscard]] pid_t pid() const { return pid_; }

  /// Appends the fds that become readable when the child writes or ends, for a caller's own
  /// poll() that also waits on something else (e.g. a socket the child talks to).
  void add_poll_fds(std::vector<pollfd>& fds) const;
  /// True when the end can only be noticed by looking again (no pidfd): poll in short slices.
  [[nodiscard]] bool needs_slices() const { return !pidfd_.valid(); }

  /// Reads the output there now and reaps the child if it ended; returns whether it has.
  bool update();
  [[nodiscard]] bool ended() const { return exit_.has_value(); }
  /// How it ended; nullopt while it runs.
  [[nodiscard]] const std::optional<ChildExit>& exit() const { return exit_; }

  /// Reads what the child writes for up to `timeout` (0: only what is there already); returns
  /// early once some output arrived or both pipes are closed.
  void pump(std::chrono::milliseconds timeout);
  /// Waits up to `timeout` for the child to end, reading its output meanwhile. Returns whether
  /// it ended (exit() is then set). Its pipes may still hold output: drain().
  bool wait_for_exit(std::chrono::milliseconds timeout);
  /// Reads both pipes to their end, or until `deadline` (something the child started may still
  /// hold them open).
  void drain(std::chrono::steady_clock::time_point deadline);
  /// Closes this side of the stderr pipe, as a reader that goes away does; err() keeps what was
  /// read until then.
  void close_err();

  /// `signal` to the child's pid, unless it has been reaped.
  void send_signal(int signal);
  /// SIGTERM, up to `grace` for the end, then SIGKILL and up to `grace` again. Returns whether
  /// the child ended on SIGTERM alone (or had ended before).
  bool terminate(std::chrono::milliseconds grace);
  /// SIGKILL, then up to `patience` to reap it (the kernel ends it at once).
  void kill(std::chrono::milliseconds patience = std::chrono::seconds(2));

  [[nodiscard]] const std::string& out() const { return out_; }
  /// Whether the stderr pipe is still open (not at its end, not closed by close_err()).
  [[nodiscard]] bool err_open() const { return err_fd_.valid(); }
  [[nodiscard]] const std::string& err() const { return err_; }

 private:
  ChildProcess(ChildHandles h, std::size_t limit);
  bool reap(Reap how);
  void read_pipes();

  pid_t pid_ = -1;
  UniqueFd pidfd_;  // invalid where the kernel has no pidfd_open
  UniqueFd out_fd_;
  UniqueFd err_fd_;
  std::size_t limit_ = 0;
  std::optional<ChildExit> exit_;
  std::string out_;
  std::string err_;
};

}  // namespace sockcalc
