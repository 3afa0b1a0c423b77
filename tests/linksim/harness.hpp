// SPDX-License-Identifier: MIT
// tests/linksim/harness.hpp -- internal to tests/linksim.
// Starts the real server and linksim programs on loopback with port 0 (the real port read from
// their "listening on" line), runs the client program, and parses linksim's summary. One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "support/process.hpp"

namespace sockcalc::test {

// Paths of the programs under test, from CMake ($<TARGET_FILE:...>).
inline const std::string kLinksimPath = LINKSIM_PATH;
inline const std::string kServerPath = SERVER_PATH;
inline const std::string kClientPath = CLIENT_PATH;

/// How long a program may take to print its "listening on" line (generous: sanitizer builds
/// start slowly on a loaded machine).
inline constexpr std::chrono::milliseconds kStartTimeout{10'000};
/// How long a program may take to exit after SIGTERM.
inline constexpr std::chrono::milliseconds kStopTimeout{10'000};

/// A program under test: a movable handle on the shared testing::Process, with the linksim
/// tests' view of it (status as one int, output read on every look, a named dump).
class Program {
 public:
  /// Starts argv[0] (a path) with `argv`; `name` labels dump(). On failure pid() is -1 and
  /// err() says why.
  static Program start(const std::vector<std::string>& argv, const std::string& name);

  [[nodiscard]] pid_t pid() const { return process_ ? process_->pid() : -1; }
  [[nodiscard]] bool running() const { return process_ && !process_->reaped(); }

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

  /// "NAME:" plus the command, its status, stdout and stderr, for failure messages.
  [[nodiscard]] std::string dump() const;

 private:
  std::unique_ptr<testing::Process> process_;  // null when it could not be started
  std::string name_;
  std::string start_error_;
};

/// A program that printed where it listens.
struct Started {
  Program process;
  Address address;  // with the real port
  [[nodiscard]] std::string port() const { return std::to_string(address.port()); }
};

/// The lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, std::string_view needle);

/// The address in a "...listening on ADDRESS" or "...listening on ADDRESS, ..." line.
std::optional<Address> listening_address(const std::string& line);

/// Starts `server HOST 0`. nullopt (with the output in `why`) when it does not report a port.
std::optional<Started> start_server(const std::string& host, std::string* why);

/// Starts `linksim OPTIONS... LISTEN_HOST 0 SERVER_HOST SERVER_PORT`.
std::optional<Started> start_linksim(const std::vector<std::string>& options,
                                     const std::string& listen_host, const std::string& server_host,
                                     const std::string& port, std::string* why,
                                     const std::string& name = "linksim");

/// Sends SIGTERM and waits: the exit status, or nullopt when it did not stop in time.
std::optional<int> stop(Program& p);

/// The counters of a linksim summary line ("...: received 10, passed 7, ...; held 0"), by
/// name ("received", "send failed", ...).
std::map<std::string, std::uint64_t> counters(const std::string& line);

/// The summary line of linksim's stderr that starts with `label` after "linksim: "
/// ("forward", "reverse" or "flows"), or "".
std::string summary(const std::string& err, const std::string& label);

/// One run of the client program.
struct ClientRun {
  int status = -1;  // exit status; -1 if it did not end in time (then it was killed)
  std::string out;
  std::string err;
};

/// Starts the client program with `args`; call finish() on the result.
Program start_client(const std::vector<std::string>& args, const std::string& name);
ClientRun finish(Program& p, std::chrono::milliseconds timeout);

}  // namespace sockcalc::test
