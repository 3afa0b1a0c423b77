// SPDX-License-Identifier: MIT
// conformance/judge.hpp -- public (the conformance checks and their tests).
// The rules of docs/PROTOCOL.md as verdicts on bytes and on a client's run: is this reply
// right for that request, is this request what the command line asked, did the client print
// what it received. Pure functions over the project's codec; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sockcalc/conformance/outcome.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::conformance {

/// The course's example integers, used by the checks of both modes.
inline constexpr std::array<std::uint32_t, 5> kCourseIntegers{1, 3, 5, 7, 9};

/// One judgement: pass, or the rule broken (fail) or departed from (warn) and one sentence.
struct Verdict {
  Status status = Status::pass;
  std::string rule;
  std::string message;

  static Verdict ok() { return {}; }
  static Verdict failed(std::string_view rule, std::string message) {
    return {Status::fail, std::string(rule), std::move(message)};
  }
  static Verdict warned(std::string_view rule, std::string message) {
    return {Status::warn, std::string(rule), std::move(message)};
  }
  [[nodiscard]] bool passed() const { return status == Status::pass; }
};

/// Records `verdict` on `outcome` (a failure wins over a warning, the first of each wins).
void apply(CheckOutcome& outcome, const Verdict& verdict);

// ---- Server side: the reply a server sent ----

/// The reply to the valid `request` must be a success reply (P-10) carrying
/// compute(op, operands) modulo 2^32 (P-9) in the requested format (P-5), big-endian (P-2).
/// `rule` is the check's rule, blamed when the server refuses the request or gets the value
/// wrong for no reason the judge recognises. Unused reply bits set give a warning.
Verdict judge_success_reply(protocol::Bytes reply, const protocol::Request& request,
                            std::string_view rule);

/// The reply to the bad datagram `request` (real length `wire_length`) must be an error reply:
/// S = 0 (P-8), 1 .. max(wire_length, 1) bytes (P-8), never a result (P-7). A header other
/// than 00 or a reason that is not printable ASCII gives a warning (what our server sends).
Verdict judge_error_reply(protocol::Bytes reply, protocol::Bytes request, std::size_t wire_length);

// ---- Client side: the request a client sent, and what it printed ----

/// The datagram must be a valid request (P-6, P-4) asking for `expected`'s operation (P-4),
/// format (P-5) and integers (P-2, P-6). The unused bits are not judged here.
Verdict judge_request(protocol::Bytes datagram, const protocol::Request& expected);

/// P-3 [project]: our client sends the unused request bits as 0; others may not (a warning).
Verdict judge_request_unused_bits(protocol::Bytes datagram);

/// The value of the "Result: N" line on `out` (the first one), if there is one. Trailing
/// spaces and a carriage return are allowed; the number is the rest of the line.
std::optional<std::string> result_line(std::string_view out);

/// A client that received a valid success reply carrying `value` must exit 0 and print
/// "Result: VALUE". `rule` is the check's rule, blamed for a refusal.
Verdict judge_client_success(const ClientRun& run, std::uint32_t value, std::string_view rule);

/// A client that received an error or malformed reply, or no reply, must exit non-zero
/// without printing a result. `what` says what it received ("an error reply (S = 0)").
Verdict judge_client_failure(const ClientRun& run, std::string_view rule, std::string_view what);

}  // namespace sockcalc::conformance
