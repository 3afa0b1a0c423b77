// SPDX-License-Identifier: MIT
// msc/roles.hpp -- public.
// RoleRule: whether a captured datagram is a request or a reply, decided as the Wireshark
// dissector decides it (docs/WIRESHARK.md, "Request or reply?"), so that a capture converted
// by either reader gives the same chart. Not thread-safe: one capture, one thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sockcalc/msc/chart.hpp"

namespace sockcalc::msc {

/// One end of a captured datagram: its text (an entity's name) and its UDP port (0 for a
/// Unix-domain address).
struct End {
  std::string text;
  std::uint16_t port = 0;
};

class RoleRule {
 public:
  /// `server_ports`: the ports calc servers listen on (the dissector's calc.ports).
  explicit RoleRule(std::vector<std::uint16_t> server_ports);

  /// In this order: a datagram to a server port is a request, one from a server port a reply;
  /// otherwise the first datagram seen between two ends is a request and its destination the
  /// server from then on.
  Role decide(const End& from, const End& to);

 private:
  std::set<std::uint16_t> ports_;
  std::set<std::string> servers_;  // "client|server" pairs, by their first datagram
};

}  // namespace sockcalc::msc
