// SPDX-License-Identifier: MIT
// linksim/stats.cpp -- implementation of linksim/stats.hpp.
// Formats the counters as "name value" pairs, in a fixed order that tests and scripts parse.
// Pure; any thread, on a copy of the counters.
#include "sockcalc/linksim/stats.hpp"

namespace sockcalc::linksim {

std::string_view direction_label(Direction d) {
  return d == Direction::forward ? "forward (client -> server)" : "reverse (server -> client)";
}

std::string summary_line(Direction d, const DirectionStats& s) {
  const auto n = [](std::uint64_t v) { return std::to_string(v); };
  return std::string(direction_label(d)) + ": received " + n(s.received) + ", passed " +
         n(s.passed) + ", dropped " + n(s.dropped) + ", duplicated " + n(s.duplicated) +
         ", reordered " + n(s.reordered) + ", delayed " + n(s.delayed) + ", corrupted " +
         n(s.corrupted) + ", cut " + n(s.cut) + ", overflow " + n(s.overflow) + ", orphaned " +
         n(s.orphaned) + ", send failed " + n(s.send_failed);
}

std::string summary_line(const FlowStats& f, std::uint64_t held_now) {
  const auto n = [](std::uint64_t v) { return std::to_string(v); };
  return "flows: created " + n(f.created) + ", expired " + n(f.expired) + ", evicted " +
         n(f.evicted) + ", failed " + n(f.failed) + ", active " + n(f.active) + "; held " +
         n(held_now);
}

}  // namespace sockcalc::linksim
