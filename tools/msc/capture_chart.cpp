// SPDX-License-Identifier: MIT
// tools/msc/capture_chart.cpp -- implementation of capture_chart.hpp.
#include "capture_chart.hpp"

#include "sockcalc/msc/roles.hpp"

namespace sockcalc::msc_tool {

msc::Chart chart_of(const std::vector<capture::CapturedDatagram>& datagrams,
                    const std::vector<msc::Role>& roles, std::size_t max_arcs) {
  msc::Chart chart(max_arcs);
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    const capture::CapturedDatagram& c = datagrams[i];
    msc::Datagram d;
    d.when = c.when;
    d.from = c.from;
    d.to = c.to;
    d.bytes = c.bytes;
    d.wire_length = c.wire_length;
    d.role = roles[i];
    chart.add(std::move(d));
  }
  return chart;
}

std::vector<msc::Role> roles_of(const std::vector<capture::CapturedDatagram>& datagrams,
                                const std::vector<std::uint16_t>& ports) {
  msc::RoleRule rule(ports);
  std::vector<msc::Role> roles;
  roles.reserve(datagrams.size());
  for (const capture::CapturedDatagram& c : datagrams) {
    roles.push_back(rule.decide({c.from, c.from_port}, {c.to, c.to_port}));
  }
  return roles;
}

}  // namespace sockcalc::msc_tool
