// SPDX-License-Identifier: MIT
// loadgen/generator.cpp -- implementation of loadgen/generator.hpp, and of
// loadgen/generator_loop.hpp part 1: the loop over event/event_loop, the phases (warm-up,
// measured, drain), the timer, progress reports. One request's life is in generator_requests.cpp.
#include "sockcalc/loadgen/generator.hpp"

#include <algorithm>
#include <utility>

#include "sockcalc/loadgen/generator_loop.hpp"

namespace sockcalc::loadgen {
namespace detail {

Generator::Generator(const Config& config, Report& report, event::EventLoop loop)
    : config_(config),
      report_(report),
      timeout_(config.timeout),
      quarantine_time_(std::max<nanoseconds>(kMinQuarantine, kQuarantineTimeouts * timeout_)),
      slots_(config.concurrency),
      quarantine_(config.concurrency * kQuarantinePerSlot),
      loop_(std::move(loop)) {
  if (config.protocol == Protocol::calc) pool_ = build_pool(config.workload);
}

Status Generator::watch_slot(int i) {
  return loop_.watch(slots_[i].socket.fd(), event::Interest::read, [this, i](event::Ready r) {
    if (r.writable) keep(on_writable(i));
    if (r.readable) keep(on_readable(i));
  });
}

void Generator::keep(Status st) {
  if (!st && pending_status_) pending_status_ = std::move(st);
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
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (auto st = watch_slot(static_cast<int>(i)); !st) return st;
  }
  return Ok{};
}

Status Generator::pending_status() {
  Status st = std::move(pending_status_);
  pending_status_ = Ok{};
  return st;
}

void Generator::start_measuring(TimePoint now) {
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

void Generator::start_draining(TimePoint now) {
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

void Generator::advance_phase(TimePoint now) {
  const bool stop = config_.stop && config_.stop->load(std::memory_order_relaxed);
  if (phase_ == Phase::warmup && (now >= measure_start_ || stop)) start_measuring(now);
  if (phase_ == Phase::measuring && (now >= measure_end_ || stop)) start_draining(now);
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
  // A wake-up that comes too early costs one loop turn; the loop leaves a timer alone that fires
  // no later than needed, since re-arming on every reply would cost a syscall each.
  return loop_.wake_at(wake, now);
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
    // Returns on a reply, a socket with room again, the timer or a signal (EINTR: an empty
    // turn); the handlers run inside.
    if (auto st = loop_.run_once(-1); !st) return st;
    if (auto st = pending_status(); !st) return st;
  }
  release_quarantine(TimePoint::max(), true);
  return Ok{};
}

}  // namespace detail

Result<Report> run(const Config& config) {
  if (config.concurrency == 0) return validation_error("concurrency must be at least 1");
  if (config.protocol == Protocol::calc &&
      (config.workload.pool_size == 0 || config.workload.min_count < wire::kMinOperands ||
       config.workload.max_count > wire::kMaxOperands ||
       config.workload.min_count > config.workload.max_count)) {
    return validation_error("invalid workload");
  }
  auto loop = event::EventLoop::create();
  if (!loop) return loop.error();
  Report report;
  detail::Generator generator(config, report, std::move(*loop));
  if (auto st = generator.setup(); !st) return st.error();
  if (auto st = generator.loop(); !st) return st.error();
  return report;
}

}  // namespace sockcalc::loadgen
