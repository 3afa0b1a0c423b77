// SPDX-License-Identifier: MIT
// conformance/child.hpp -- internal to src/conformance.
// Child: the client program under test, started with posix_spawnp, its stdout and stderr read
// through pipes, ended by its pid (SIGKILL) when it outlives its check. A Child belongs to the
// thread that started it; it never signals anything but its own pid.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "sockcalc/conformance/outcome.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/process/child_process.hpp"

namespace sockcalc::conformance {

class Child {
 public:
  /// Starts argv[0] (looked up in PATH when it has no slash) with argv[1..]; stdin reads
  /// /dev/null. Fails when the program cannot be started (not found, not executable).
  static Result<Child> start(const std::vector<std::string>& argv);

  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();  // kill() when still running, then closes every fd; never throws

  /// Appends the fds that become readable when the child writes or exits.
  void add_poll_fds(std::vector<pollfd>& fds) const;
  /// True when the exit can only be noticed by looking again (no pidfd): poll in short slices.
  [[nodiscard]] bool needs_slices() const { return pidfd_ < 0; }

  /// Reads the output available now and reaps the child if it ended; returns whether it did.
  bool update();
  [[nodiscard]] bool ended() const { return reaped_; }

  /// SIGKILL to the child's pid and a bounded wait to reap it; marks the run timed out.
  void kill();

  /// After the child ended: reads its pipes to their end, or until `deadline` (something it
  /// started may still hold them open).
  void drain(std::chrono::steady_clock::time_point deadline);

  /// How the run went so far: argv, exit status, output.
  [[nodiscard]] const ClientRun& run() const { return run_; }

 private:
  Child() = default;
  bool reap(Reap how);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  ClientRun run_;
};

}  // namespace sockcalc::conformance
