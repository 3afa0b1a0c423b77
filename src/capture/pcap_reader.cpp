// SPDX-License-Identifier: MIT
// capture/pcap_reader.cpp -- implementation of capture/pcap_reader.hpp.
// Field by field over spans, never a struct cast onto the buffer (the file may be in either
// byte order, and records are not aligned).
#include "sockcalc/capture/pcap_reader.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "sockcalc/address/address.hpp"
#include "sockcalc/capture/pcap_writer.hpp"

namespace sockcalc::capture {
namespace {

using Span = std::span<const std::byte>;

constexpr std::uint32_t kMagicSwapped = 0xd4c3b2a1;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kMagicNanoSwapped = 0x4d3cb2a1;
constexpr std::uint32_t kMagicPcapng = 0x0a0d0d0a;  // a section header block, either order
constexpr std::uint32_t kLinkTypeEthernet = 1;
constexpr std::uint32_t kLinkTypeLinuxSll = 113;
constexpr std::uint32_t kLinkTypeIpv4 = 228;
constexpr std::uint32_t kLinkTypeIpv6 = 229;
constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kVlanTag = 4;
constexpr std::size_t kSllHeader = 16;
constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint8_t kProtoUdp = 17;

std::uint8_t u8(Span s, std::size_t at) { return std::to_integer<std::uint8_t>(s[at]); }
std::uint16_t be16(Span s, std::size_t at) {
  return static_cast<std::uint16_t>(u8(s, at) << 8 | u8(s, at + 1));
}
std::uint32_t le32(Span s, std::size_t at) {
  return static_cast<std::uint32_t>(u8(s, at)) | static_cast<std::uint32_t>(u8(s, at + 1)) << 8 |
         static_cast<std::uint32_t>(u8(s, at + 2)) << 16 |
         static_cast<std::uint32_t>(u8(s, at + 3)) << 24;
}
std::uint32_t swap32(std::uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

struct Header {
  bool swapped = false;  // the file's byte order is not little-endian
  bool nano = false;
  std::uint32_t link = 0;
};

std::string hex32(std::uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

Result<Header> read_header(Span file, const std::string& name) {
  const auto truncated = [&] {
    return validation_error(name + " is truncated: a pcap file header has " +
                            std::to_string(kFileHeaderSize) + " bytes, the file has " +
                            std::to_string(file.size()));
  };
  // The magic first: a short file of another kind is named for what it is.
  if (file.size() < sizeof(std::uint32_t)) return truncated();
  const std::uint32_t magic = le32(file, 0);
  Header h;
  if (magic == kPcapMagic || magic == kMagicNano) {
    h.nano = magic == kMagicNano;
  } else if (magic == kMagicSwapped || magic == kMagicNanoSwapped) {
    h.swapped = true;
    h.nano = magic == kMagicNanoSwapped;
  } else if (magic == kMagicPcapng) {
    return validation_error(name +
                            " is a pcapng file, not a classic pcap file: convert it with "
                            "--tshark");
  } else {
    return validation_error(name + " is not a pcap file: it starts with " + hex32(swap32(magic)) +
                            ", where a pcap file starts with a1b2c3d4 or d4c3b2a1");
  }
  if (file.size() < kFileHeaderSize) return truncated();
  const auto word = [&](std::size_t at) {
    const std::uint32_t v = le32(file, at);
    return h.swapped ? swap32(v) : v;
  };
  h.link = word(20);
  return h;
}

// The ends of an IP address pair and ports, as Address prints them.
std::string ip_text(int family, Span addr, std::uint16_t port) {
  if (family == AF_INET) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    std::memcpy(&sa.sin_addr, addr.data(), 4);
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa).to_string();
  }
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  std::memcpy(&sa.sin6_addr, addr.data(), 16);
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa).to_string();
}

// The UDP datagram in an IP packet, or nothing (not UDP, a fragment, a broken header).
std::optional<CapturedDatagram> from_ip(Span packet) {
  if (packet.empty()) return std::nullopt;
  const int version = u8(packet, 0) >> 4;
  std::size_t udp = 0;
  int family = 0;
  Span src;
  Span dst;
  if (version == 4) {
    const std::size_t ihl = static_cast<std::size_t>(u8(packet, 0) & 0x0f) * 4;
    if (packet.size() < kIpv4HeaderSize || ihl < kIpv4HeaderSize || packet.size() < ihl) {
      return std::nullopt;
    }
    const bool fragment = (be16(packet, 6) & 0x3fff) != 0;  // MF set, or an offset
    if (u8(packet, 9) != kProtoUdp || fragment) return std::nullopt;
    family = AF_INET;
    src = packet.subspan(12, 4);
    dst = packet.subspan(16, 4);
    udp = ihl;
  } else if (version == 6) {
    if (packet.size() < kIpv6HeaderSize || u8(packet, 6) != kProtoUdp) return std::nullopt;
    family = AF_INET6;
    src = packet.subspan(8, 16);
    dst = packet.subspan(24, 16);
    udp = kIpv6HeaderSize;
  } else {
    return std::nullopt;
  }
  if (packet.size() < udp + kUdpHeaderSize) return std::nullopt;
  const std::uint16_t length = be16(packet, udp + 4);
  if (length < kUdpHeaderSize) return std::nullopt;
  CapturedDatagram d;
  d.from_port = be16(packet, udp);
  d.to_port = be16(packet, udp + 2);
  d.from = ip_text(family, src, d.from_port);
  d.to = ip_text(family, dst, d.to_port);
  const Span payload = packet.subspan(udp + kUdpHeaderSize);
  d.wire_length = length - kUdpHeaderSize;
  const Span held = payload.first(std::min(payload.size(), d.wire_length));
  d.bytes.assign(held.begin(), held.end());
  return d;
}

// The datagram of a Unix-domain record (the encapsulation of pcap_writer.hpp).
std::optional<CapturedDatagram> from_unix(Span packet) {
  if (packet.size() < kUnixEncapFixedSize || u8(packet, 0) != kUnixEncapVersion) {
    return std::nullopt;
  }
  const std::size_t f = be16(packet, 2);
  const std::size_t t = be16(packet, 4);
  if (packet.size() < kUnixEncapFixedSize + f + t) return std::nullopt;
  const auto text = [&](std::size_t at, std::size_t n) {
    return std::string(reinterpret_cast<const char*>(packet.data()) + at, n);
  };
  CapturedDatagram d;
  d.from = text(kUnixEncapFixedSize, f);
  d.to = text(kUnixEncapFixedSize + f, t);
  const Span payload = packet.subspan(kUnixEncapFixedSize + f + t);
  d.bytes.assign(payload.begin(), payload.end());
  d.wire_length = payload.size();
  return d;
}

// The network-layer packet of a link-layer frame, or an empty span when it is not IP.
Span ip_of(std::uint32_t link, Span frame) {
  std::size_t at = 0;
  std::uint16_t type = 0;
  if (link == kLinkTypeRaw || link == kLinkTypeIpv4 || link == kLinkTypeIpv6) return frame;
  if (link == kLinkTypeEthernet) {
    if (frame.size() < kEthernetHeader) return {};
    type = be16(frame, 12);
    at = kEthernetHeader;
    if (type == kEtherVlan && frame.size() >= at + kVlanTag) {
      type = be16(frame, at + 2);
      at += kVlanTag;
    }
  } else if (link == kLinkTypeLinuxSll) {
    if (frame.size() < kSllHeader) return {};
    type = be16(frame, 14);
    at = kSllHeader;
  }
  if (type != kEtherIpv4 && type != kEtherIpv6) return {};
  return frame.subspan(at);
}

bool known_link(std::uint32_t link) {
  return link == kLinkTypeRaw || link == kLinkTypeIpv4 || link == kLinkTypeIpv6 ||
         link == kLinkTypeEthernet || link == kLinkTypeLinuxSll || link == kLinkTypeUser0;
}

}  // namespace

Result<CaptureContents> read_pcap(Span file, const std::string& name) {
  auto header = read_header(file, name);
  if (!header) return header.error();
  const Header h = *header;
  if (!known_link(h.link)) {
    return validation_error(name + " has link type " + std::to_string(h.link) +
                            ", which this reader does not read: convert it with --tshark");
  }
  const auto word = [&](std::size_t at) {
    const std::uint32_t v = le32(file, at);
    return h.swapped ? swap32(v) : v;
  };
  CaptureContents contents;
  contents.link_type = h.link;
  std::size_t at = kFileHeaderSize;
  for (std::size_t record = 1; at < file.size(); ++record) {
    const std::string where =
        "record " + std::to_string(record) + " (at byte " + std::to_string(at) + ")";
    if (file.size() - at < kRecordHeaderSize) {
      return validation_error(name + " is truncated: " + where + " has " +
                              std::to_string(file.size() - at) + " bytes of its " +
                              std::to_string(kRecordHeaderSize) + "-byte header");
    }
    const std::uint32_t secs = word(at);
    const std::uint32_t frac = word(at + 4);
    const std::size_t held = word(at + 8);
    if (held > kMaxRecordSize) {
      return validation_error(name + " is damaged: " + where + " claims " + std::to_string(held) +
                              " bytes");
    }
    at += kRecordHeaderSize;
    if (file.size() - at < held) {
      return validation_error(name + " is truncated: " + where + " holds " + std::to_string(held) +
                              " bytes, the file has " + std::to_string(file.size() - at) + " more");
    }
    const Span frame = file.subspan(at, held);
    at += held;
    const auto d = h.link == kLinkTypeUser0 ? from_unix(frame) : from_ip(ip_of(h.link, frame));
    if (!d) {
      ++contents.skipped;
      continue;
    }
    contents.datagrams.push_back(*d);
    const auto since_epoch =
        std::chrono::seconds(secs) +
        (h.nano ? std::chrono::nanoseconds(frac) : std::chrono::microseconds(frac));
    contents.datagrams.back().when = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  }
  return contents;
}

Result<CaptureContents> read_pcap_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_error(errno, "cannot read pcap file " + path);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return errno_error(errno, "cannot read pcap file " + path);
  const Span file(reinterpret_cast<const std::byte*>(raw.data()), raw.size());
  return read_pcap(file, path);
}

}  // namespace sockcalc::capture
