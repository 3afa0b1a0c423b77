// SPDX-License-Identifier: MIT
// loadgen/generator.cpp -- implementation of loadgen/generator.hpp: the epoll loop.
#include "sockcalc/loadgen/generator.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "sockcalc/loadgen/sockperf_wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::nanoseconds;

// The epoll tag of the timerfd; sockets are tagged with their slot index, quarantined
// sockets with kQuarantineTag + their place in the quarantine ring.
constexpr std::uint64_t kTimerTag = UINT64_MAX;
constexpr std::uint64_t kQuarantineTag = std::uint64_t{1} << 32;
// A replaced socket stays open (its port taken, its late replies read and checked) this
// many timeouts, at least kMinQuarantine, before it is closed and its port can be reused.
constexpr int kQuarantineTimeouts = 4;
constexpr auto kMinQuarantine = std::chrono::seconds(1);
// At most this many sockets in quarantine per slot; when the ring is full the oldest is
// closed early (only under heavy loss with a short timeout).
constexpr std::size_t kQuarantinePerSlot = 8;
// Larger than any valid reply (11 bytes calc, 14 sockperf) and than any error reply to a
// valid request (at most 257 bytes, P-8): a reply that does not fit is malformed anyway.
constexpr std::size_t kRecvBufferSize = 1024;
constexpr auto kProgressInterval = std::chrono::seconds(1);
// The drain waits this many timeouts for the replies of requests still in flight, so that
// every request left unanswered has timed out at least once.
constexpr int kDrainTimeouts = 2;
constexpr int kNone = -1;
// Open loop: the timer wakes the loop this long after a send's due time, so that one wake-up
// sends every request due by then (at 100000 requests/s, about five) instead of one each.
// Replies also wake the loop, and due sends go out then too.
constexpr auto kOpenLoopSlack = std::chrono::microseconds(50);

enum class Phase { warmup, measuring, draining, done };

// An fd owned by the loop (epoll, timerfd).
class OwnedFd {
 public:
  explicit OwnedFd(int fd = -1) : fd_(fd) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

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
  // Unix-domain peer): EPOLLOUT is watched and the same datagram goes out when there is room.
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
  Generator(const Config& config, Report& report)
      : config_(config),
        report_(report),
        timeout_(config.timeout),
        quarantine_time_(std::max<nanoseconds>(kMinQuarantine, kQuarantineTimeouts * timeout_)),
        slots_(config.concurrency),
        quarantine_(config.concurrency * kQuarantinePerSlot),
        events_(config.concurrency * (1 + kQuarantinePerSlot) + 1) {
    if (config.protocol == Protocol::calc) pool_ = build_pool(config.workload);
  }

  Status setup();
  Status loop();

 private:
  Tally& phase_tally() { return phase_ == Phase::warmup ? report_.warmup : report_.measured; }
  Tally& tally(const Slot& s) { return s.measured ? report_.measured : report_.warmup; }

  void push_back(int i);
  void unlink(int i);
  void start_request(int i, TimePoint now);
  void transmit(int i, TimePoint now);
  void send_current(int i);
  Status set_blocked(int i, bool blocked);
  Status on_writable(int i);
  Status on_readable(int i);
  // Returns, and clears, an epoll_ctl failure met inside send_current().
  Status pending_status();
  Status finish(int i, Verdict verdict, protocol::Bytes reply, TimePoint now);
  Status replace_socket(int i);
  void on_late_reply(std::size_t q);
  void release_quarantine(TimePoint now, bool all);
  Verdict judge(protocol::Bytes reply, bool truncated, std::size_t request,
                std::uint64_t sequence) const;
  void expire(TimePoint now);
  void send_due(TimePoint now);
  void advance_phase(TimePoint now);
  void report_progress(TimePoint now);
  Status arm_timer(TimePoint now);
  Status watch(int fd, std::uint64_t tag);

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
  std::vector<epoll_event> events_;
  std::array<std::byte, kRecvBufferSize> buffer_{};
  int head_ = kNone;
  int tail_ = kNone;
  int busy_count_ = 0;
  // An epoll_ctl failure inside send_current() (which returns nothing), reported by the loop
  // at its next turn.
  Status pending_status_ = Ok{};
  OwnedFd epoll_;
  OwnedFd timer_;
  TimePoint armed_ = TimePoint::min();

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

Status Generator::watch(int fd, std::uint64_t tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return errno_error(errno, "cannot add a socket to epoll");
  }
  return Ok{};
}

Status Generator::setup() {
  if (config_.targets.empty()) return validation_error("no server address");
  Error first_error;
  for (const auto& target : config_.targets) {
    auto s = DatagramSocket::connect(target);
    if (s) {
      report_.target = target;
      slots_[0].socket = std::move(*s);
      break;
    }
    if (first_error.context.empty()) first_error = s.error();
  }
  if (!slots_[0].socket.valid()) return first_error;
  for (std::size_t i = 1; i < slots_.size(); ++i) {
    auto s = DatagramSocket::connect(report_.target);
    if (!s) return s.error();
    slots_[i].socket = std::move(*s);
  }
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (epoll_.get() < 0) return errno_error(errno, "cannot create an epoll instance");
  timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (timer_.get() < 0) return errno_error(errno, "cannot create a timerfd");
  if (auto st = watch(timer_.get(), kTimerTag); !st) return st;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (auto st = watch(slots_[i].socket.fd(), i); !st) return st;
  }
  return Ok{};
}

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
    if (!s.blocked) pending_status_ = set_blocked(i, true);
  } else if (error != 0) {
    // ENOBUFS, ECONNREFUSED (an earlier ICMP error), ...: the request stays in flight, times
    // out and is sent again.
    ++tally(s).send_errors;
  }
}

Status Generator::set_blocked(int i, bool blocked) {
  Slot& s = slots_[i];
  epoll_event ev{};
  ev.events = blocked ? EPOLLIN | EPOLLOUT : EPOLLIN;
  ev.data.u64 = static_cast<std::uint64_t>(i);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, s.socket.fd(), &ev) != 0) {
    return errno_error(errno, "cannot change a socket's epoll events");
  }
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

Status Generator::pending_status() {
  Status st = std::move(pending_status_);
  pending_status_ = Ok{};
  return st;
}

Status Generator::replace_socket(int i) {
  Slot& s = slots_[i];
  auto fresh = DatagramSocket::connect(report_.target);
  if (!fresh) return fresh.error();
  if (auto st = watch(fresh->fd(), static_cast<std::uint64_t>(i)); !st) return st;
  if (q_count_ == quarantine_.size()) {
    // Full: the oldest leaves early. Closing an fd also takes it out of the epoll set.
    quarantine_[q_head_].socket = DatagramSocket();
    q_head_ = (q_head_ + 1) % quarantine_.size();
    --q_count_;
  }
  const std::size_t q = (q_head_ + q_count_) % quarantine_.size();
  Quarantined& old = quarantine_[q];
  // The old socket keeps its fd, so its epoll registration needs only a new tag.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kQuarantineTag + q;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, s.socket.fd(), &ev) != 0) {
    return errno_error(errno, "cannot retag a socket in epoll");
  }
  old.socket = std::move(s.socket);
  old.close_at = Clock::now() + quarantine_time_;
  old.measured = s.measured;
  old.request = s.request;
  old.sequence = s.sequence;
  ++q_count_;
  s.socket = std::move(*fresh);
  ++tally(s).sockets_replaced;
  return Ok{};
}

void Generator::release_quarantine(TimePoint now, bool all) {
  while (q_count_ > 0 && (all || quarantine_[q_head_].close_at <= now)) {
    quarantine_[q_head_].socket = DatagramSocket();
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
  if (verdict != Verdict::ok && report_.first_failure.empty()) {
    if (config_.protocol == Protocol::calc) {
      report_.first_failure = describe_calc_mismatch(pool_[s.request], reply, verdict);
    } else {
      const auto h = sockperf::decode(reply);
      report_.first_failure =
          "sockperf sequence " + std::to_string(s.sequence) + ": got " +
          std::string(to_string(verdict)) + " reply of " + std::to_string(reply.size()) + " bytes" +
          (h ? ", sequence " + std::to_string(h->sequence) + ", flags " + std::to_string(h->flags) +
                   ", length " + std::to_string(h->length)
             : std::string());
    }
  }
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

Status Generator::on_readable(int i) {
  Slot& s = slots_[i];
  // One datagram per event: epoll is level-triggered, so anything left is reported again,
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

void Generator::advance_phase(TimePoint now) {
  const bool stop = config_.stop && config_.stop->load(std::memory_order_relaxed);
  if (phase_ == Phase::warmup && (now >= measure_start_ || stop)) {
    phase_ = Phase::measuring;
    measure_start_ = now;
    measure_end_ = now + config_.duration;
    self_at_start_ = self_cpu_times();
    if (config_.server_pid > 0) {
      auto cpu = process_cpu_times(config_.server_pid);
      if (cpu) {
        server_at_start_ = *cpu;
      } else {
        report_.server_cpu_error = cpu.error().message();
      }
    }
  }
  if (phase_ == Phase::measuring && (now >= measure_end_ || stop)) {
    phase_ = Phase::draining;
    report_.measured_s = std::chrono::duration<double>(now - measure_start_).count();
    report_.self_cpu = self_cpu_times() - self_at_start_;
    if (server_at_start_) {
      auto cpu = process_cpu_times(config_.server_pid);
      if (cpu) {
        report_.server_cpu = *cpu - *server_at_start_;
      } else {
        report_.server_cpu_error = cpu.error().message();
      }
    }
    next_due_ = TimePoint::max();
    drain_end_ = now + kDrainTimeouts * timeout_;
  }
  if (phase_ == Phase::draining && (busy_count_ == 0 || now >= drain_end_)) {
    for (int i = head_; i != kNone; i = slots_[i].next) ++tally(slots_[i]).unanswered;
    phase_ = Phase::done;
  }
}

void Generator::report_progress(TimePoint now) {
  if (!config_.progress || now < next_progress_) return;
  const double interval =
      std::chrono::duration<double>(now - (next_progress_ - kProgressInterval)).count();
  Progress p;
  p.elapsed_s = std::chrono::duration<double>(now - start_).count();
  p.warming_up = phase_ == Phase::warmup;
  const std::uint64_t ok = report_.warmup.ok + report_.measured.ok;
  p.ok_per_second = interval > 0 ? static_cast<double>(ok - ok_at_last_progress_) / interval : 0;
  p.measured = report_.measured;
  p.warmup = report_.warmup;
  p.in_flight = static_cast<std::uint64_t>(busy_count_);
  ok_at_last_progress_ = ok;
  next_progress_ += kProgressInterval;
  if (next_progress_ <= now) next_progress_ = now + kProgressInterval;
  config_.progress(p);
}

Status Generator::arm_timer(TimePoint now) {
  TimePoint wake = phase_ == Phase::warmup      ? measure_start_
                   : phase_ == Phase::measuring ? measure_end_
                                                : drain_end_;
  if (head_ != kNone) wake = std::min(wake, slots_[head_].last_sent + timeout_);
  const TimePoint send_wake =
      next_due_ == TimePoint::max() ? next_due_ : next_due_ + kOpenLoopSlack;
  wake = std::min({wake, send_wake, next_progress_});
  // A timer that is still armed and fires no later than needed is left alone: a wake-up that
  // comes too early costs one loop turn, re-arming on every reply would cost a syscall each.
  if (armed_ > now && armed_ <= wake) return Ok{};
  const auto since_epoch = std::chrono::duration_cast<nanoseconds>(wake.time_since_epoch()).count();
  constexpr long kNanosPerSecond = 1'000'000'000;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(since_epoch / kNanosPerSecond);
  spec.it_value.tv_nsec = static_cast<long>(since_epoch % kNanosPerSecond);
  // An all-zero it_value would disarm the timer instead of firing at once.
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  // steady_clock is CLOCK_MONOTONIC on Linux, so its time points are the timerfd's.
  if (timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    return errno_error(errno, "cannot arm the timerfd");
  }
  armed_ = wake;
  return Ok{};
}

Status Generator::loop() {
  start_ = Clock::now();
  measure_start_ = start_ + config_.warmup;
  measure_end_ = measure_start_ + config_.duration;
  if (config_.progress) next_progress_ = start_ + kProgressInterval;
  advance_phase(start_);  // no warm-up: the measured phase starts now
  if (config_.rate > 0) {
    next_due_ = start_;
  } else {
    for (std::size_t i = 0; i < slots_.size(); ++i) start_request(static_cast<int>(i), start_);
  }
  while (phase_ != Phase::done) {
    TimePoint now = Clock::now();
    advance_phase(now);
    if (phase_ == Phase::done) break;
    expire(now);
    release_quarantine(now, false);
    if (phase_ == Phase::warmup || phase_ == Phase::measuring) send_due(now);
    report_progress(now);
    if (auto st = arm_timer(now); !st) return st;
    const int n = epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "cannot wait with epoll");
    }
    for (int e = 0; e < n; ++e) {
      const std::uint64_t tag = events_[e].data.u64;
      if (tag == kTimerTag) {
        std::uint64_t expirations = 0;
        // Only clears the timerfd's readiness: the loop re-reads the clock itself.
        [[maybe_unused]] const ssize_t got = ::read(timer_.get(), &expirations, sizeof expirations);
        armed_ = TimePoint::min();
        continue;
      }
      if (tag >= kQuarantineTag) {
        on_late_reply(static_cast<std::size_t>(tag - kQuarantineTag));
        continue;
      }
      const int i = static_cast<int>(tag);
      if ((events_[e].events & EPOLLOUT) != 0) {
        if (auto st = on_writable(i); !st) return st;
      }
      if ((events_[e].events & ~EPOLLOUT) != 0) {
        if (auto st = on_readable(i); !st) return st;
      }
    }
    if (auto st = pending_status(); !st) return st;
  }
  release_quarantine(TimePoint::max(), true);
  return Ok{};
}

}  // namespace

Result<Report> run(const Config& config) {
  if (config.concurrency == 0) return validation_error("concurrency must be at least 1");
  if (config.protocol == Protocol::calc &&
      (config.workload.pool_size == 0 || config.workload.min_count < wire::kMinOperands ||
       config.workload.max_count > wire::kMaxOperands ||
       config.workload.min_count > config.workload.max_count)) {
    return validation_error("invalid workload");
  }
  Report report;
  Generator generator(config, report);
  if (auto st = generator.setup(); !st) return st.error();
  if (auto st = generator.loop(); !st) return st.error();
  return report;
}

}  // namespace sockcalc::loadgen
