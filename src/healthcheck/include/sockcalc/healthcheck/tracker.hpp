// SPDX-License-Identifier: MIT
// healthcheck/tracker.hpp -- internal to the health checker (module sockcalc_healthcheck).
// The probe logic: an endpoint goes down after `fall` failed probes in a row and comes back
// up after `rise` good ones in a row. Pure state, no clock, no I/O; one thread at a time.
#pragma once

namespace sockcalc::healthcheck {

/// How many probes in a row decide. Defaults, with probes every 200 ms: a dead server is out
/// after 3 failed probes (at most 3 x 200 ms + the probe timeout, 750 ms, after it died), a
/// restarted one back after 2 good ones (400 ms).
struct Thresholds {
  int fall = 3;
  int rise = 2;
};

enum class Health { up, down };

/// One endpoint's health. Starts as its first probe says (a server that answers at start is
/// up, one that does not is down): no waiting for `rise` probes before the first live set.
class Tracker {
 public:
  Tracker(Thresholds thresholds, bool first_probe_good);

  /// Counts one probe; returns true when the health changed with it.
  bool record(bool good);

  [[nodiscard]] Health health() const { return health_; }
  [[nodiscard]] bool up() const { return health_ == Health::up; }
  /// Probes in a row that disagree with health(): failures while up, successes while down.
  [[nodiscard]] int streak() const { return streak_; }

 private:
  Thresholds thresholds_;
  Health health_;
  int streak_ = 0;
};

}  // namespace sockcalc::healthcheck
