// SPDX-License-Identifier: MIT
// loadgen/generator_loop.hpp -- internal to src/loadgen.
// Generator: the state behind loadgen::run(): K slots (a socket and its request in flight), the
// quarantine of replaced sockets, the phases, and the event loop (event/event_loop) that drives
// them. generator.cpp has the loop, the phases and the report of progress; generator_requests.cpp
// what happens to one request (send, reply, timeout, a fresh socket). Single-threaded: one
// Generator per run(), on its thread.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "sockcalc/event/event_loop.hpp"
#include "sockcalc/loadgen/generator.hpp"
#include "sockcalc/loadgen/sockperf_wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::loadgen::detail {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::nanoseconds;

// A replaced socket stays open (its port taken, its late replies read and checked) this
// many timeouts, at least kMinQuarantine, before it is closed and its port can be reused.
inline constexpr int kQuarantineTimeouts = 4;
inline constexpr auto kMinQuarantine = std::chrono::seconds(1);
// At most this many sockets in quarantine per slot; when the ring is full the oldest is
// closed early (only under heavy loss with a short timeout).
inline constexpr std::size_t kQuarantinePerSlot = 8;
// Larger than any valid reply (11 bytes calc, 14 sockperf) and than any error reply to a
// valid request (at most 257 bytes, P-8): a reply that does not fit is malformed anyway.
inline constexpr std::size_t kRecvBufferSize = 1024;
inline constexpr auto kProgressInterval = std::chrono::seconds(1);
// The drain waits this many timeouts for the replies of requests still in flight, so that
// every request left unanswered has timed out at least once.
inline constexpr int kDrainTimeouts = 2;
inline constexpr int kNone = -1;
// Open loop: the timer wakes the loop this long after a send's due time, so that one wake-up
// sends every request due by then (at 100000 requests/s, about five) instead of one each.
// Replies also wake the loop, and due sends go out then too.
inline constexpr auto kOpenLoopSlack = std::chrono::microseconds(50);

enum class Phase { warmup, measuring, draining, done };

// One socket and the request it has in flight.
struct Slot {
  DatagramSocket socket;
  bool busy = false;
  // The request was sent more than once: a second reply may still come, so the socket is
  // replaced once the request is over (docs/LOADGEN.md, "one request per source port").
  bool retried = false;
  bool measured = false;  // the request was first sent in the measured phase
  bool has_last = false;
  // The last send found no room (EAGAIN: a full send buffer, or a full receive queue at a
  // Unix-domain peer): writability is watched and the same datagram goes out when there is room.
  bool blocked = false;
  std::uint32_t last_expected = 0;  // the previous calc request's result on this socket
  std::size_t request = 0;          // calc: index in the pool
  std::uint64_t sequence = 0;       // sockperf: the sequence number in flight
  TimePoint first_sent{};
  TimePoint last_sent{};
  // The busy slots form a list ordered by last_sent, hence by timeout deadline.
  int prev = kNone;
  int next = kNone;
  std::array<std::byte, sockperf::kHeaderSize> message{};
};

// A replaced socket, kept open until `close_at` so that no new socket can take its port
// while a late reply may still be on its way to it.
struct Quarantined {
  DatagramSocket socket;
  TimePoint close_at{};
  bool measured = false;
  std::size_t request = 0;     // calc: the pool index of its last request
  std::uint64_t sequence = 0;  // sockperf: the sequence number of its last request
};

class Generator {
 public:
  Generator(const Config& config, Report& report, event::EventLoop loop);

  Status setup();
  Status loop();

 private:
  Tally& phase_tally() { return phase_ == Phase::warmup ? report_.warmup : report_.measured; }
  Tally& tally(const Slot& s) { return s.measured ? report_.measured : report_.warmup; }

  // generator_requests.cpp: one request's life.
  void push_back(int i);
  void unlink(int i);
  void start_request(int i, TimePoint now);
  void transmit(int i, TimePoint now);
  void send_current(int i);
  Status set_blocked(int i, bool blocked);
  Status on_writable(int i);
  Status on_readable(int i);
  Status finish(int i, Verdict verdict, protocol::Bytes reply, TimePoint now);
  void record_failure(const Slot& s, Verdict verdict, protocol::Bytes reply);
  Status replace_socket(int i);
  void on_late_reply(std::size_t q);
  void close_quarantined(Quarantined& q);
  void release_quarantine(TimePoint now, bool all);
  Verdict judge(protocol::Bytes reply, bool truncated, std::size_t request,
                std::uint64_t sequence) const;
  void expire(TimePoint now);
  void send_due(TimePoint now);

  // generator.cpp: the loop and its phases.
  Status watch_slot(int i);
  // Keeps the first failure met inside a handler or send_current() (which return nothing),
  // for the loop to report at the end of its turn.
  void keep(Status st);
  Status pending_status();
  void advance_phase(TimePoint now);
  void start_measuring(TimePoint now);
  void start_draining(TimePoint now);
  void report_progress(TimePoint now);
  Status arm_timer(TimePoint now);

  const Config& config_;
  Report& report_;
  const nanoseconds timeout_;
  const nanoseconds quarantine_time_;
  std::vector<PreparedRequest> pool_;
  std::size_t cursor_ = 0;
  std::uint64_t sequence_ = 0;
  std::vector<Slot> slots_;
  // A ring: quarantine_[q_head_ .. q_head_ + q_count_) in order of close_at.
  std::vector<Quarantined> quarantine_;
  std::size_t q_head_ = 0;
  std::size_t q_count_ = 0;
  std::array<std::byte, kRecvBufferSize> buffer_{};
  int head_ = kNone;
  int tail_ = kNone;
  int busy_count_ = 0;
  Status pending_status_ = Ok{};
  // Declared after the sockets: destroyed first, while every fd it borrows is still open.
  event::EventLoop loop_;

  Phase phase_ = Phase::warmup;
  TimePoint start_{};
  TimePoint measure_start_{};
  TimePoint measure_end_{};
  TimePoint drain_end_{};
  CpuTimes self_at_start_;
  std::optional<CpuTimes> server_at_start_;
  // Open loop: the n-th send is due at start_ + n / rate on socket n % K.
  std::uint64_t due_index_ = 0;
  TimePoint next_due_ = TimePoint::max();
  TimePoint next_progress_ = TimePoint::max();
  std::uint64_t ok_at_last_progress_ = 0;
};

}  // namespace sockcalc::loadgen::detail
