// SPDX-License-Identifier: MIT
// conformance/checks.cpp -- implementation of conformance/checks.hpp.
// Every datagram is built by the project's codec (encode_request) and, for a bad one, by
// changing bytes of its output; replies are judged by conformance/judge.hpp.
#include "sockcalc/conformance/checks.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <utility>

#include "sockcalc/conformance/judge.hpp"
#include "sockcalc/conformance/probe.hpp"
#include "sockcalc/conformance/reply_source.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace sockcalc::conformance {
namespace {

using protocol::Format;
using protocol::make_request;
using protocol::Op;
using protocol::Request;
using Bytes = std::vector<std::byte>;

// How long one-reply-each waits for a second reply after the first (at most half the timeout):
// a duplicate would follow the first reply at once.
constexpr milliseconds kGrace{300};

Bytes encode(const Request& request) { return protocol::encoded_request(request); }

// 1, 2, 3, ... `count` integers.
std::vector<std::uint32_t> counting(std::size_t count, std::uint32_t first = 1) {
  std::vector<std::uint32_t> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = first + static_cast<std::uint32_t>(i);
  return v;
}

// 1, 3, 5, ... `count` odd integers: their product modulo 2^32 is odd, never 0.
std::vector<std::uint32_t> odd_numbers(std::size_t count) {
  std::vector<std::uint32_t> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = 2 * static_cast<std::uint32_t>(i) + 1;
  return v;
}

// A sum request of `count` integers, more than 64 allowed: a 64-integer request from the codec,
// then the payloads of further encoded requests appended to it.
Bytes oversized_sum(std::size_t count) {
  const auto values = counting(count);
  Bytes out = encode(make_request(Op::sum, Format::integer,
                                  {values.begin(), values.begin() + wire::kMaxOperands}));
  for (std::size_t i = wire::kMaxOperands; i < count; i += wire::kMaxOperands) {
    const std::size_t n = std::min(wire::kMaxOperands, count - i);
    const Bytes more = encode(make_request(Op::sum, Format::integer,
                                           {values.begin() + static_cast<std::ptrdiff_t>(i),
                                            values.begin() + static_cast<std::ptrdiff_t>(i + n)}));
    out.insert(out.end(), more.begin() + wire::kHeaderSize, more.end());
  }
  return out;
}

// `datagram` with the opcode field of byte 0 set to `opcode`.
Bytes with_opcode(Bytes datagram, std::uint8_t opcode) {
  datagram[0] = (datagram[0] & std::byte(static_cast<std::uint8_t>(~wire::kOpcodeMask))) |
                std::byte((opcode << wire::kOpcodeShift) & wire::kOpcodeMask);
  return datagram;
}

Bytes resized(Bytes datagram, std::size_t size) {
  datagram.resize(size);
  return datagram;
}

// "1 3 5 7 9", or "1 2 3 ... 64 (64 integers)".
std::string show(const Request& r) {
  const auto v = r.operands.values();
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? " " : "") + std::to_string(v[i]);
  if (v.size() > 5) s += " ... " + std::to_string(v.back()) + " (" + std::to_string(v.size()) + ")";
  return s;
}

ServerCheck success(std::string id, std::string rule, std::string what, const Request& r) {
  const std::uint32_t value = protocol::compute(r.op, r.operands.values());
  std::string title = what + ": " + std::string(protocol::to_string(r.op)) + " of " + show(r) +
                      " = " + std::to_string(value) + " as " +
                      (r.format == Format::string ? "a string" : "an integer");
  if (r.unused != 0) title += ", unused bits " + std::to_string(r.unused);
  return {std::move(id), std::move(rule), std::move(title), ServerCheckKind::success, encode(r), r};
}

ServerCheck error(std::string id, std::string rule, std::string what, Bytes datagram) {
  const std::size_t limit = std::max<std::size_t>(datagram.size(), 1);
  const std::size_t n = datagram.size();
  std::string title =
      what + " (" + std::to_string(n) + (n == 1 ? " byte" : " bytes") + "): an error reply of " +
      (limit == 1 ? std::string("exactly 1 byte") : "1.." + std::to_string(limit) + " bytes");
  return {std::move(id),          std::move(rule),     std::move(title),
          ServerCheckKind::error, std::move(datagram), {}};
}

ServerCheck special(std::string id, std::string rule, std::string title, ServerCheckKind kind) {
  return {std::move(id), std::move(rule), std::move(title), kind, {}, {}};
}

Format format_of(const Bytes& datagram) {
  return datagram.empty()
             ? Format::integer
             : static_cast<Format>(std::to_integer<std::uint8_t>(datagram[0]) & wire::kFormatMask);
}

// ---- Running ----

struct Run {
  CheckOutcome outcome;
  bool answered = false;  // some reply came back (the server is there)
};

CheckOutcome start_outcome(const ServerCheck& c) {
  CheckOutcome o;
  o.id = c.id;
  o.rule = c.rule;
  o.title = c.title;
  return o;
}

Run run_exchange(const ServerCheck& c, const Address& target, const ServerOptions& options) {
  Run run{start_outcome(c)};
  auto probe = Probe::open(target);
  if (!probe) {
    fail(run.outcome, c.rule, "the checker could not open a socket: " + probe.error().message());
    return run;
  }
  const auto reply = probe->exchange(c.datagram, format_of(c.datagram), options.timeout);
  run.outcome.datagrams = probe->take_log();
  if (!reply) {
    fail(run.outcome, "P-7",
         probe->no_reply_reason(options.timeout) + " (the datagram was sent " +
             std::to_string(run.outcome.datagrams.size()) +
             " times); every datagram gets exactly one reply, a bad one an error reply");
    return run;
  }
  run.answered = true;
  apply(run.outcome, c.kind == ServerCheckKind::success
                         ? judge_success_reply(*reply, c.request, c.rule)
                         : judge_error_reply(*reply, c.datagram, c.datagram.size()));
  return run;
}

// Polls the sockets of `probes` whose `done` flag is false until one is readable or `deadline`.
void wait_any(const std::vector<Probe>& probes, const std::vector<bool>& done,
              Clock::time_point deadline) {
  std::vector<pollfd> fds;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (!done[i]) fds.push_back(pollfd{probes[i].socket().fd(), POLLIN, 0});
  }
  if (!fds.empty()) (void)::poll(fds.data(), fds.size(), remaining_ms(deadline));
}

// The simulated clients of the many-clients check: one socket and one request each, and what
// came back.
struct ManyClients {
  std::vector<Probe> probes;
  std::vector<Request> requests;
  std::vector<bool> done;
  std::vector<Bytes> replies;
};

// Opens `count` sockets to `target` with distinct requests (the sums are 2i + 1008, the products
// at least 7000); false, with `run` failed, when the checker cannot open one.
bool open_many(const ServerCheck& c, const Address& target, std::size_t count, Run& run,
               ManyClients& m) {
  for (std::size_t i = 0; i < count; ++i) {
    auto p = Probe::open(target);
    if (!p) {
      fail(run.outcome, c.rule,
           "the checker could not open socket " + std::to_string(i + 1) + ": " +
               p.error().message());
      return false;
    }
    m.probes.push_back(std::move(*p));
    const auto k = static_cast<std::uint32_t>(i);
    m.requests.push_back(make_request(i % 2 ? Op::product : Op::sum,
                                      (i / 2) % 2 ? Format::string : Format::integer,
                                      {k + 1, 1000 + k, 7}));
  }
  m.done.assign(count, false);
  m.replies.assign(count, Bytes{});
  return true;
}

// Sends every request at once, each again halfway to `timeout` when it has no reply (P-12), and
// collects the replies until all came or the time is up.
void exchange_many(ManyClients& m, std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  const auto half = start + timeout / 2;
  const auto end = start + timeout;
  // A full Unix-domain queue (net.unix.max_dgram_qlen, 10 by default) refuses a send with
  // EAGAIN: nothing was sent, so that request waits and is tried again every few milliseconds.
  std::vector<bool> waiting(m.probes.size(), true);
  const auto send_waiting = [&] {
    for (std::size_t i = 0; i < m.probes.size(); ++i) {
      if (waiting[i])
        waiting[i] = m.probes[i].send(encode(m.requests[i]), m.requests[i].format) == EAGAIN;
    }
  };
  send_waiting();
  bool resent = false;
  while (std::ranges::count(m.done, false) > 0 && remaining_ms(end) > 0) {
    if (!resent && Clock::now() >= half) {
      resent = true;  // P-12: a lost datagram is sent again, as a client would
      for (std::size_t i = 0; i < m.probes.size(); ++i) waiting[i] = !m.done[i];
    }
    send_waiting();
    const bool blocked = std::ranges::count(waiting, true) > 0;
    const auto next = blocked ? Clock::now() + std::chrono::milliseconds(2) : (resent ? end : half);
    wait_any(m.probes, m.done, std::min(next, resent ? end : half));
    for (std::size_t i = 0; i < m.probes.size(); ++i) {
      if (m.done[i]) continue;
      if (auto r = m.probes[i].receive(Clock::now())) {
        m.replies[i] = std::move(*r);
        m.done[i] = true;
      }
    }
  }
}

// Every reply judged against its own socket's request, then the requests left without one.
void judge_many(const ServerCheck& c, std::chrono::milliseconds timeout, ManyClients& m, Run& run) {
  const std::string total = std::to_string(m.probes.size());
  for (std::size_t i = 0; i < m.probes.size(); ++i) {
    if (!m.done[i]) continue;
    run.answered = true;
    const Verdict v = judge_success_reply(m.replies[i], m.requests[i], c.rule);
    if (v.status == Status::fail) {
      run.outcome.datagrams = m.probes[i].take_log();
      fail(run.outcome, v.rule,
           "socket " + std::to_string(i + 1) + " of " + total + ": " + v.message +
               " (with one request in flight per socket, each reply must go to its own "
               "request's source address)");
      return;
    }
  }
  const auto missing = static_cast<std::size_t>(std::ranges::count(m.done, false));
  if (missing > 0) {
    const auto first = static_cast<std::size_t>(std::ranges::find(m.done, false) - m.done.begin());
    run.outcome.datagrams = m.probes[first].take_log();
    fail(run.outcome, "P-7",
         std::to_string(missing) + " of " + total + " requests sent at once from " + total +
             " sockets got no reply within " + std::to_string(timeout.count()) +
             " ms (each sent twice); every datagram gets exactly one reply");
    return;
  }
  run.outcome.datagrams = m.probes.front().take_log();
}

Run run_many_clients(const ServerCheck& c, const Address& target, const ServerOptions& options) {
  Run run{start_outcome(c)};
  ManyClients m;
  if (!open_many(c, target, options.clients, run, m)) return run;
  exchange_many(m, options.timeout);
  judge_many(c, options.timeout, m, run);
  return run;
}

Run run_one_reply_each(const ServerCheck& c, const Address& target, const ServerOptions& options) {
  Run run{start_outcome(c)};
  const std::vector<Bytes> datagrams = {
      encode(make_request(Op::sum, Format::integer, kCourseIntegers)),
      with_opcode(encode(make_request(Op::sum, Format::integer, kCourseIntegers)), 2), Bytes{}};
  std::vector<Probe> probes;
  for (const Bytes& d : datagrams) {
    auto p = Probe::open(target);
    if (!p) {
      fail(run.outcome, c.rule, "the checker could not open a socket: " + p.error().message());
      return run;
    }
    (void)p->send(d, format_of(d));
    probes.push_back(std::move(*p));
  }
  const auto deadline = Clock::now() + options.timeout;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    if (!probes[i].receive(deadline)) {
      run.outcome.datagrams = probes[i].take_log();
      fail(run.outcome, "P-7",
           probes[i].no_reply_reason(options.timeout) +
               "; every datagram, valid or not, gets exactly one reply");
      return run;
    }
    run.answered = true;
  }
  // A second reply would come right after the first: wait a little for one on every socket.
  const auto grace = Clock::now() + std::min<milliseconds>(options.timeout / 2, kGrace);
  for (Probe& p : probes) {
    if (p.receive(grace)) {
      run.outcome.datagrams = p.take_log();
      fail(run.outcome, "P-7",
           "the server sent two replies to one datagram; every datagram "
           "gets exactly one reply");
      return run;
    }
  }
  for (Probe& p : probes) {
    auto log = p.take_log();
    run.outcome.datagrams.insert(run.outcome.datagrams.end(), log.begin(), log.end());
  }
  return run;
}

Run run_retransmission(const ServerCheck& c, const Address& target, const ServerOptions& options) {
  Run run{start_outcome(c)};
  const Request request = make_request(Op::product, Format::string, kCourseIntegers);
  const Bytes datagram = encode(request);
  auto probe = Probe::open(target);
  if (!probe) {
    fail(run.outcome, c.rule, "the checker could not open a socket: " + probe.error().message());
    return run;
  }
  std::vector<Bytes> replies;
  for (int i = 0; i < 2; ++i) {
    (void)probe->send(datagram, request.format);
    auto r = probe->receive(Clock::now() + options.timeout);
    if (!r) {
      run.outcome.datagrams = probe->take_log();
      fail(run.outcome, i == 0 ? "P-7" : "P-12",
           probe->no_reply_reason(options.timeout) + " to " +
               (i == 0 ? "the request" : "the same request sent again from the same socket") +
               "; a request may be retransmitted and gets the same reply");
      return run;
    }
    run.answered = true;
    replies.push_back(std::move(*r));
  }
  run.outcome.datagrams = probe->take_log();
  for (const Bytes& r : replies) apply(run.outcome, judge_success_reply(r, request, c.rule));
  if (run.outcome.status != Status::fail && replies[0] != replies[1]) {
    fail(run.outcome, "P-12",
         "the same request sent twice got two different replies; the reply "
         "depends on the request's bytes alone");
  }
  return run;
}

Run run_check(const ServerCheck& c, const Address& target, const ServerOptions& options) {
  switch (c.kind) {
    case ServerCheckKind::success:
    case ServerCheckKind::error:
      return run_exchange(c, target, options);
    case ServerCheckKind::many_clients:
      return run_many_clients(c, target, options);
    case ServerCheckKind::one_reply_each:
      return run_one_reply_each(c, target, options);
    case ServerCheckKind::retransmission:
      return run_retransmission(c, target, options);
    case ServerCheckKind::reply_source: {
      Run run{start_outcome(c)};
      run.answered = check_reply_source(run.outcome, target, options.timeout);
      return run;
    }
  }
  return Run{start_outcome(c)};
}

}  // namespace

std::vector<ServerCheck> server_checks() {
  constexpr Op kSum = Op::sum;
  constexpr Op kProduct = Op::product;
  constexpr Format kInt = Format::integer;
  constexpr Format kStr = Format::string;
  constexpr std::uint32_t kMax = 4294967295u;
  const Bytes course = encode(make_request(kSum, kInt, kCourseIntegers));
  const Bytes full = encode(make_request(kSum, kInt, counting(wire::kMaxOperands)));

  std::vector<ServerCheck> v;
  // The course's two calls (P-1, P-2, P-5, P-10).
  v.push_back(
      success("course-sum", "P-2", "course example", make_request(kSum, kInt, kCourseIntegers)));
  v.push_back(success("course-product-string", "P-5", "course example",
                      make_request(kProduct, kStr, kCourseIntegers)));
  // Each opcode in each format (P-4, P-5).
  v.push_back(success("sum-string", "P-5", "sum, string result",
                      make_request(kSum, kStr, {100, 200, 300})));
  v.push_back(success("product-integer", "P-4", "product, integer result",
                      make_request(kProduct, kInt, {2, 3, 7, 1000})));
  v.push_back(success("byte-order", "P-2", "integers in network byte order",
                      make_request(kSum, kInt, {0x01020304, 0x10000000})));
  // Unused request bits: any value, ignored (P-3).
  v.push_back(
      success("unused-bits-sum", "P-3", "unused bits set", make_request(kSum, kInt, {1, 3}, 0xF)));
  v.push_back(success("unused-bits-sum-string", "P-3", "unused bits set",
                      make_request(kSum, kStr, {10, 20}, 0xA)));
  v.push_back(success("unused-bits-product", "P-3", "unused bits set",
                      make_request(kProduct, kInt, {6, 7}, 0x5)));
  v.push_back(success("unused-bits-product-string", "P-3", "unused bits set",
                      make_request(kProduct, kStr, kCourseIntegers, 0x1)));
  // Arithmetic modulo 2^32 (P-9).
  v.push_back(success("wrap-sum", "P-9", "wrap-around", make_request(kSum, kInt, {kMax, 2})));
  v.push_back(
      success("wrap-sum-string", "P-9", "wrap-around", make_request(kSum, kStr, {kMax, 2})));
  v.push_back(
      success("wrap-product", "P-9", "wrap-around", make_request(kProduct, kInt, {65536, 65536})));
  v.push_back(success("wrap-product-string", "P-9", "wrap-around",
                      make_request(kProduct, kStr, {65536, 65536})));
  v.push_back(success("wrap-product-max", "P-9", "wrap-around",
                      make_request(kProduct, kInt, {kMax, kMax})));
  // 1 and 64 integers (P-6); reply sizes: 2-byte "0", 11-byte "4294967295" (P-10).
  v.push_back(success("one-integer", "P-6", "1 integer", make_request(kSum, kInt, {123456789})));
  v.push_back(success("64-integers", "P-6", "64 integers (257 bytes)",
                      make_request(kSum, kInt, counting(wire::kMaxOperands, 1000000))));
  v.push_back(success("64-integers-product-string", "P-6", "64 integers (257 bytes)",
                      make_request(kProduct, kStr, odd_numbers(wire::kMaxOperands))));
  v.push_back(
      success("string-zero", "P-10", "shortest string result", make_request(kSum, kStr, {0})));
  v.push_back(
      success("string-max", "P-10", "longest string result", make_request(kProduct, kStr, {kMax})));
  // Bad requests, in the order of P-6: each gets an error reply (P-7) no longer than it (P-8).
  v.push_back(error("empty-datagram", "P-7", "an empty datagram", {}));
  v.push_back(error("header-only", "P-6", "a header with no integer", resized(course, 1)));
  v.push_back(error("misaligned-2", "P-6", "a payload of 1 byte", resized(course, 2)));
  v.push_back(error("misaligned-6", "P-6", "a payload of 5 bytes", resized(course, 6)));
  {
    Bytes d = full;
    d.push_back(std::byte{0});
    v.push_back(error("misaligned-258", "P-6", "64 integers and 1 more byte", std::move(d)));
  }
  v.push_back(error("65-integers", "P-6", "65 integers, never a partial result",
                    oversized_sum(wire::kMaxOperands + 1)));
  v.push_back(error("1000-integers", "P-6", "1000 integers", oversized_sum(1000)));
  for (std::uint8_t op = 2; op <= 7; ++op) {
    v.push_back(error("opcode-" + std::to_string(op), "P-4",
                      "undefined opcode " + std::to_string(op), with_opcode(course, op)));
  }
  v.push_back(error("opcode-2-short", "P-8", "undefined opcode 2 with 1 integer",
                    with_opcode(resized(course, wire::kMinRequestSize), 2)));
  v.push_back(error("opcode-7-header-only", "P-6", "undefined opcode 7, header only",
                    with_opcode(resized(course, 1), 7)));
  // Several clients, duplicates, and the server still there (P-12, P-7).
  v.push_back(special("many-clients", "P-12",
                      "many sockets with a request each in flight at once: each gets its own "
                      "right reply",
                      ServerCheckKind::many_clients));
  v.push_back(special("one-reply-each", "P-7",
                      "a valid, a bad and an empty datagram: exactly one reply each",
                      ServerCheckKind::one_reply_each));
  v.push_back(special("retransmission", "P-12",
                      "the same request twice from one socket: the same right reply twice",
                      ServerCheckKind::retransmission));
  v.push_back(special("reply-source", "P-14",
                      "a request from an unconnected socket: the reply comes from the address "
                      "asked (on loopback, also asked at 127.0.0.2)",
                      ServerCheckKind::reply_source));
  v.push_back(success("still-answering", "P-7", "after all of the above, the course example again",
                      make_request(kSum, kInt, kCourseIntegers)));
  return v;
}

Report run_server_checks(const Address& target, const ServerOptions& options) {
  Report report;
  report.mode = "server";
  report.target = target.to_string();
  report.timeout_ms = static_cast<int>(options.timeout.count());
  std::string gone;  // why every later check is skipped
  for (const ServerCheck& c : server_checks()) {
    CheckOutcome outcome;
    // A server silent to the connected probes may be answering from another address:
    // reply-source runs anyway, and is reported when it got a reply.
    std::optional<Run> run;
    if (gone.empty() || c.kind == ServerCheckKind::reply_source) {
      run = run_check(c, target, options);
    }
    if (run && (gone.empty() || run->answered)) {
      if (report.checks.empty() && !run->answered) {
        gone = std::string(kNotRunPrefix) + "the server did not answer the first check (" +
               run->outcome.message + ")";
      }
      outcome = std::move(run->outcome);
    } else {
      outcome = start_outcome(c);
      outcome.status = Status::skip;
      outcome.message = gone;
    }
    if (options.on_check) options.on_check(outcome);
    report.checks.push_back(std::move(outcome));
  }
  return report;
}

}  // namespace sockcalc::conformance
