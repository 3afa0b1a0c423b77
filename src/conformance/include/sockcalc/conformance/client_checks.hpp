// SPDX-License-Identifier: MIT
// conformance/client_checks.hpp -- public.
// The client checks: a client program run the way the course's command line reads
// (CMD ARGS... -op OP [-s] HOST PORT INT...) against a scripted server that answers with
// chosen bytes (right, with unused bits, error, malformed, late, none), then judged on the
// request it sent, what it printed and its exit status. Single-threaded; blocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sockcalc/conformance/outcome.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/process/child_process.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::conformance {

struct ClientCheck {
  std::string id;                  // stable, e.g. "error-reply"
  std::string rule;                // "P-11"
  std::string title;               // one line
  protocol::Request request;       // what the command line asks; the client must send exactly it
  std::vector<std::byte> reply;    // the scripted reply (the codec's bytes, maybe changed)
  bool drop_first = false;         // ignore the first datagram, answer the retransmission
  bool no_server = false;          // nothing listens on the port: no reply at all
  bool expect_success = true;      // true: "Result: N" and exit 0; false: exit != 0, no result
  std::uint32_t value = 0;         // the result the reply carries, when expect_success
  std::string received;            // what the client gets, for messages ("an error reply")
  bool judge_unused_bits = false;  // also judge P-3 (a warning at most)
  /// The spec's client rule does not list this reply among those to refuse: a client that
  /// prints `value` from it gets a warning, not a failure (refusing it passes).
  bool accepting_warns = false;
  std::string hint;  // said after a failure's sentence: the rule the check is about
};

/// Every client check, in the order they run.
std::vector<ClientCheck> client_checks();

struct ClientOptions {
  /// How long each check waits for the client to exit before it is killed (by pid).
  std::chrono::milliseconds timeout{10000};
  /// The numeric address the scripted server binds (port 0) and the client is given.
  std::string host = "::1";
  /// Called after each check, e.g. to print its row at once.
  std::function<void(const CheckOutcome&)> on_check;
  /// How each run of the client is started (`conformance grade`: as the sandbox's user, with
  /// its limits); empty: posix_spawnp.
  ChildStarter starter;
};

/// The command line of one run: `command`, then -op + or '*', -s for a string result, HOST,
/// PORT and the integers.
std::vector<std::string> client_argv(const std::vector<std::string>& command,
                                     const protocol::Request& request, const std::string& host,
                                     std::uint16_t port);

/// Runs every check with `command` (argv[0] looked up in PATH). Fails, without a report, when
/// the scripted server cannot bind `host` or the command cannot be started at all.
Result<Report> run_client_checks(const std::vector<std::string>& command,
                                 const ClientOptions& options);

}  // namespace sockcalc::conformance
