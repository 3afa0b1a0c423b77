// SPDX-License-Identifier: MIT
// conformance/reply_source.cpp -- implementation of conformance/reply_source.hpp.
// Two sockets per address asked: an unconnected one that sees a reply from any source, and a
// connected one whose "connection refused" tells at once that nothing listens there.
// Single-threaded.
#include "sockcalc/conformance/reply_source.hpp"

#include <poll.h>

#include <array>
#include <cerrno>
#include <optional>
#include <vector>

#include "sockcalc/conformance/judge.hpp"
#include "sockcalc/conformance/probe.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::conformance {
namespace {

// Large enough for any datagram, as the probes' buffer.
constexpr std::size_t kReceiveBuffer = 65536;
// The address of the loopback network asked besides 127.0.0.1: any 127.0.0.0/8 address is local
// on Linux, and a wildcard server that lets routing pick its reply's source answers from
// 127.0.0.1.
constexpr const char* kOtherLoopback = "127.0.0.2";
constexpr const char* kOtherLoopbackMapped = "::ffff:127.0.0.2";

// What asking one address gave.
struct Asked {
  std::optional<Address> source;  // where the reply came from
  bool refused = false;           // the system says nothing listens there
  std::string error;              // the checker's own failure (no socket)
};

// Reads what `witness` holds: true when it reports that nothing listens. A reply it gets is
// dropped: only the unconnected socket's reply is judged.
bool refused_on(const DatagramSocket& witness, std::vector<std::byte>& buffer) {
  const RecvResult r = witness.recv_from(buffer, nullptr);
  return r.outcome == RecvOutcome::failed && r.error == ECONNREFUSED;
}

// Sends the course's sum to `to` from an unconnected socket (again at half the timeout) and
// waits for its reply, logging both into `log`.
Asked ask(const Address& to, milliseconds timeout, std::vector<Datagram>& log) {
  Asked asked;
  auto open = DatagramSocket::open(to.family());
  auto witness = DatagramSocket::connect(to);
  if (!open || !witness) {
    asked.error =
        "the checker could not open a socket: " + (open ? witness.error() : open.error()).message();
    return asked;
  }
  const auto request = protocol::encoded_request(
      protocol::make_request(protocol::Op::sum, protocol::Format::integer, kCourseIntegers));
  std::vector<std::byte> buffer(kReceiveBuffer);
  const auto start = Clock::now();
  for (int round = 1; round <= 2; ++round) {
    log.push_back(request_record(true, request));
    (void)open->send_to(request, to);
    if (witness->send(request) == ECONNREFUSED) {
      asked.refused = true;
      return asked;
    }
    const auto deadline = start + timeout * round / 2;
    while (remaining_ms(deadline) > 0) {
      std::array<pollfd, 2> fds = {pollfd{open->fd(), POLLIN, 0}, pollfd{witness->fd(), POLLIN, 0}};
      (void)::poll(fds.data(), fds.size(), remaining_ms(deadline));
      Address peer;
      const RecvResult r = open->recv_from(buffer, &peer);
      if (r.outcome == RecvOutcome::received) {
        log.push_back(reply_record(false, {buffer.data(), r.held}, protocol::Format::integer));
        asked.source = peer;
        return asked;
      }
      if (refused_on(*witness, buffer)) {
        asked.refused = true;
        return asked;
      }
    }
  }
  return asked;
}

// "127.0.0.2" for 127.0.0.1, "::ffff:127.0.0.2" for ::1, with the target's port; nullopt for any
// other target.
std::optional<Address> other_loopback(const Address& target) {
  const char* other = nullptr;
  if (target.to_string() == Address::loopback(Family::v4, target.port()).to_string()) {
    other = kOtherLoopback;
  } else if (target.to_string() == Address::loopback(Family::v6, target.port()).to_string()) {
    other = kOtherLoopbackMapped;
  }
  if (other == nullptr) return std::nullopt;
  auto list = Address::resolve(other, target.port(), Purpose::connect);
  if (!list || list->empty()) return std::nullopt;
  return list->front();
}

// Judges one asked address; returns false when it failed the outcome.
bool judge(CheckOutcome& outcome, const Address& to, const Asked& asked, milliseconds timeout) {
  if (!asked.error.empty()) {
    fail(outcome, outcome.rule, asked.error);
    return false;
  }
  if (!asked.source) {
    fail(outcome, "P-7",
         asked.refused
             ? "no reply: the system says nothing listens at " + to.to_string()
             : "no reply within " + std::to_string(timeout.count()) + " ms to a request sent to " +
                   to.to_string() + " from an unconnected socket");
    return false;
  }
  if (asked.source->to_string() != to.to_string()) {
    fail(outcome, "P-14",
         "the reply to a request sent to " + to.to_string() + " came from " +
             asked.source->to_string() +
             "; a reply leaves from the address the request was sent to, or a client's "
             "connected socket drops it (a server on a wildcard address learns each request's "
             "destination: IP_PKTINFO, IPV6_RECVPKTINFO)");
    return false;
  }
  return true;
}

}  // namespace

bool check_reply_source(CheckOutcome& outcome, const Address& target, milliseconds timeout) {
  if (target.is_unix()) {
    outcome.status = Status::skip;
    outcome.message =
        "not applicable: a Unix-domain socket has one name, its replies cannot come from "
        "another (the check is about UDP servers on hosts with several addresses)";
    return false;
  }
  const Asked first = ask(target, timeout, outcome.datagrams);
  if (!judge(outcome, target, first, timeout)) return first.source.has_value();
  const auto other = other_loopback(target);
  if (!other) return true;
  const Asked second = ask(*other, timeout, outcome.datagrams);
  if (!second.source && second.error.empty()) {
    outcome.status = Status::skip;
    outcome.message =
        "cannot be tested this way: the reply from " + target.to_string() +
        " came from there, as it always does on loopback, and the server does not answer at " +
        other->to_string() + (second.refused ? " (nothing listens there)" : "") +
        "; run it on a wildcard address (:: or 0.0.0.0) to test it, or check it from another "
        "host";
    return true;
  }
  (void)judge(outcome, *other, second, timeout);
  return true;
}

}  // namespace sockcalc::conformance
