// SPDX-License-Identifier: MIT
// healthcheck/checker.cpp -- internal. The rounds of probes and the changes they make.
// run() on one thread; probe threads only read their endpoint and write their own outcome.
#include "sockcalc/healthcheck/checker.hpp"

#include <poll.h>

#include <cerrno>
#include <thread>

#include "sockcalc/core/deadline.hpp"

namespace sockcalc::healthcheck {
namespace {

std::string names(const std::vector<const Endpoint*>& live) {
  if (live.empty()) return "(none)";
  std::string text;
  for (const Endpoint* e : live) text += (text.empty() ? "" : " ") + e->name;
  return text;
}

std::string label(const Endpoint& e) {
  return "endpoint " + e.name + " (" + e.probe_address().to_string() + ")";
}

// Probes a + b with a = the round, b = a mark of the endpoint: every probe asks something new.
constexpr std::uint32_t kProbeMark = 0x5c000000;

}  // namespace

Status validate(const CheckerOptions& o) {
  using std::chrono::milliseconds;
  if (o.interval < milliseconds(10) || o.interval > milliseconds(60000)) {
    return validation_error("interval must be 10..60000 ms");
  }
  if (o.timeout < milliseconds(1) || o.timeout >= o.interval) {
    return validation_error("probe timeout must be at least 1 ms and shorter than the interval");
  }
  if (o.thresholds.fall < 1 || o.thresholds.fall > 100 || o.thresholds.rise < 1 ||
      o.thresholds.rise > 100) {
    return validation_error("fall and rise must be 1..100 probes");
  }
  return Ok{};
}

Result<std::unique_ptr<Checker>> Checker::create(std::vector<Endpoint> endpoints,
                                                 std::vector<std::unique_ptr<Backend>> backends,
                                                 const CheckerOptions& options, LogFn log) {
  if (Status st = validate(options); !st) return st.error();
  if (endpoints.empty()) return validation_error("no endpoint to check");
  if (backends.empty()) return validation_error("nothing to change: no backend");
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (clash(endpoints[i], endpoints[j])) {
        return validation_error("endpoints " + endpoints[j].name + " and " + endpoints[i].name +
                                " share a name or an address");
      }
    }
  }
  auto stop = Waker::create();
  if (!stop) return stop.error();
  return std::unique_ptr<Checker>(new Checker(std::move(endpoints), std::move(backends), options,
                                              std::move(log), std::move(*stop)));
}

Checker::Checker(std::vector<Endpoint> endpoints, std::vector<std::unique_ptr<Backend>> backends,
                 const CheckerOptions& options, LogFn log, Waker stop)
    : endpoints_(std::move(endpoints)),
      backends_(std::move(backends)),
      options_(options),
      log_(std::move(log)),
      stop_(std::move(stop)),
      // Before the first apply, every endpoint counts as live: one found down at start is
      // forgotten (its conntrack entries deleted) like one that goes down later.
      applied_(backends_.size(), std::vector<bool>(endpoints_.size(), true)),
      pending_(backends_.size(), true) {}

std::vector<const Endpoint*> Checker::live() const {
  std::vector<const Endpoint*> up;
  for (std::size_t i = 0; i < trackers_.size(); ++i) {
    if (trackers_[i].up()) up.push_back(&endpoints_[i]);
  }
  return up;
}

std::vector<ProbeOutcome> Checker::probe_all() {
  std::vector<ProbeOutcome> outcomes(endpoints_.size());
  {
    std::vector<std::jthread> probes;
    probes.reserve(endpoints_.size());
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      probes.emplace_back([this, &outcomes, i] {
        outcomes[i] = probe(endpoints_[i].probe_address(), options_.timeout, round_,
                            kProbeMark + static_cast<std::uint32_t>(i));
      });
    }
  }  // joined here
  ++round_;
  return outcomes;
}

void Checker::first_round() {
  const std::vector<ProbeOutcome> outcomes = probe_all();
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    trackers_.emplace_back(options_.thresholds, outcomes[i].good);
    log_(Level::info, label(endpoints_[i]) + (outcomes[i].good ? " is up: " : " is down: ") +
                          outcomes[i].detail);
  }
}

void Checker::next_round() {
  const std::vector<ProbeOutcome> outcomes = probe_all();
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (!trackers_[i].record(outcomes[i].good)) continue;
    const bool up = trackers_[i].up();
    const int count = up ? options_.thresholds.rise : options_.thresholds.fall;
    log_(up ? Level::info : Level::warning,
         label(endpoints_[i]) + (up ? " up after " : " down after ") + std::to_string(count) +
             (up ? " good probe" : " failed probe") + (count == 1 ? "" : "s") + ": " +
             outcomes[i].detail);
    pending_.assign(backends_.size(), true);
  }
}

void Checker::apply_pending() {
  const std::vector<const Endpoint*> up = live();
  for (std::size_t b = 0; b < backends_.size(); ++b) {
    if (!pending_[b]) continue;
    Backend& backend = *backends_[b];
    if (Status st = backend.apply(up); !st) {
      log_(Level::warning, st.error().message() + "; trying again in " +
                               std::to_string(options_.interval.count()) + " ms");
      continue;
    }
    pending_[b] = false;
    log_(Level::info, backend.describe() + ": live endpoints " + names(up));
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      const bool was = applied_[b][i];
      applied_[b][i] = trackers_[i].up();
      if (!was || trackers_[i].up()) continue;
      auto dropped = backend.forget(endpoints_[i]);
      if (!dropped) {
        log_(Level::warning, dropped.error().message());
      } else if (*dropped > 0) {
        log_(Level::info, backend.describe() + ": deleted " + std::to_string(*dropped) +
                              " conntrack entr" + (*dropped == 1 ? "y" : "ies") + " of " +
                              endpoints_[i].name);
      }
    }
  }
}

bool Checker::wait_until(std::chrono::steady_clock::time_point when) const {
  while (true) {
    pollfd p{stop_.fd(), POLLIN, 0};
    const int n = poll(&p, 1, remaining_ms(when));
    if (n > 0) return false;
    // A timeout before `when` is a wait capped at an hour; a failed poll other than EINTR
    // cannot wait on the fd: carry on, the round paces the checker.
    if (n == 0 && remaining_ms(when) == 0) return true;
    if (n < 0 && errno != EINTR) return true;
  }
}

void Checker::run() {
  using clock = std::chrono::steady_clock;
  auto next = clock::now();
  first_round();
  while (true) {
    apply_pending();
    next += options_.interval;
    if (next < clock::now()) next = clock::now();  // a round that overran: no burst to catch up
    if (!wait_until(next)) return;
    next_round();
  }
}

}  // namespace sockcalc::healthcheck
