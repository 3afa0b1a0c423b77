// SPDX-License-Identifier: MIT
// conformance/judge.cpp -- implementation of conformance/judge.hpp.
// Every sentence names the rule and says what the peer did and what the spec wants.
#include "sockcalc/conformance/judge.hpp"

#include <array>
#include <charconv>
#include <limits>

#include "sockcalc/core/escape.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace sockcalc::conformance {
namespace {

using protocol::Bytes;
using protocol::Format;
using protocol::Op;

std::uint8_t byte_at(Bytes bytes, std::size_t i) { return std::to_integer<std::uint8_t>(bytes[i]); }

std::string hex_byte(std::uint8_t v) {
  return course_hex(std::span(reinterpret_cast<std::byte*>(&v), 1));
}

// The 32-bit value with its bytes in the other order: how a little-endian mistake shows up.
std::uint32_t swap_bytes(std::uint32_t v) { return __builtin_bswap32(v); }

Format other(Format f) { return f == Format::integer ? Format::string : Format::integer; }
Op other(Op op) { return op == Op::sum ? Op::product : Op::sum; }

// The payload as a quoted string when printable ("'0945'"), else in hex.
std::string show_payload(Bytes payload) {
  const std::string text = printable_or_empty(payload);
  if (!text.empty()) return "'" + text + "'";
  return payload.empty() ? "nothing" : course_hex(payload);
}

std::string reason_of(const protocol::RequestFault& fault) {
  std::array<char, 64> text{};
  return {text.data(), protocol::format_reason(fault, text)};
}

// Whether the true (unbounded) result of `op` over `operands` exceeds 32 bits.
bool overflows(Op op, std::span<const std::uint32_t> operands) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint32_t>::max();
  std::uint64_t acc = op == Op::product ? 1 : 0;
  for (std::uint32_t v : operands) {
    if (op == Op::product && v == 0) return false;  // the true product is 0
  }
  for (std::uint32_t v : operands) {
    acc = op == Op::product ? acc * v : acc + v;
    if (acc > kMax) return true;
  }
  return false;
}

std::string op_name(Op op) { return std::string(protocol::to_string(op)); }

}  // namespace

void apply(CheckOutcome& outcome, const Verdict& verdict) {
  if (verdict.status == Status::fail && outcome.status != Status::fail) {
    fail(outcome, verdict.rule, verdict.message);
  } else if (verdict.status == Status::warn) {
    warn(outcome, verdict.rule, verdict.message);
  }
}

namespace {

// A valid request answered with an error reply (S = 0).
Verdict judge_error_instead(Bytes payload, const protocol::Request& request,
                            std::string_view rule) {
  const std::string asked =
      op_name(request.op) + ", " + std::string(protocol::to_string(request.format)) + " result";
  std::string message = "the server answered a valid request (" + asked +
                        ") with an error reply (S = 0, reason " + show_payload(payload) + ")";
  if (request.unused != 0) {
    message += "; the unused high nibble of byte 0 (here " + std::to_string(request.unused) +
               ") must be ignored, the opcode is (byte0 >> 1) & 7";
  }
  return Verdict::failed(rule, message);
}

// A success reply whose result does not decode in the format asked (`d`).
Verdict judge_undecodable(Bytes reply, Bytes payload, const protocol::Request& request,
                          const protocol::DecodedReply& d, std::uint32_t expected) {
  const protocol::DecodedReply o = protocol::decode_reply(reply, other(request.format));
  if (o.ok() && o.reply.value == expected) {
    return Verdict::failed(
        "P-5", "the result came in the " + std::string(protocol::to_string(other(request.format))) +
                   " format, but F = " + std::to_string(static_cast<int>(request.format)) +
                   " asked for the " + std::string(protocol::to_string(request.format)) +
                   " format");
  }
  if (request.format == Format::integer) {
    return Verdict::failed("P-10",
                           "the integer result must be exactly 4 bytes after the "
                           "header, this reply carries " +
                               std::to_string(payload.size()));
  }
  if (!payload.empty() && byte_at(payload, payload.size() - 1) == 0) {
    return Verdict::failed("P-10",
                           "the string result ends with a NUL byte; the datagram's "
                           "length delimits the string, no terminator is sent");
  }
  if (*d.error == protocol::ReplyError::leading_zero) {
    return Verdict::failed("P-10", "the string result " + show_payload(payload) +
                                       " has a leading zero; the decimal string is canonical "
                                       "(no leading zero, zero is '0')");
  }
  return Verdict::failed("P-10", "the " + std::string(protocol::to_string(*d.error)) + " (" +
                                     show_payload(payload) +
                                     "); it must be 1 to 10 ASCII digits, no sign, no NUL");
}

// A result that decodes but is not `expected`: the classic mistakes first, by what it equals.
Verdict judge_wrong_value(std::uint32_t value, const protocol::Request& request,
                          std::uint32_t expected, std::string_view rule) {
  const auto operands = request.operands.values();
  const std::string got = std::to_string(value);
  const std::string want = std::to_string(expected);
  if (request.format == Format::integer && swap_bytes(value) == expected) {
    return Verdict::failed("P-2",
                           "the result is in little-endian byte order: its 4 bytes "
                           "read big-endian make " +
                               got + ", network byte order gives " + want);
  }
  const std::uint32_t swapped_op = protocol::compute(other(request.op), operands);
  if (value == swapped_op) {
    return Verdict::failed("P-4", "the server computed the " + op_name(other(request.op)) + " (" +
                                      got + ") instead of the " + op_name(request.op) + " (" +
                                      want + ")");
  }
  if (overflows(request.op, operands)) {
    return Verdict::failed(
        "P-9", "the true " + op_name(request.op) +
                   " does not fit in 32 bits and must wrap "
                   "modulo 2^32 to " +
                   want + ", the server sent " + got +
                   (value == std::numeric_limits<std::uint32_t>::max() ? " (saturated)" : ""));
  }
  return Verdict::failed(rule, "the result is " + got + ", the " + op_name(request.op) +
                                   " of the integers sent is " + want);
}

}  // namespace

Verdict judge_success_reply(Bytes reply, const protocol::Request& request, std::string_view rule) {
  const std::uint32_t expected = protocol::compute(request.op, request.operands.values());
  if (reply.empty()) {
    return Verdict::failed("P-10",
                           "the reply is empty (0 bytes); a success reply is the header "
                           "byte with S = 1 followed by the result");
  }
  const std::uint8_t header = byte_at(reply, 0);
  const Bytes payload = reply.subspan(wire::kHeaderSize);
  if ((header & wire::kStatusMask) == 0) return judge_error_instead(payload, request, rule);
  const protocol::DecodedReply d = protocol::decode_reply(reply, request.format);
  if (!d.ok()) return judge_undecodable(reply, payload, request, d, expected);
  if (d.reply.value != expected) return judge_wrong_value(d.reply.value, request, expected, rule);
  if (d.reply.unused != 0) {
    return Verdict::warned("P-10", "the unused reply bits are set (header " + hex_byte(header) +
                                       "): allowed, a client ignores them, but our server sends "
                                       "them as 0");
  }
  return Verdict::ok();
}

Verdict judge_error_reply(Bytes reply, Bytes request, std::size_t wire_length) {
  const protocol::DecodedRequest decoded = protocol::decode_request(request, wire_length);
  const std::string why =
      decoded.fault ? reason_of(*decoded.fault) : std::string("a request the checker thought bad");
  const std::size_t limit = std::max<std::size_t>(wire_length, 1);
  const Format format =
      request.empty() ? Format::integer : static_cast<Format>(byte_at(request, 0) & 1);
  if (reply.empty()) {
    return Verdict::failed("P-8",
                           "the error reply is empty; it must hold at least its header "
                           "byte with S = 0");
  }
  const std::uint8_t header = byte_at(reply, 0);
  const Bytes payload = reply.subspan(wire::kHeaderSize);
  if ((header & wire::kStatusMask) != 0) {
    const std::string text = printable_or_empty(payload);
    const bool looks_like_reason =
        text.find_first_not_of("0123456789") != std::string::npos && !text.empty();
    const protocol::DecodedReply d = protocol::decode_reply(reply, format);
    if (!looks_like_reason && d.ok() && decoded.fault &&
        decoded.fault->error == protocol::RequestError::unknown_opcode) {
      return Verdict::failed("P-4", "opcode " + std::to_string(decoded.fault->detail) +
                                        " is not defined, so the server must answer with an "
                                        "error reply, but it sent the result " +
                                        std::to_string(d.reply.value));
    }
    if (!looks_like_reason && d.ok()) {
      return Verdict::failed("P-7", "the server answered a bad request (" + why +
                                        ") with the result " + std::to_string(d.reply.value) +
                                        "; a bad request gets an error reply, never a result");
    }
    return Verdict::failed("P-8", "the reply to a bad request (" + why +
                                      ") has S = 1, so a client takes it for a success; an "
                                      "error reply has S = 0");
  }
  if (reply.size() > limit) {
    return Verdict::failed("P-8", "the error reply is " + std::to_string(reply.size()) +
                                      " bytes, longer than the " + std::to_string(wire_length) +
                                      "-byte request; it must be cut to at most " +
                                      std::to_string(limit) + " byte" + (limit == 1 ? "" : "s"));
  }
  if (header != 0) {
    return Verdict::warned("P-8", "the error reply's header is " + hex_byte(header) +
                                      ": S = 0 is right and the unused bits are ignored, but "
                                      "our server sends 0x0");
  }
  if (!payload.empty() && printable_or_empty(payload).empty()) {
    return Verdict::warned("P-8", "the error reason is not printable ASCII (" +
                                      course_hex(payload) +
                                      "): allowed, a client must not parse it, but our server "
                                      "sends readable text");
  }
  return Verdict::ok();
}

Verdict judge_request(Bytes datagram, const protocol::Request& expected) {
  const protocol::DecodedRequest d = protocol::decode_request(datagram);
  if (!d.ok()) {
    const bool opcode = d.fault->error == protocol::RequestError::unknown_opcode;
    return Verdict::failed(opcode ? "P-4" : "P-6",
                           "the client sent a bad request (" + reason_of(*d.fault) +
                               "); a request is 1 header byte then 1 to 64 big-endian integers, "
                               "in one datagram");
  }
  const protocol::Request& r = d.request;
  if (r.op != expected.op) {
    return Verdict::failed(
        "P-4", "the request's opcode is " + std::to_string(static_cast<int>(r.op)) + " (" +
                   op_name(r.op) + "), but the command line asked for the " + op_name(expected.op) +
                   " (opcode " + std::to_string(static_cast<int>(expected.op)) + ")");
  }
  if (r.format != expected.format) {
    return Verdict::failed(
        "P-5", std::string("the request's F bit is ") + (r.format == Format::string ? "1" : "0") +
                   ", but the command line " +
                   (expected.format == Format::string ? "gave" : "did not give") +
                   " -s (F = 1 asks for a string result)");
  }
  if (r.operands == expected.operands) return Verdict::ok();
  const auto list = [](const protocol::OperandList& l) {
    std::string s;
    for (std::uint32_t v : l.values()) s += (s.empty() ? "" : " ") + std::to_string(v);
    return s;
  };
  if (r.operands.size() == expected.operands.size()) {
    bool swapped = true;
    for (std::size_t i = 0; i < r.operands.size(); ++i) {
      swapped = swapped && swap_bytes(r.operands[i]) == expected.operands[i];
    }
    if (swapped) {
      return Verdict::failed("P-2",
                             "the integers are in little-endian byte order (read "
                             "big-endian they are " +
                                 list(r.operands) + "); network byte order is big-endian");
    }
  }
  return Verdict::failed("P-6", "the request carries " + std::to_string(r.operands.size()) +
                                    " integers (" + list(r.operands) + "), the command line gave " +
                                    std::to_string(expected.operands.size()) + " (" +
                                    list(expected.operands) + ")");
}

Verdict judge_request_unused_bits(Bytes datagram) {
  const protocol::DecodedRequest d = protocol::decode_request(datagram);
  if (!d.ok() || d.request.unused == 0) return Verdict::ok();
  return Verdict::warned(
      "P-3", "the client sets the unused request bits (byte 0 = " + hex_byte(byte_at(datagram, 0)) +
                 "): allowed, a server ignores them, but our client sends 0");
}

std::optional<std::string> result_line(std::string_view out) {
  constexpr std::string_view kPrefix = "Result:";
  while (!out.empty()) {
    const std::size_t end = out.find('\n');
    std::string_view line = out.substr(0, end);
    out = end == std::string_view::npos ? std::string_view{} : out.substr(end + 1);
    if (!line.starts_with(kPrefix)) continue;
    line.remove_prefix(kPrefix.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    return std::string(line);
  }
  return std::nullopt;
}

namespace {

// A verdict on how the client ended when that alone is wrong (killed, crashed), else nullopt.
std::optional<Verdict> judge_ending(const ClientRun& run, std::string_view rule,
                                    std::string_view after) {
  if (!run.started) return Verdict::failed(rule, "the client program could not be started");
  if (run.timed_out) {
    return Verdict::failed(rule, "the client was still running at the check's deadline after " +
                                     std::string(after) + ", and was killed");
  }
  if (!run.exited) {
    return Verdict::failed(
        rule, "the client crashed (" + run.describe() + ") after " + std::string(after));
  }
  return std::nullopt;
}

}  // namespace

Verdict judge_client_success(const ClientRun& run, std::uint32_t value, std::string_view rule) {
  const std::string want = std::to_string(value);
  if (auto v = judge_ending(run, rule, "a success reply carrying " + want)) return *v;
  const auto line = result_line(run.out);
  if (run.exit_code != 0) {
    return Verdict::failed(rule, "the client exited with status " + std::to_string(run.exit_code) +
                                     " on a valid success reply carrying " + want +
                                     "; it must print 'Result: " + want + "' and exit 0");
  }
  if (!line) {
    return Verdict::failed(
        rule, "the client exited 0 but printed no 'Result: " + want + "' line on stdout");
  }
  if (*line == want) return Verdict::ok();
  // The line is the client's output: escaped, it cannot break or colour the report.
  const std::string shown = escape_bytes(*line);
  std::int64_t printed = 0;
  const auto [ptr, ec] = std::from_chars(line->data(), line->data() + line->size(), printed);
  const bool number = ec == std::errc() && ptr == line->data() + line->size();
  if (number && printed == static_cast<std::int32_t>(value)) {
    return Verdict::failed("P-10", "the client printed 'Result: " + shown + "' for " + want +
                                       ": the result is an unsigned 32-bit integer");
  }
  if (number && printed == swap_bytes(value)) {
    return Verdict::failed("P-2", "the client printed 'Result: " + shown + "' for " + want +
                                      ": it read the result's 4 bytes little-endian, network "
                                      "byte order is big-endian");
  }
  return Verdict::failed(rule,
                         "the client printed 'Result: " + shown + "', the reply carried " + want);
}

Verdict judge_client_failure(const ClientRun& run, std::string_view rule, std::string_view what) {
  if (auto v = judge_ending(run, rule, what)) return *v;
  if (const auto line = result_line(run.out)) {
    return Verdict::failed(rule, "the client printed 'Result: " + escape_bytes(*line) +
                                     "' after receiving " + std::string(what) +
                                     "; it must report an error instead and exit non-zero");
  }
  if (run.exit_code == 0) {
    return Verdict::failed(rule, "the client exited 0 after " + std::string(what) +
                                     "; it must exit with a non-zero status");
  }
  return Verdict::ok();
}

}  // namespace sockcalc::conformance
