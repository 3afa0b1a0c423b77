// SPDX-License-Identifier: MIT
// tools/msc/tshark_reader.hpp -- internal to tools/msc.
// read_with_tshark: the calc datagrams of any capture tshark reads (pcapng, any link type),
// found and classified by our dissector (tools/wireshark/calc.lua). Runs tshark as a child
// process; main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sockcalc/capture/pcap_reader.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/msc/chart.hpp"

namespace sockcalc::msc_tool {

struct TsharkOptions {
  std::string tshark = "tshark";  // looked up in PATH without a slash
  std::string dissector;          // calc.lua
  std::string capture;
  std::vector<std::uint16_t> ports;  // the dissector's calc.ports
  std::chrono::seconds limit{60};    // tshark is killed after this long
};

/// One calc datagram as tshark read it, with the dissector's request/reply decision.
struct TsharkDatagram {
  capture::CapturedDatagram datagram;
  msc::Role role = msc::Role::request;
};

/// Runs `tshark -r CAPTURE -X lua_script:DISSECTOR -o calc.ports:PORTS -Y calc -T fields ...`
/// and parses its rows. Fails with tshark's own message when it exits non-zero ("tshark cannot
/// read CAPTURE: ..."), when it cannot be started, or when it outlives `limit`. Unix-domain
/// captures are not read this way (their datagrams have no field of their own in the
/// dissector): read them without --tshark.
Result<std::vector<TsharkDatagram>> read_with_tshark(const TsharkOptions& options);

}  // namespace sockcalc::msc_tool
