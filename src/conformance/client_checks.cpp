// SPDX-License-Identifier: MIT
// conformance/client_checks.cpp -- implementation of conformance/client_checks.hpp.
// Every scripted reply is the codec's output (encode_success_reply, encode_error_reply),
// changed byte by byte for the malformed ones. One poll() loop serves the scripted socket and
// watches the client's pipes and exit.
#include "sockcalc/conformance/client_checks.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <optional>

#include "sockcalc/address/address.hpp"
#include "sockcalc/conformance/judge.hpp"
#include "sockcalc/conformance/probe.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/process/child.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::conformance {
namespace {

using protocol::Format;
using protocol::make_request;
using protocol::Op;
using protocol::Request;
using Bytes = std::vector<std::byte>;

// Without a pidfd, the loop looks at the child this often.
constexpr int kSliceMs = 10;
// After the client ended, its pipes are read for at most this long.
constexpr milliseconds kDrain{500};
// Output kept per stream; more is read and dropped, so a chatty client cannot fill memory.
constexpr std::size_t kMaxOutput = 64 * 1024;
// Large enough for any datagram a client may send.
constexpr std::size_t kReceiveBuffer = 65536;

// How the client's run ended, for the report.
void record_end(const ChildProcess& child, ClientRun& run) {
  if (const auto& e = child.exit()) {
    run.exited = e->exited;
    if (e->exited) run.exit_code = e->code;
    run.signal = e->signal;
  }
  run.out = child.out();
  run.err = child.err();
}

Bytes success_bytes(std::uint32_t value, Format format) {
  return protocol::encoded_success_reply(value, format);
}

Bytes error_bytes(const protocol::RequestFault& fault, std::size_t request_length) {
  return protocol::encoded_error_reply(fault, request_length);
}

Bytes with_header(Bytes d, std::uint8_t header) {
  d[0] = std::byte{header};
  return d;
}
Bytes resized(Bytes d, std::size_t size) {
  d.resize(size);
  return d;
}
Bytes appended(Bytes d, char c) {
  d.push_back(std::byte(c));
  return d;
}
Bytes inserted_after_header(Bytes d, char c) {
  d.insert(d.begin() + wire::kHeaderSize, std::byte(c));
  return d;
}
Bytes last_replaced(Bytes d, char c) {
  d.back() = std::byte(c);
  return d;
}

std::string short_hex(const Bytes& d) { return d.empty() ? "nothing" : course_hex(d); }

// A check where the client must print the result `reply` carries.
ClientCheck success(std::string id, std::string rule, std::string what, const Request& r,
                    Bytes reply) {
  const std::uint32_t value = protocol::compute(r.op, r.operands.values());
  ClientCheck c;
  c.title = what + ": reply " + short_hex(reply) + ", expect 'Result: " + std::to_string(value) +
            "', exit 0";
  c.id = std::move(id);
  c.rule = std::move(rule);
  c.request = r;
  c.reply = std::move(reply);
  c.value = value;
  c.received = "a success reply";
  return c;
}

// The course's result in `format` for `r`, the codec's bytes.
Bytes right_reply(const Request& r) {
  return success_bytes(protocol::compute(r.op, r.operands.values()), r.format);
}

// A check where the client must refuse `reply` (exit non-zero, no result).
ClientCheck refusal(std::string id, std::string rule, std::string received, const Request& r,
                    Bytes reply) {
  ClientCheck c;
  c.title = received + ": reply " + short_hex(reply) + ", expect exit != 0 and no result";
  c.id = std::move(id);
  c.rule = std::move(rule);
  c.request = r;
  c.reply = std::move(reply);
  c.expect_success = false;
  c.received = std::move(received);
  return c;
}

// ---- Running one check ----

class Session {
 public:
  Session(const ClientCheck& check, CheckOutcome& outcome) : check_(check), outcome_(outcome) {}

  // Receives every queued datagram; answers by the script when `answer`.
  void serve(const DatagramSocket& socket, bool answer) {
    Bytes buffer(kReceiveBuffer);
    while (true) {
      Address peer;
      ReplySource asked;  // a wildcard --host: reply from the address the client asked
      const RecvResult r = socket.recv_with_destination(buffer, &peer, asked);
      if (r.outcome != RecvOutcome::received) return;
      const protocol::Bytes bytes(buffer.data(), r.held);
      outcome_.datagrams.push_back(request_record(false, bytes));
      apply(outcome_, judge_request(bytes, check_.request));
      if (!first_) first_ = Bytes(bytes.begin(), bytes.end());
      ++received_;
      if (!answer || (check_.drop_first && received_ == 1)) continue;
      (void)socket.send_from(check_.reply, peer, asked);
      outcome_.datagrams.push_back(reply_record(true, check_.reply, check_.request.format));
    }
  }

  [[nodiscard]] std::size_t received() const { return received_; }
  [[nodiscard]] const std::optional<Bytes>& first() const { return first_; }

 private:
  const ClientCheck& check_;
  CheckOutcome& outcome_;
  std::size_t received_ = 0;
  std::optional<Bytes> first_;
};

void judge_run(const ClientCheck& c, const Session& session, CheckOutcome& outcome) {
  const ClientRun& run = *outcome.client;
  if (c.no_server) {
    apply(outcome, judge_client_failure(run, c.rule, c.received));
  } else if (session.received() == 0) {
    fail(outcome, "P-1",
         "the client sent no request datagram before it ended (" + run.describe() +
             "); a request is one datagram to HOST PORT");
  } else if (c.expect_success) {
    if (c.drop_first && session.received() == 1) {
      fail(outcome, "P-12",
           "the client sent its request once and never again (it ended: " + run.describe() +
               "); the checker ignored that first datagram, as a network may lose it, and a "
               "client must retransmit after a timeout");
    } else {
      apply(outcome, judge_client_success(run, c.value, c.rule));
    }
  } else if (c.accepting_warns &&
             judge_client_success(run, c.value, c.rule).status == Status::pass) {
    warn(outcome, c.rule,
         "the client printed the result of " + c.received +
             "; the spec lets a client accept it (its rule for clients lists what to refuse, "
             "and this is not there), but no right server sends it (P-10), so our client "
             "refuses it");
  } else {
    apply(outcome, judge_client_failure(run, c.rule, c.received));
  }
  if (outcome.status == Status::fail && !c.hint.empty()) outcome.message += " (" + c.hint + ")";
  if (c.judge_unused_bits && session.first()) {
    apply(outcome, judge_request_unused_bits(*session.first()));
  }
}

Result<CheckOutcome> run_check(const ClientCheck& c, const std::vector<std::string>& command,
                               const Address& local, const ClientOptions& options) {
  CheckOutcome outcome;
  outcome.id = c.id;
  outcome.rule = c.rule;
  outcome.title = c.title;
  auto bound = DatagramSocket::bind(local);
  if (!bound) return bound.error();
  DatagramSocket socket = std::move(*bound);
  auto where = socket.local_address();
  if (!where) return where.error();
  if (is_wildcard(*where)) {
    if (auto st = socket.receive_destinations(); !st) return st.error();
  }
  // No server: the port was free a moment ago and nothing listens there any more.
  if (c.no_server) socket = DatagramSocket();

  ClientRun run;
  run.argv = client_argv(command, c.request, options.host, where->port());
  auto started = ChildProcess::start(
      run.argv,
      ChildOptions{.search_path = true, .starter = options.starter, .output_limit = kMaxOutput});
  if (!started) return started.error();
  ChildProcess child = std::move(*started);
  run.started = true;
  Session session(c, outcome);
  const auto deadline = Clock::now() + options.timeout;
  while (!child.ended()) {
    const int left = remaining_ms(deadline);
    if (left == 0) break;
    std::vector<pollfd> fds;
    if (socket.valid()) fds.push_back(pollfd{socket.fd(), POLLIN, 0});
    child.add_poll_fds(fds);
    (void)::poll(fds.data(), fds.size(), child.needs_slices() ? std::min(left, kSliceMs) : left);
    if (socket.valid()) session.serve(socket, true);
    child.update();
  }
  if (!child.ended()) {
    run.timed_out = true;
    child.kill();
  }
  child.drain(Clock::now() + kDrain);
  if (socket.valid()) session.serve(socket, false);  // what came last, unanswered
  record_end(child, run);
  outcome.client = std::move(run);
  judge_run(c, session, outcome);
  return outcome;
}

}  // namespace

std::vector<std::string> client_argv(const std::vector<std::string>& command,
                                     const Request& request, const std::string& host,
                                     std::uint16_t port) {
  std::vector<std::string> argv = command;
  argv.emplace_back("-op");
  argv.emplace_back(request.op == Op::sum ? "+" : "*");
  if (request.format == Format::string) argv.emplace_back("-s");
  argv.push_back(host);
  argv.push_back(std::to_string(port));
  for (std::uint32_t v : request.operands.values()) argv.push_back(std::to_string(v));
  return argv;
}

std::vector<ClientCheck> client_checks() {
  constexpr Format kInt = Format::integer;
  constexpr Format kStr = Format::string;
  constexpr std::uint32_t kMax = 4294967295u;
  const Request sum = make_request(Op::sum, kInt, kCourseIntegers);
  const Request sum_s = make_request(Op::sum, kStr, kCourseIntegers);
  const Request product_s = make_request(Op::product, kStr, kCourseIntegers);
  const Bytes r25 = right_reply(sum);         // 80 00000019
  const Bytes r945 = right_reply(product_s);  // 80 "945"
  const protocol::RequestFault opcode2{protocol::RequestError::unknown_opcode, 2};

  std::vector<ClientCheck> v;
  // Right replies: the course's examples, each opcode and format, extremes (P-2, P-5, P-10).
  v.push_back(success("course-sum", "P-2", "course example", sum, r25));
  v.push_back(success("course-product-string", "P-5", "course example", product_s, r945));
  const Request sum_string = make_request(Op::sum, kStr, {100, 200, 300});
  v.push_back(success("sum-string", "P-5", "sum as a string", sum_string, right_reply(sum_string)));
  const Request product = make_request(Op::product, kInt, {6, 7});
  v.push_back(
      success("product-integer", "P-4", "product as an integer", product, right_reply(product)));
  {
    ClientCheck c = success("request-unused-bits", "P-3", "unused request bits", sum, r25);
    c.judge_unused_bits = true;
    v.push_back(std::move(c));
  }
  const Request many = make_request(Op::sum, kInt, [] {
    std::vector<std::uint32_t> ints(wire::kMaxOperands);
    for (std::size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<std::uint32_t>(i * 7 + 1);
    return ints;
  }());
  v.push_back(success("request-64-integers", "P-6", "64 integers (a 257-byte request)", many,
                      right_reply(many)));
  const Request max = make_request(Op::sum, kInt, {kMax, 0});
  v.push_back(success("max-integer", "P-2", "largest integer", max, right_reply(max)));
  const Request max_s = make_request(Op::product, kStr, {kMax});
  v.push_back(success("string-max", "P-10", "10-digit string", max_s, right_reply(max_s)));
  const Request zero_s = make_request(Op::sum, kStr, {0});
  v.push_back(success("string-zero", "P-10", "string '0'", zero_s, right_reply(zero_s)));
  // Unused reply bits: ignored (P-10).
  const std::string unused_hint = "the 7 unused bits of the reply header must be ignored";
  v.push_back(success("unused-reply-bits", "P-10", "unused reply bits set", sum,
                      with_header(r25, wire::kStatusMask | wire::kReplyUnusedMask)));
  v.back().hint = unused_hint;
  v.push_back(success("unused-reply-bits-string", "P-10", "unused reply bits set", product_s,
                      with_header(r945, wire::kStatusMask | 0x2A)));
  v.back().hint = unused_hint;
  // Error replies, S = 0: never a result (P-11, P-8).
  v.push_back(refusal("error-reply", "P-11", "an error reply (S = 0)", sum,
                      error_bytes(opcode2, wire::kMinRequestSize)));
  v.push_back(refusal("error-reply-header-only", "P-8", "a 1-byte error reply", sum,
                      error_bytes(opcode2, 1)));
  v.push_back(refusal("error-reply-digits", "P-11", "an error reply whose reason is digits", sum_s,
                      with_header(success_bytes(42, kStr), 0)));
  v.push_back(refusal("error-reply-unused-bits", "P-11", "an error reply with unused bits set", sum,
                      with_header(r25, wire::kReplyUnusedMask)));
  v.back().hint = "S is the top bit of byte 0 alone; the 7 other bits are unused";
  // Malformed replies (P-11).
  v.push_back(refusal("malformed-empty", "P-11", "an empty reply", sum, {}));
  v.push_back(refusal("malformed-integer-short", "P-11", "a 3-byte integer result", sum,
                      resized(r25, r25.size() - 1)));
  v.push_back(
      refusal("malformed-integer-long", "P-11", "a 5-byte integer result", sum, appended(r25, 0)));
  v.push_back(refusal("malformed-string-empty", "P-11", "a string result with no digit", product_s,
                      resized(r945, wire::kHeaderSize)));
  v.push_back(refusal("malformed-string-non-digit", "P-11", "a string result with a non-digit",
                      product_s, last_replaced(r945, 'x')));
  v.push_back(refusal("malformed-string-nul", "P-11", "a NUL-terminated string result", product_s,
                      appended(r945, '\0')));
  v.push_back(refusal("malformed-string-leading-zero", "P-11", "a string result with a leading 0",
                      product_s, inserted_after_header(r945, '0')));
  v.back().accepting_warns = true;  // "0945": 4 digits whose value fits (spec: a WARN at most)
  v.back().value = protocol::compute(product_s.op, product_s.operands.values());
  v.back().title += " (a result only warns)";
  v.push_back(refusal("malformed-string-sign", "P-11", "a string result with a sign", product_s,
                      inserted_after_header(r945, '+')));
  v.push_back(refusal("malformed-string-too-long", "P-11", "an 11-character string result", max_s,
                      appended(right_reply(max_s), '5')));
  v.push_back(refusal("malformed-string-out-of-range", "P-11", "a string result above 2^32-1",
                      max_s, last_replaced(right_reply(max_s), '6')));
  // Loss and absence (P-12).
  {
    ClientCheck c = success("dropped-first-request", "P-12",
                            "first request ignored, the retransmission answered", sum, r25);
    c.drop_first = true;
    v.push_back(std::move(c));
  }
  {
    ClientCheck c =
        refusal("no-server", "P-12", "no reply at all (nothing listens on the port)", sum, {});
    c.title = "nothing listens on the port: expect exit != 0 and no result, before the timeout";
    c.no_server = true;
    c.hint = "a client retransmits a bounded number of times, then reports that no reply came";
    v.push_back(std::move(c));
  }
  return v;
}

Result<Report> run_client_checks(const std::vector<std::string>& command,
                                 const ClientOptions& options) {
  auto candidates = Address::resolve(options.host, 0, Purpose::bind);
  if (!candidates) return candidates.error();
  const Address local = candidates->front();
  Report report;
  report.mode = "client";
  for (const std::string& a : command) report.target += (report.target.empty() ? "" : " ") + a;
  report.timeout_ms = static_cast<int>(options.timeout.count());
  for (const ClientCheck& c : client_checks()) {
    auto outcome = run_check(c, command, local, options);
    if (!outcome) return outcome.error();
    if (options.on_check) options.on_check(*outcome);
    report.checks.push_back(std::move(*outcome));
  }
  return report;
}

}  // namespace sockcalc::conformance
