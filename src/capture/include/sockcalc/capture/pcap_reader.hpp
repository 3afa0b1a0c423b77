// SPDX-License-Identifier: MIT
// capture/pcap_reader.hpp -- public.
// read_pcap: the UDP and Unix-domain datagrams of a classic pcap file -- the programs' --pcap
// files, and captures of tcpdump and others on Ethernet, Linux "cooked" or raw IP links -- for
// the msc converter (docs/DIAGRAMS.md). pcapng and other link types are tshark's work. Pure
// over the bytes given; read_pcap_file() reads the whole file first. Any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"

namespace sockcalc::capture {

/// One datagram of a capture, its ends as the programs print addresses ("[::1]:10000",
/// "127.0.0.1:5000", "unix:/tmp/calc.sock").
struct CapturedDatagram {
  std::chrono::system_clock::time_point when;
  std::string from;
  std::string to;
  std::uint16_t from_port = 0;  // 0 for a Unix-domain end
  std::uint16_t to_port = 0;
  std::vector<std::byte> bytes;  // as captured
  std::size_t wire_length = 0;   // its real length, from the UDP header (>= bytes.size())
};

struct CaptureContents {
  std::uint32_t link_type = 0;
  std::vector<CapturedDatagram> datagrams;
  std::size_t skipped = 0;  // records that hold no UDP datagram (TCP, ARP, a fragment, ...)
};

/// The most bytes one record may claim: more means a damaged file, not a packet.
inline constexpr std::size_t kMaxRecordSize = 262144;

/// Reads `file` (a whole pcap file; `name` names it in errors). Fails, saying where, on: a file
/// shorter than its header ("NAME is truncated: ..."), a pcapng file or any other format
/// ("NAME is not a classic pcap file ..."), a link type it does not read, a record cut short
/// or claiming more than kMaxRecordSize bytes. Records that are not UDP are skipped, counted.
Result<CaptureContents> read_pcap(std::span<const std::byte> file, const std::string& name);

/// read_pcap() of the file at `path` ("cannot read pcap file PATH: reason").
Result<CaptureContents> read_pcap_file(const std::string& path);

}  // namespace sockcalc::capture
