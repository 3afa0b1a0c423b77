// SPDX-License-Identifier: MIT
// conformance/probe.cpp -- implementation of conformance/probe.hpp.
#include "sockcalc/conformance/probe.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sockcalc::conformance {
namespace {

// Large enough for any datagram, so that an over-long reply is seen whole (P-8 judges length).
constexpr std::size_t kReceiveBuffer = 65536;

}  // namespace

Result<Probe> Probe::open(const Address& target) {
  auto s = DatagramSocket::connect(target);
  if (!s) return s.error();
  return Probe(std::move(*s), target);
}

int Probe::send(protocol::Bytes datagram, protocol::Format format) {
  format_ = format;
  log_.push_back(request_record(true, datagram));
  const int e = socket_.send(datagram);
  if (e == EAGAIN || e == EWOULDBLOCK) {
    log_.pop_back();
    return e;
  }
  if (e == ECONNREFUSED) refused_ = true;
  if (e != 0) error_ = "cannot send to " + target_.to_string() + ": " + std::strerror(e);
  return e;
}

std::optional<std::vector<std::byte>> Probe::receive(Clock::time_point deadline) {
  std::vector<std::byte> buffer(kReceiveBuffer);
  while (true) {
    const RecvResult r = socket_.recv_from(buffer, nullptr);
    if (r.outcome == RecvOutcome::received) {
      buffer.resize(r.held);
      log_.push_back(reply_record(false, buffer, format_));
      return buffer;
    }
    if (r.outcome == RecvOutcome::failed) {
      if (r.error == ECONNREFUSED) {
        refused_ = true;
        return std::nullopt;
      }
      error_ = "cannot receive from " + target_.to_string() + ": " + std::strerror(r.error);
      return std::nullopt;
    }
    const int left = remaining_ms(deadline);
    if (left == 0) return std::nullopt;
    (void)socket_.wait_readable(left);
  }
}

std::optional<std::vector<std::byte>> Probe::exchange(protocol::Bytes datagram,
                                                      protocol::Format format,
                                                      milliseconds timeout) {
  const auto start = Clock::now();
  if (send(datagram, format) != 0) return std::nullopt;
  if (auto reply = receive(start + timeout / 2)) return reply;
  if (refused_ || !error_.empty()) return std::nullopt;
  if (send(datagram, format) != 0) return std::nullopt;
  return receive(start + timeout);
}

std::string Probe::no_reply_reason(milliseconds timeout) const {
  if (refused_) {
    return "no reply: the system says nothing listens at " + target_.to_string() +
           " (connection refused)";
  }
  if (!error_.empty()) return error_;
  return "no reply within " + std::to_string(timeout.count()) + " ms";
}

}  // namespace sockcalc::conformance
