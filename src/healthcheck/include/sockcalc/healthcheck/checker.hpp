// SPDX-License-Identifier: MIT
// healthcheck/checker.hpp -- internal to the health checker (module sockcalc_healthcheck).
// Checker: the health checker's loop. Every interval it probes each endpoint (in parallel,
// one short-lived thread per probe), counts the outcomes (Tracker) and, when the live set
// changed, applies it to every backend. run() belongs to one thread; request_stop() may be
// called from any thread or a signal handler.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sockcalc/core/waker.hpp"
#include "sockcalc/healthcheck/backend.hpp"
#include "sockcalc/healthcheck/endpoint.hpp"
#include "sockcalc/healthcheck/probe.hpp"
#include "sockcalc/healthcheck/tracker.hpp"

namespace sockcalc::healthcheck {

struct CheckerOptions {
  /// Time between the starts of two rounds of probes.
  std::chrono::milliseconds interval{200};
  /// How long a probe waits for its reply: shorter than the interval.
  std::chrono::milliseconds timeout{150};
  Thresholds thresholds;
};

/// Checks the options: interval 10..60000 ms, 1 <= timeout < interval, fall and rise 1..100.
Status validate(const CheckerOptions& options);

/// A log line's weight: what happened (info), what failed and will be tried again (warning).
enum class Level { info, warning };
using LogFn = std::function<void(Level level, const std::string& line)>;

class Checker {
 public:
  /// A checker of `endpoints` (at least one, no two that clash()) changing `backends` (at
  /// least one). Fails on bad options or endpoints, or when the stop Waker cannot be made.
  static Result<std::unique_ptr<Checker>> create(std::vector<Endpoint> endpoints,
                                                 std::vector<std::unique_ptr<Backend>> backends,
                                                 const CheckerOptions& options, LogFn log);

  /// Probes, decides and applies until request_stop(). The first round decides every
  /// endpoint's health at once (up if it answered) and applies that set; later rounds change
  /// an endpoint's health after Thresholds' probes in a row. A backend that fails to apply is
  /// logged and tried again every round, its objects left as they were. Leaves the backends
  /// as they are at stop. Returns once stopped; never fails after create().
  void run();

  /// Makes run() return after the round under way. Async-signal-safe.
  void request_stop() const { stop_.notify(); }

  /// The endpoints up now (after run(), as it stopped), in command-line order.
  [[nodiscard]] std::vector<const Endpoint*> live() const;

 private:
  Checker(std::vector<Endpoint> endpoints, std::vector<std::unique_ptr<Backend>> backends,
          const CheckerOptions& options, LogFn log, Waker stop);
  std::vector<ProbeOutcome> probe_all();
  void first_round();
  void next_round();
  void apply_pending();
  bool wait_until(std::chrono::steady_clock::time_point when) const;  // false: stop asked

  std::vector<Endpoint> endpoints_;
  std::vector<std::unique_ptr<Backend>> backends_;
  CheckerOptions options_;
  LogFn log_;
  Waker stop_;
  std::vector<Tracker> trackers_;
  // Per backend: the live set it last took (by endpoint), and whether it must take a new one.
  std::vector<std::vector<bool>> applied_;
  std::vector<bool> pending_;
  std::uint32_t round_ = 0;
};

}  // namespace sockcalc::healthcheck
