// SPDX-License-Identifier: MIT
// conformance/outcome.hpp -- public.
// What one conformance check found (status, the rule it broke, the datagrams exchanged, the
// client run) and the whole report. Plain values; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::conformance {

/// The verdict of one check. Only `fail` makes the run fail; `warn` marks a legal difference
/// from what our own programs send; `skip` a check not run (every check after a silent first
/// one, which failed) or that cannot be run against this target (its message says why).
enum class Status { pass, warn, fail, skip };
std::string_view to_string(Status status);  // "PASS", "WARN", "FAIL", "SKIP"
std::string_view to_json(Status status);    // "pass", "warn", "fail", "skip"

/// One datagram as the checker saw it.
struct Datagram {
  bool sent = false;  // true: the checker sent it; false: the checker received it
  std::vector<std::byte> bytes;
  std::string meaning;  // describe_request() / describe_reply() of the bytes
};

/// How a client program run ended (client mode only).
struct ClientRun {
  std::vector<std::string> argv;
  bool started = false;    // false: it could not be started (see CheckOutcome::message)
  bool exited = false;     // it called exit(): exit_code is valid
  int exit_code = -1;      // 0..255
  int signal = 0;          // the signal that ended it, when !exited
  bool timed_out = false;  // still running at the check's deadline: killed by pid
  std::string out;         // its stdout
  std::string err;         // its stderr
  /// "exit 0", "exit 3", "killed by signal 11", "killed after 1000 ms (timeout)".
  [[nodiscard]] std::string describe() const;
};

/// The result of one check.
struct CheckOutcome {
  std::string id;     // stable name, e.g. "course-sum"
  std::string rule;   // the rule the check exercises, "P-9"
  std::string title;  // what it does, one line
  Status status = Status::pass;
  /// The rule actually broken (fail) or departed from (warn); may differ from `rule`.
  std::string broken_rule;
  /// One sentence: which rule was broken and how (fail, warn, skip); empty on pass.
  std::string message;
  std::vector<Datagram> datagrams;  // in the order they were sent or received
  std::optional<ClientRun> client;  // client mode
};

/// A finished run of one mode.
struct Report {
  std::string mode;    // "server" or "client"
  std::string target;  // the server address, or the client command line
  int timeout_ms = 0;
  std::vector<CheckOutcome> checks;

  [[nodiscard]] std::size_t count(Status status) const;
  /// True when no check failed (warnings and skips allowed: a run whose checks were skipped
  /// because the server is silent has a failed first check).
  [[nodiscard]] bool passed() const;
};

/// How the message of every check skipped after a silent first check begins.
inline constexpr std::string_view kNotRunPrefix = "not run: ";
/// A skip with a reason of its own (the check cannot be run against this target), which the
/// table shows, unlike the skips after a silent first check.
bool skipped_for_a_reason(const CheckOutcome& outcome);

/// A failed outcome: `status` fail, `broken_rule` and `message` set.
void fail(CheckOutcome& outcome, std::string_view rule, std::string message);
/// A warning, unless the outcome already failed.
void warn(CheckOutcome& outcome, std::string_view rule, std::string message);

/// A request datagram as a Datagram record, described as the server would see it.
Datagram request_record(bool sent, protocol::Bytes bytes);
/// A reply datagram as a Datagram record, described for a request that asked for `format`.
Datagram reply_record(bool sent, protocol::Bytes bytes, protocol::Format format);

}  // namespace sockcalc::conformance
