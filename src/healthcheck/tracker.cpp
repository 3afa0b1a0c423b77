// SPDX-License-Identifier: MIT
// healthcheck/tracker.cpp -- internal. The fall/rise counting.
// One thread at a time per Tracker.
#include "sockcalc/healthcheck/tracker.hpp"

namespace sockcalc::healthcheck {

Tracker::Tracker(Thresholds thresholds, bool first_probe_good)
    : thresholds_(thresholds), health_(first_probe_good ? Health::up : Health::down) {}

bool Tracker::record(bool good) {
  if (good == up()) {  // agrees with the current health: any streak against it is broken
    streak_ = 0;
    return false;
  }
  ++streak_;
  if (streak_ < (up() ? thresholds_.fall : thresholds_.rise)) return false;
  health_ = up() ? Health::down : Health::up;
  streak_ = 0;
  return true;
}

}  // namespace sockcalc::healthcheck
