// SPDX-License-Identifier: MIT
// loadgen/generator_requests.cpp -- implementation of loadgen/generator_loop.hpp, part 2: one
// request's life (send, a full send buffer, the reply and its verdict, timeout and
// retransmission, a fresh socket after a retry, the quarantine of the old one).
#include <cerrno>
#include <string>
#include <utility>

#include "sockcalc/loadgen/generator_loop.hpp"
#include "sockcalc/loadgen/sockperf_wire.hpp"

namespace sockcalc::loadgen::detail {

void Generator::push_back(int i) {
  Slot& s = slots_[i];
  s.prev = tail_;
  s.next = kNone;
  if (tail_ != kNone) {
    slots_[tail_].next = i;
  } else {
    head_ = i;
  }
  tail_ = i;
}

void Generator::unlink(int i) {
  Slot& s = slots_[i];
  if (s.prev != kNone) {
    slots_[s.prev].next = s.next;
  } else {
    head_ = s.next;
  }
  if (s.next != kNone) {
    slots_[s.next].prev = s.prev;
  } else {
    tail_ = s.prev;
  }
  s.prev = s.next = kNone;
}

void Generator::start_request(int i, TimePoint now) {
  Slot& s = slots_[i];
  if (config_.protocol == Protocol::calc) {
    // A socket's next request never expects the same result as its previous one, so that
    // a reply that still belonged to the previous request could not pass as right. Bounded:
    // the pool cannot hold only one value unless it is tiny and constant.
    for (std::size_t tries = 0; tries < pool_.size(); ++tries) {
      s.request = cursor_;
      cursor_ = cursor_ + 1 == pool_.size() ? 0 : cursor_ + 1;
      if (!s.has_last || pool_[s.request].expected != s.last_expected) break;
    }
    s.last_expected = pool_[s.request].expected;
    s.has_last = true;
  } else {
    s.sequence = ++sequence_;
    sockperf::encode(sockperf::request_header(s.sequence), s.message);
  }
  s.busy = true;
  s.retried = false;
  s.measured = phase_ == Phase::measuring;
  s.first_sent = now;
  ++busy_count_;
  ++tally(s).sent;
  transmit(i, now);
}

void Generator::transmit(int i, TimePoint now) {
  slots_[i].last_sent = now;
  send_current(i);
  push_back(i);
}

void Generator::send_current(int i) {
  Slot& s = slots_[i];
  const protocol::Bytes datagram =
      config_.protocol == Protocol::calc ? pool_[s.request].datagram() : protocol::Bytes(s.message);
  const int error = s.socket.send(datagram);
  if (error == EAGAIN || error == EWOULDBLOCK) {
    ++tally(s).send_blocked;
    if (!s.blocked) keep(set_blocked(i, true));
  } else if (error != 0) {
    // ENOBUFS, ECONNREFUSED (an earlier ICMP error), ...: the request stays in flight, times
    // out and is sent again.
    ++tally(s).send_errors;
  }
}

Status Generator::set_blocked(int i, bool blocked) {
  Slot& s = slots_[i];
  const auto interest = blocked ? event::Interest::read_write : event::Interest::read;
  if (auto st = loop_.change(s.socket.fd(), interest); !st) return st;
  s.blocked = blocked;
  return Ok{};
}

Status Generator::on_writable(int i) {
  Slot& s = slots_[i];
  if (!s.blocked) return Ok{};
  if (auto st = set_blocked(i, false); !st) return st;
  // Still busy: the datagram that found no room has not left yet. (Not busy: the request
  // ended meanwhile, e.g. a reply to an earlier try came.)
  if (s.busy) send_current(i);
  return pending_status();
}

Status Generator::replace_socket(int i) {
  Slot& s = slots_[i];
  auto fresh = DatagramSocket::connect(report_.target);
  if (!fresh) return fresh.error();
  if (q_count_ == quarantine_.size()) {
    // Full: the oldest leaves early.
    close_quarantined(quarantine_[q_head_]);
    q_head_ = (q_head_ + 1) % quarantine_.size();
    --q_count_;
  }
  const std::size_t q = (q_head_ + q_count_) % quarantine_.size();
  Quarantined& old = quarantine_[q];
  // The old socket keeps its fd and its place in the loop: only its handler changes.
  loop_.rehandle(s.socket.fd(), [this, q](event::Ready) { on_late_reply(q); });
  old.socket = std::move(s.socket);
  old.close_at = Clock::now() + quarantine_time_;
  old.measured = s.measured;
  old.request = s.request;
  old.sequence = s.sequence;
  ++q_count_;
  s.socket = std::move(*fresh);
  ++tally(s).sockets_replaced;
  return watch_slot(i);
}

void Generator::close_quarantined(Quarantined& q) {
  loop_.unwatch(q.socket.fd());  // before the close: the fd's number may come back at once
  q.socket = DatagramSocket();
}

void Generator::release_quarantine(TimePoint now, bool all) {
  while (q_count_ > 0 && (all || quarantine_[q_head_].close_at <= now)) {
    close_quarantined(quarantine_[q_head_]);
    q_head_ = (q_head_ + 1) % quarantine_.size();
    --q_count_;
  }
}

void Generator::on_late_reply(std::size_t q) {
  Quarantined& old = quarantine_[q];
  if (!old.socket.valid()) return;
  const RecvResult r = old.socket.recv_from(buffer_, nullptr);
  if (r.outcome != RecvOutcome::received) return;
  // A second reply to a request that is over: it must still be right for that request.
  const Verdict v = judge({buffer_.data(), r.held}, r.truncated(), old.request, old.sequence);
  Tally& t = old.measured ? report_.measured : report_.warmup;
  ++(v == Verdict::ok ? t.late : t.late_bad);
  if (v != Verdict::ok && report_.first_failure.empty()) {
    report_.first_failure = "a late second reply was " + std::string(to_string(v));
  }
}

Verdict Generator::judge(protocol::Bytes reply, bool truncated, std::size_t request,
                         std::uint64_t sequence) const {
  return config_.protocol == Protocol::calc
             ? check_calc_reply(reply, truncated, pool_[request], nullptr)
             : sockperf::check_reply(reply, truncated, sequence);
}

Status Generator::finish(int i, Verdict verdict, protocol::Bytes reply, TimePoint now) {
  Slot& s = slots_[i];
  Tally& t = tally(s);
  switch (verdict) {
    case Verdict::ok:
      ++t.ok;
      if (s.measured) {
        report_.latency.record(static_cast<std::uint64_t>((now - s.first_sent).count()));
      }
      break;
    case Verdict::wrong:
      ++t.wrong;
      break;
    case Verdict::error_reply:
      ++t.error_replies;
      break;
    case Verdict::malformed:
      ++t.malformed;
      break;
  }
  if (verdict != Verdict::ok && report_.first_failure.empty()) record_failure(s, verdict, reply);
  s.busy = false;
  --busy_count_;
  unlink(i);
  if (s.blocked) {
    if (auto st = set_blocked(i, false); !st) return st;
  }
  // After a retransmission a second reply may be on its way; after a bad reply the socket's
  // exchange is suspect. Either way the next request goes out on a fresh source port.
  if (s.retried || verdict != Verdict::ok) {
    if (auto st = replace_socket(i); !st) return st;
  }
  if (config_.rate <= 0 && (phase_ == Phase::warmup || phase_ == Phase::measuring)) {
    start_request(i, now);
  }
  return Ok{};
}

void Generator::record_failure(const Slot& s, Verdict verdict, protocol::Bytes reply) {
  if (config_.protocol == Protocol::calc) {
    report_.first_failure = describe_calc_mismatch(pool_[s.request], reply, verdict);
    return;
  }
  const auto h = sockperf::decode(reply);
  report_.first_failure =
      "sockperf sequence " + std::to_string(s.sequence) + ": got " +
      std::string(to_string(verdict)) + " reply of " + std::to_string(reply.size()) + " bytes" +
      (h ? ", sequence " + std::to_string(h->sequence) + ", flags " + std::to_string(h->flags) +
               ", length " + std::to_string(h->length)
         : std::string());
}

Status Generator::on_readable(int i) {
  Slot& s = slots_[i];
  // One datagram per event: the loop is level-triggered, so anything left is reported again,
  // and the usual case (one reply, then EAGAIN) costs a single recv.
  const RecvResult r = s.socket.recv_from(buffer_, nullptr);
  if (r.outcome == RecvOutcome::would_block) return Ok{};
  if (r.outcome == RecvOutcome::failed) {
    // ECONNREFUSED: an ICMP port unreachable for an earlier send. The request stays in
    // flight and times out.
    ++(s.busy ? tally(s) : phase_tally()).recv_errors;
    return Ok{};
  }
  const TimePoint now = Clock::now();
  if (!s.busy) {
    ++phase_tally().stray;
    return Ok{};
  }
  const protocol::Bytes reply(buffer_.data(), r.held);
  return finish(i, judge(reply, r.truncated(), s.request, s.sequence), reply, now);
}

void Generator::expire(TimePoint now) {
  while (head_ != kNone && slots_[head_].last_sent + timeout_ <= now) {
    const int i = head_;
    Slot& s = slots_[i];
    unlink(i);
    ++tally(s).timeouts;
    ++tally(s).retransmits;
    s.retried = true;
    transmit(i, now);
  }
}

void Generator::send_due(TimePoint now) {
  const auto k = static_cast<std::uint64_t>(slots_.size());
  while (next_due_ <= now) {
    const int i = static_cast<int>(due_index_ % k);
    if (slots_[i].busy) {
      ++phase_tally().behind;
    } else {
      start_request(i, now);
    }
    ++due_index_;
    next_due_ = start_ + std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(
                             static_cast<double>(due_index_) / config_.rate));
  }
}

}  // namespace sockcalc::loadgen::detail
