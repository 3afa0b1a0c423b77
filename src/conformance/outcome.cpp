// SPDX-License-Identifier: MIT
// conformance/outcome.cpp -- implementation of conformance/outcome.hpp.
#include "sockcalc/conformance/outcome.hpp"

#include <string.h>

#include <algorithm>

#include "sockcalc/protocol/describe.hpp"

namespace sockcalc::conformance {

std::string_view to_string(Status status) {
  switch (status) {
    case Status::pass:
      return "PASS";
    case Status::warn:
      return "WARN";
    case Status::fail:
      return "FAIL";
    case Status::skip:
      return "SKIP";
  }
  return "?";
}

std::string_view to_json(Status status) {
  switch (status) {
    case Status::pass:
      return "pass";
    case Status::warn:
      return "warn";
    case Status::fail:
      return "fail";
    case Status::skip:
      return "skip";
  }
  return "?";
}

std::string ClientRun::describe() const {
  if (!started) return "not started";
  if (timed_out) return "killed: still running at the check's deadline";
  if (exited) return "exit " + std::to_string(exit_code);
  return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
}

std::size_t Report::count(Status status) const {
  return static_cast<std::size_t>(std::ranges::count_if(
      checks, [status](const CheckOutcome& c) { return c.status == status; }));
}

bool Report::passed() const { return count(Status::fail) == 0; }

bool skipped_for_a_reason(const CheckOutcome& outcome) {
  return outcome.status == Status::skip && !outcome.message.starts_with(kNotRunPrefix);
}

void fail(CheckOutcome& outcome, std::string_view rule, std::string message) {
  outcome.status = Status::fail;
  outcome.broken_rule = std::string(rule);
  outcome.message = std::move(message);
}

void warn(CheckOutcome& outcome, std::string_view rule, std::string message) {
  if (outcome.status != Status::pass) return;
  outcome.status = Status::warn;
  outcome.broken_rule = std::string(rule);
  outcome.message = std::move(message);
}

Datagram request_record(bool sent, protocol::Bytes bytes) {
  return Datagram{sent, {bytes.begin(), bytes.end()}, protocol::describe_request(bytes)};
}

Datagram reply_record(bool sent, protocol::Bytes bytes, protocol::Format format) {
  return Datagram{sent, {bytes.begin(), bytes.end()}, protocol::describe_reply(bytes, format)};
}

}  // namespace sockcalc::conformance
