// SPDX-License-Identifier: MIT
// tools/msc/capture_chart.hpp -- internal to tools/msc.
// The chart of a capture's datagrams, whichever reader found them. Pure; main thread.
#pragma once

#include <cstdint>
#include <vector>

#include "sockcalc/capture/pcap_reader.hpp"
#include "sockcalc/msc/chart.hpp"

namespace sockcalc::msc_tool {

/// One arc per datagram, in capture order, with `roles[i]` the role of datagram i.
msc::Chart chart_of(const std::vector<capture::CapturedDatagram>& datagrams,
                    const std::vector<msc::Role>& roles, std::size_t max_arcs);

/// The roles of the datagrams of our own reader, decided by msc::RoleRule over `ports`.
std::vector<msc::Role> roles_of(const std::vector<capture::CapturedDatagram>& datagrams,
                                const std::vector<std::uint16_t>& ports);

}  // namespace sockcalc::msc_tool
