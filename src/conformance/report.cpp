// SPDX-License-Identifier: MIT
// conformance/report.cpp -- implementation of conformance/report.hpp.
#include "sockcalc/conformance/report.hpp"

#include <array>
#include <cstdio>

#include "sockcalc/core/escape.hpp"
#include "sockcalc/core/hex.hpp"

namespace sockcalc::conformance {
namespace {

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

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c > 0x7E) {
      std::array<char, 8> esc{};
      std::snprintf(esc.data(), esc.size(), "\\u%04x", c);
      out += esc.data();
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string format_json(const Report& report) {
  std::string out = "{\"schema\":" + json_string(kJsonSchema) +
                    ",\"mode\":" + json_string(report.mode) +
                    ",\"target\":" + json_string(report.target) +
                    ",\"timeout_ms\":" + std::to_string(report.timeout_ms) +
                    ",\"result\":" + json_string(report.passed() ? "pass" : "fail") +
                    ",\"summary\":{\"checks\":" + std::to_string(report.checks.size());
  for (Status s : {Status::pass, Status::warn, Status::fail, Status::skip}) {
    out += ",\"" + std::string(to_json(s)) + "\":" + std::to_string(report.count(s));
  }
  out += "},\n\"checks\":[";
  bool first = true;
  for (const CheckOutcome& o : report.checks) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "{\"id\":" + json_string(o.id) + ",\"rule\":" + json_string(o.rule) +
           ",\"title\":" + json_string(o.title) + ",\"status\":" + json_string(to_json(o.status)) +
           ",\"broken_rule\":" + json_string(o.broken_rule) +
           ",\"message\":" + json_string(o.message) + ",\"datagrams\":[";
    for (std::size_t i = 0; i < o.datagrams.size(); ++i) {
      const Datagram& d = o.datagrams[i];
      out += std::string(i ? "," : "") +
             "{\"direction\":" + json_string(d.sent ? "sent" : "received") +
             ",\"length\":" + std::to_string(d.bytes.size()) +
             ",\"hex\":" + json_string(course_hex(d.bytes)) +
             ",\"meaning\":" + json_string(d.meaning) + "}";
    }
    out += "],\"client\":";
    if (!o.client) {
      out += "null";
    } else {
      const ClientRun& c = *o.client;
      out += "{\"argv\":[";
      for (std::size_t i = 0; i < c.argv.size(); ++i)
        out += (i ? "," : "") + json_string(c.argv[i]);
      out += "],\"started\":" + std::string(c.started ? "true" : "false") +
             ",\"exited\":" + (c.exited ? "true" : "false") +
             ",\"exit_code\":" + (c.exited ? std::to_string(c.exit_code) : "null") +
             ",\"signal\":" +
             (!c.exited && c.started && !c.timed_out ? std::to_string(c.signal) : "null") +
             ",\"timed_out\":" + (c.timed_out ? "true" : "false") +
             ",\"stdout\":" + json_string(c.out) + ",\"stderr\":" + json_string(c.err) + "}";
    }
    out += "}";
  }
  return out + "\n]}\n";
}

}  // namespace sockcalc::conformance
