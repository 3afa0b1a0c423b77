// SPDX-License-Identifier: MIT
// linksim/stats.hpp -- public.
// The relay's counters: one set per direction, one for the flows, and the summary lines
// printed on exit. Plain integers: written and read by the relay's loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "sockcalc/linksim/fault.hpp"

namespace sockcalc::linksim {

/// What happened to the datagrams of one direction. received = passed + dropped; the rest
/// count fault decisions (a datagram may get several) and copies lost inside linksim.
struct DirectionStats {
  std::uint64_t received = 0;     // datagrams read (from clients, or from the server)
  std::uint64_t passed = 0;       // not dropped by --loss (maybe cut, corrupted, late, twice)
  std::uint64_t dropped = 0;      // dropped by --loss
  std::uint64_t duplicated = 0;   // sent twice (--dup)
  std::uint64_t reordered = 0;    // held back behind the next datagram (--reorder)
  std::uint64_t delayed = 0;      // sent later than received (--delay, --jitter)
  std::uint64_t corrupted = 0;    // one byte flipped (--corrupt)
  std::uint64_t cut = 0;          // truncated (--cut)
  std::uint64_t overflow = 0;     // copies dropped: --max-held or --max-held-bytes reached
  std::uint64_t orphaned = 0;     // copies dropped: their flow ended before they were due
  std::uint64_t send_failed = 0;  // copies the kernel refused (ENOBUFS, ECONNREFUSED, ...)
};

struct FlowStats {
  std::uint64_t created = 0;
  std::uint64_t expired = 0;  // idle longer than --idle-timeout
  std::uint64_t evicted = 0;  // least recently used, removed to make room (--max-flows)
  std::uint64_t failed = 0;   // could not open an upstream socket: the datagram was dropped
  std::uint64_t active = 0;   // flows open now
};

struct RelayStats {
  std::array<DirectionStats, kDirections> direction{};
  FlowStats flows;
  std::uint64_t held_now = 0;  // copies waiting for their time or their reorder release

  DirectionStats& operator[](Direction d) { return direction[as_index(d)]; }
  const DirectionStats& operator[](Direction d) const { return direction[as_index(d)]; }
};

/// "forward (client -> server): received 10, passed 7, dropped 3, duplicated 0, ..."
std::string summary_line(Direction d, const DirectionStats& s);
/// "flows: created 3, expired 0, evicted 1, failed 0, active 2; held 0"
std::string summary_line(const FlowStats& f, std::uint64_t held_now);

/// "forward (client -> server)" or "reverse (server -> client)".
std::string_view direction_label(Direction d);

}  // namespace sockcalc::linksim
