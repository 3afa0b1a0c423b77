// SPDX-License-Identifier: MIT
// conformance/report.cpp -- implementation of conformance/report.hpp.
#include "sockcalc/conformance/report.hpp"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "sockcalc/core/escape.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/core/json_text.hpp"

namespace sockcalc::conformance {
namespace {

using Json = nlohmann::ordered_json;  // the keys in docs/CONFORMANCE.md's order

// Column widths of the table: status, rule, check id.
constexpr int kStatusWidth = 6;
constexpr int kRuleWidth = 6;
constexpr int kIdWidth = 30;
// A client's stdout and stderr are shown up to this many lines each in the table.
constexpr std::size_t kOutputLines = 4;

std::string pad(std::string_view s, int width) {
  std::string out(s);
  if (out.size() < static_cast<std::size_t>(width))
    out.resize(static_cast<std::size_t>(width), ' ');
  return out + " ";
}

std::string direction(std::string_view mode, bool sent) {
  if (mode == "client") return sent ? "to client  " : "from client";
  return sent ? "to server  " : "from server";
}

std::string datagram_line(std::string_view mode, const Datagram& d) {
  const std::span<const std::byte> all(d.bytes);
  const auto shown = all.first(std::min(all.size(), kTableHexBytes));
  std::string line = "    " + direction(mode, d.sent) + " " + std::to_string(d.bytes.size()) +
                     (d.bytes.size() == 1 ? " byte" : " bytes") + ": " +
                     (d.bytes.empty() ? std::string("(empty)") : course_hex(shown));
  if (shown.size() < all.size()) {
    line += " ... (" + std::to_string(all.size() - shown.size()) + " more)";
  }
  return line + " | " + d.meaning + "\n";
}

// The first `max` lines of `text`, each indented and escaped (a client's output may hold
// escape sequences or carriage returns meant for a terminal), and how many more there were.
std::string some_lines(std::string_view label, std::string_view text) {
  if (text.empty()) return "    " + std::string(label) + " (nothing)\n";
  std::string out;
  std::size_t lines = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (lines++ < kOutputLines) {
      out += "    " + std::string(lines == 1 ? label : std::string(label.size(), ' ')) + " " +
             escape_bytes(line) + "\n";
    }
  }
  if (lines > kOutputLines) {
    out += "    " + std::string(label.size(), ' ') + " ... (" +
           std::to_string(lines - kOutputLines) + " more lines)\n";
  }
  return out;
}

std::string quote_arg(const std::string& a) {
  if (!a.empty() && a.find_first_of(" '\"*?$\\;&|<>()") == std::string::npos) return a;
  std::string out = "'";
  for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Json datagram_json(const Datagram& d) {
  return {{"direction", d.sent ? "sent" : "received"},
          {"length", d.bytes.size()},
          {"hex", course_hex(d.bytes)},
          {"meaning", d.meaning}};
}

Json client_json(const ClientRun& c) {
  const bool signalled = !c.exited && c.started && !c.timed_out;
  return {{"argv", c.argv},
          {"started", c.started},
          {"exited", c.exited},
          {"exit_code", c.exited ? Json(c.exit_code) : Json(nullptr)},
          {"signal", signalled ? Json(c.signal) : Json(nullptr)},
          {"timed_out", c.timed_out},
          {"stdout", c.out},
          {"stderr", c.err}};
}

Json check_json(const CheckOutcome& o) {
  Json datagrams = Json::array();
  for (const Datagram& d : o.datagrams) datagrams.push_back(datagram_json(d));
  return {{"id", o.id},
          {"rule", o.rule},
          {"title", o.title},
          {"status", to_json(o.status)},
          {"broken_rule", o.broken_rule},
          {"message", o.message},
          {"datagrams", std::move(datagrams)},
          {"client", o.client ? client_json(*o.client) : Json(nullptr)}};
}

}  // namespace

std::string table_header(std::string_view mode, std::string_view target, std::size_t checks,
                         int timeout_ms) {
  return "conformance: " + std::string(mode) + " " + std::string(target) + ", " +
         std::to_string(checks) + " checks, timeout " + std::to_string(timeout_ms) + " ms\n\n" +
         pad("RESULT", kStatusWidth) + pad("RULE", kRuleWidth) + pad("CHECK", kIdWidth) + "WHAT\n";
}

std::string table_row(const CheckOutcome& o) {
  return pad(to_string(o.status), kStatusWidth) + pad(o.rule, kRuleWidth) + pad(o.id, kIdWidth) +
         o.title + "\n";
}

std::string details(std::string_view mode, const CheckOutcome& o) {
  std::string out = std::string(to_string(o.status)) + " " + o.id + " (" + o.rule + ")\n";
  if (!o.message.empty()) {
    const std::string verb = o.status == Status::fail   ? "broke "
                             : o.status == Status::warn ? "differs from our programs on "
                                                        : "";
    out += "    " + (o.broken_rule.empty() ? std::string() : verb + o.broken_rule + ": ") +
           o.message + "\n";
  }
  if (o.client) {
    std::string command;
    for (const std::string& a : o.client->argv)
      command += (command.empty() ? "" : " ") + quote_arg(a);
    out += "    command     " + command + "\n";
  }
  for (const Datagram& d : o.datagrams) out += datagram_line(mode, d);
  if (o.client && o.client->started) {
    out += "    ended       " + o.client->describe() + "\n";
    out += some_lines("stdout     ", o.client->out);
    out += some_lines("stderr     ", o.client->err);
  }
  return out;
}

std::string table_footer(const Report& report, bool verbose) {
  std::string out;
  for (const CheckOutcome& o : report.checks) {
    if (verbose || o.status == Status::fail || o.status == Status::warn ||
        skipped_for_a_reason(o)) {
      out += "\n" + details(report.mode, o);
    }
  }
  out += "\n" + std::to_string(report.checks.size()) +
         " checks: " + std::to_string(report.count(Status::pass)) + " passed, " +
         std::to_string(report.count(Status::fail)) + " failed, " +
         std::to_string(report.count(Status::warn)) + " warnings, " +
         std::to_string(report.count(Status::skip)) +
         " skipped: " + (report.passed() ? "PASS" : "FAIL") + "\n";
  return out;
}

std::string format_table(const Report& report, bool verbose) {
  std::string out =
      table_header(report.mode, report.target, report.checks.size(), report.timeout_ms);
  for (const CheckOutcome& o : report.checks) out += table_row(o);
  return out + table_footer(report, verbose);
}

std::string format_json(const Report& report) {
  Json summary = {{"checks", report.checks.size()}};
  for (Status status : {Status::pass, Status::warn, Status::fail, Status::skip}) {
    summary[std::string(to_json(status))] = report.count(status);
  }
  Json checks = Json::array();
  for (const CheckOutcome& o : report.checks) checks.push_back(check_json(o));
  const Json doc = {{"schema", kJsonSchema},
                    {"mode", report.mode},
                    {"target", report.target},
                    {"timeout_ms", report.timeout_ms},
                    {"result", report.passed() ? "pass" : "fail"},
                    {"summary", std::move(summary)},
                    {"checks", std::move(checks)}};
  return json_text(doc);
}

}  // namespace sockcalc::conformance
