// SPDX-License-Identifier: MIT
// capture/pcap_writer.hpp -- public.
// PcapWriter: records datagrams a program sends or receives in a classic pcap file that
// Wireshark and tshark read (docs/WIRESHARK.md). Thread-safe: write() takes an internal mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"

namespace sockcalc::capture {

// ---- The file format (docs/WIRESHARK.md, "Capture files"). ----
// A classic pcap file: a 24-byte file header, then one record (16-byte record header + packet)
// per datagram. Headers are in the writer's byte order, as libpcap writes them; the magic
// tells readers which order that is. Timestamps have microsecond resolution.
inline constexpr std::uint32_t kPcapMagic = 0xa1b2c3d4;
inline constexpr std::uint16_t kPcapVersionMajor = 2;
inline constexpr std::uint16_t kPcapVersionMinor = 4;
inline constexpr std::uint32_t kSnapLength = 65535;
inline constexpr std::size_t kFileHeaderSize = 24;
inline constexpr std::size_t kRecordHeaderSize = 16;

/// LINKTYPE_RAW: each packet starts with an IPv4 or IPv6 header; the version nibble tells
/// which, so one file holds both families.
inline constexpr std::uint32_t kLinkTypeRaw = 101;
/// LINKTYPE_USER0 (DLT_USER0): the Unix-domain encapsulation below, which
/// tools/wireshark/calc.lua registers for.
inline constexpr std::uint32_t kLinkTypeUser0 = 147;

// Synthesised headers of IP records: no options, no extension headers.
inline constexpr std::size_t kIpv4HeaderSize = 20;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::size_t kUdpHeaderSize = 8;
inline constexpr std::uint8_t kHopLimit = 64;  // IPv4 TTL and IPv6 hop limit

// The Unix-domain encapsulation ("sockcalc-unix", version 1), one per LINKTYPE_USER0 packet:
//   offset 0  1 byte   version (kUnixEncapVersion)
//          1  1 byte   reserved, 0
//          2  2 bytes  length F of the source address text, big-endian
//          4  2 bytes  length T of the destination address text, big-endian
//          6  F bytes  source address as Address::to_string() prints it ("unix:@0001f")
//        6+F  T bytes  destination address text ("unix:/tmp/calc.sock")
//      6+F+T  rest     the datagram, byte for byte
inline constexpr std::uint8_t kUnixEncapVersion = 1;
inline constexpr std::size_t kUnixEncapFixedSize = 6;

/// What one capture file holds: classic pcap has one link type per file, so a file holds either
/// IP (UDP over IPv4 and IPv6) or Unix-domain datagrams. Chosen when the file is opened.
enum class Link { ip, unix_domain };

/// The link a capture of traffic on `local` needs: unix_domain for a Unix address, else ip.
Link link_for(const Address& local);

class PcapWriter {
 public:
  /// Creates (or truncates) `path` and writes the pcap file header for `link`. The file is
  /// readable once open() returns. Fails with "cannot open pcap file PATH: reason" or
  /// "cannot write pcap file PATH: reason".
  static Result<PcapWriter> open(const std::string& path, Link link = Link::ip);

  /// A moved-from writer may only be destroyed or assigned to.
  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  /// Closes the file; errors are lost (call close() to see them). Never throws.
  ~PcapWriter();

  /// Appends one record: the datagram `payload` sent from `from` to `to` at `when`.
  ///
  /// Link::ip: both addresses must be IP. The packet is an IPv4 or IPv6 header, a UDP header
  /// and the payload, with correct lengths and checksums (IPv4 header checksum; UDP checksum
  /// over the pseudo-header, never 0). The family: IPv4 when one end is IPv4 or an IPv4-mapped
  /// IPv6 address (::ffff:a.b.c.d) and the other one is too, or is the unspecified address
  /// (`::`, written 0.0.0.0) -- so a dual-stack server's traffic with an IPv4 client reads as
  /// IPv4 --; otherwise IPv6, with any IPv4 end written as ::ffff:a.b.c.d.
  /// Link::unix_domain: both addresses must be Unix-domain; the packet is the encapsulation
  /// above.
  ///
  /// The record reaches the kernel (one write(2)) before write() returns: nothing is buffered
  /// in the process, so a crash loses no record. Any thread may call it; calls are serialised.
  /// Fails on a family that does not fit the file's link, on a datagram longer than UDP can
  /// carry (IPv4: 65507 bytes, IPv6: 65527), on a time before 1970 or after 2106, and on a
  /// failed write (a full disk, a file size limit: the file is then cut back to its last whole
  /// record, unless it is a pipe, and later writes are refused).
  Status write(const Address& from, const Address& to, std::span<const std::byte> payload,
               std::chrono::system_clock::time_point when);

  /// As write(), for a datagram of `wire_length` bytes of which only `held` were received (a
  /// receive truncated with MSG_TRUNC): the record holds `held` and its original length, and the
  /// IP and UDP lengths say `wire_length`. The UDP checksum of such a record cannot be known:
  /// IPv4 records carry 0 ("no checksum"), IPv6 records a checksum over the held bytes; readers
  /// cannot verify a truncated packet and do not complain. wire_length < held.size() is
  /// treated as held.size().
  Status write_truncated(const Address& from, const Address& to, std::span<const std::byte> held,
                         std::size_t wire_length, std::chrono::system_clock::time_point when);

  /// Closes the file and reports the close error, if any. Later writes fail. Idempotent.
  Status close();

  [[nodiscard]] Link link() const;
  [[nodiscard]] const std::string& path() const;
  /// Number of records written so far.
  [[nodiscard]] std::uint64_t records() const;

 private:
  struct State;
  explicit PcapWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace sockcalc::capture
