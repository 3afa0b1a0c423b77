// SPDX-License-Identifier: MIT
// capture/pcap_writer.cpp -- implementation of capture/pcap_writer.hpp.
// Builds each record in a reused buffer and hands it to the kernel in one write(2).
// All state sits behind State::mutex.
#include "sockcalc/capture/pcap_writer.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc::capture {
namespace {

using Bytes = std::span<const std::byte>;
using Ip6 = std::array<std::byte, 16>;

constexpr std::uint8_t kProtocolUdp = 17;  // IANA protocol number, IPv4 and IPv6 alike
constexpr std::uint16_t kIpv4DontFragment = 0x4000;
// The largest UDP payload: the UDP length field is 16 bits and counts its own 8-byte header;
// IPv4's total length (16 bits) also counts the 20-byte IP header.
constexpr std::size_t kMaxUdpPayloadV6 = 65535 - kUdpHeaderSize;                    // 65527
constexpr std::size_t kMaxUdpPayloadV4 = 65535 - kUdpHeaderSize - kIpv4HeaderSize;  // 65507

// Append helpers. Packet headers are big-endian; the pcap headers are in host order.
void put8(std::vector<std::byte>& b, std::uint8_t v) { b.push_back(std::byte{v}); }
void put16be(std::vector<std::byte>& b, std::uint16_t v) {
  put8(b, static_cast<std::uint8_t>(v >> 8));
  put8(b, static_cast<std::uint8_t>(v));
}
void put32be(std::vector<std::byte>& b, std::uint32_t v) {
  put16be(b, static_cast<std::uint16_t>(v >> 16));
  put16be(b, static_cast<std::uint16_t>(v));
}
template <typename T>
void put_host(std::vector<std::byte>& b, T v) {
  std::array<std::byte, sizeof(T)> raw;
  std::memcpy(raw.data(), &v, sizeof(T));
  b.insert(b.end(), raw.begin(), raw.end());
}
void put_bytes(std::vector<std::byte>& b, Bytes bytes) {
  b.insert(b.end(), bytes.begin(), bytes.end());
}
void set16be(std::vector<std::byte>& b, std::size_t at, std::uint16_t v) {
  b[at] = std::byte(v >> 8);
  b[at + 1] = std::byte(v & 0xFF);
}

// One's complement sum of big-endian 16-bit words, carried in 32 bits; folded by finish().
// Every span but the last one given must have an even length.
std::uint32_t sum_words(std::uint32_t sum, Bytes bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    sum += (std::to_integer<std::uint32_t>(bytes[i]) << 8) |
           std::to_integer<std::uint32_t>(bytes[i + 1]);
  }
  if (i < bytes.size()) sum += std::to_integer<std::uint32_t>(bytes[i]) << 8;
  return sum;
}
std::uint16_t finish(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFF);
}

// Both ends of an IP record in IPv6 form (IPv4 as ::ffff:a.b.c.d), plus the ports.
struct IpEnds {
  Ip6 src{}, dst{};
  std::uint16_t src_port = 0, dst_port = 0;
};

Ip6 as_ip6(const Address& a) {
  Ip6 out{};
  if (a.family() == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a.data());
    std::memcpy(out.data(), &sin6->sin6_addr, out.size());
  } else {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(a.data());
    out[10] = out[11] = std::byte{0xFF};
    std::memcpy(out.data() + 12, &sin->sin_addr, 4);
  }
  return out;
}
bool is_v4_mapped(const Ip6& a) {
  return std::all_of(a.begin(), a.begin() + 10, [](std::byte b) { return b == std::byte{0}; }) &&
         a[10] == std::byte{0xFF} && a[11] == std::byte{0xFF};
}
bool is_unspecified(const Ip6& a) {
  return std::all_of(a.begin(), a.end(), [](std::byte b) { return b == std::byte{0}; });
}

// The Internet checksum (RFC 1071) of `bytes`: the one's complement of the one's complement
// sum of 16-bit big-endian words, an odd last byte padded with 0. Checked through what the
// writer writes: pcap_writer_test sums each header back with its own code, and tshark
// validates every checksum.
std::uint16_t internet_checksum(std::span<const std::byte> bytes) {
  return finish(sum_words(0, bytes));
}

}  // namespace

Link link_for(const Address& local) { return local.is_unix() ? Link::unix_domain : Link::ip; }

struct PcapWriter::State {
  std::mutex mutex;
  std::string path;
  Link link = Link::ip;
  UniqueFd fd;
  bool failed = false;
  std::uint64_t records = 0;
  off_t whole = 0;  // bytes of the file header and whole records written so far
  std::uint16_t ipv4_id = 0;
  std::vector<std::byte> buffer;  // the record being built; reused

  Status write_all(const std::vector<std::byte>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        failed = true;
        // A record cut short (a disk full midway) would make readers reject the whole file:
        // cut it back to its last whole record where the file allows (not a pipe).
        if (done > 0) (void)::ftruncate(fd.get(), whole);
        return errno_error(error, "cannot write pcap file " + path);
      }
      done += static_cast<std::size_t>(n);
    }
    whole += static_cast<off_t>(bytes.size());
    return Ok{};
  }

  Status fail(int error, const std::string& what) const {
    return errno_error(error, "cannot write " + what + " to pcap file " + path);
  }

  // Appends the IP and UDP headers of one datagram; the caller appends the held payload.
  Status put_ip_udp(const Address& from, const Address& to, Bytes held, std::size_t wire_length) {
    const IpEnds e{as_ip6(from), as_ip6(to), from.port(), to.port()};
    const bool v4 = (is_v4_mapped(e.src) || is_v4_mapped(e.dst)) &&
                    (is_v4_mapped(e.src) || is_unspecified(e.src)) &&
                    (is_v4_mapped(e.dst) || is_unspecified(e.dst));
    if (wire_length > (v4 ? kMaxUdpPayloadV4 : kMaxUdpPayloadV6)) {
      return fail(EMSGSIZE, "a datagram of " + std::to_string(wire_length) + " bytes");
    }
    const auto udp_length = static_cast<std::uint16_t>(kUdpHeaderSize + wire_length);
    const Bytes src = v4 ? Bytes(e.src).subspan(12) : Bytes(e.src);
    const Bytes dst = v4 ? Bytes(e.dst).subspan(12) : Bytes(e.dst);
    // The pseudo-header the UDP checksum covers (RFC 768; RFC 8200 section 8.1).
    std::uint32_t sum = sum_words(sum_words(0, src), dst);
    sum += kProtocolUdp;
    sum += udp_length;  // the IPv6 form's 32-bit length has 16 zero high bits
    if (v4) {
      const std::size_t ip_start = buffer.size();
      put8(buffer, 0x45);  // version 4, header length 5 words
      put8(buffer, 0);     // DSCP/ECN
      put16be(buffer, static_cast<std::uint16_t>(kIpv4HeaderSize + udp_length));
      put16be(buffer, ipv4_id++);
      put16be(buffer, kIpv4DontFragment);
      put8(buffer, kHopLimit);
      put8(buffer, kProtocolUdp);
      put16be(buffer, 0);  // header checksum, set below
      put_bytes(buffer, src);
      put_bytes(buffer, dst);
      const auto header = Bytes(buffer).subspan(ip_start, kIpv4HeaderSize);
      set16be(buffer, ip_start + 10, internet_checksum(header));
    } else {
      put32be(buffer, 0x60000000);  // version 6, traffic class 0, flow label 0
      put16be(buffer, udp_length);  // payload length: everything after the fixed header
      put8(buffer, kProtocolUdp);   // next header
      put8(buffer, kHopLimit);
      put_bytes(buffer, src);
      put_bytes(buffer, dst);
    }
    const std::size_t udp_start = buffer.size();
    put16be(buffer, e.src_port);
    put16be(buffer, e.dst_port);
    put16be(buffer, udp_length);
    put16be(buffer, 0);          // checksum, set below
    std::uint16_t checksum = 0;  // IPv4: 0 means "no checksum", for truncated records
    if (!v4 || held.size() == wire_length) {
      sum = sum_words(sum, Bytes(buffer).subspan(udp_start, kUdpHeaderSize));
      checksum = finish(sum_words(sum, held));
      // A computed 0 is sent as all ones: 0 means "no checksum" (RFC 768), illegal in IPv6.
      if (checksum == 0) checksum = 0xFFFF;
    }
    set16be(buffer, udp_start + 6, checksum);
    return Ok{};
  }

  void put_unix(const Address& from, const Address& to) {
    const std::string f = from.to_string();
    const std::string t = to.to_string();
    put8(buffer, kUnixEncapVersion);
    put8(buffer, 0);
    put16be(buffer, static_cast<std::uint16_t>(f.size()));
    put16be(buffer, static_cast<std::uint16_t>(t.size()));
    put_bytes(buffer, std::as_bytes(std::span(f)));
    put_bytes(buffer, std::as_bytes(std::span(t)));
  }

  Status write(const Address& from, const Address& to, Bytes held, std::size_t wire_length,
               std::chrono::system_clock::time_point when) {
    wire_length = std::max(wire_length, held.size());
    if (!fd.valid() || failed) return fail(EBADF, "a record");
    const bool want_unix = link == Link::unix_domain;
    auto fits = [want_unix](const Address& a) {
      return want_unix ? a.is_unix() : (a.family() == AF_INET || a.family() == AF_INET6);
    };
    if (!fits(from) || !fits(to)) {
      return validation_error("cannot write " + from.to_string() + " -> " + to.to_string() +
                              " to the " + (want_unix ? "Unix-domain" : "IP") + " pcap file " +
                              path + ": another address family");
    }
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
    constexpr std::int64_t kPerSecond = 1'000'000;
    if (us < 0 || us / kPerSecond > std::numeric_limits<std::uint32_t>::max()) {
      return fail(EOVERFLOW, "a time outside 1970..2106");
    }

    buffer.clear();
    buffer.resize(kRecordHeaderSize);  // filled once the packet's size is known
    if (want_unix) {
      put_unix(from, to);
    } else if (Status s = put_ip_udp(from, to, held, wire_length); !s) {
      return s;
    }
    const std::size_t headers = buffer.size() - kRecordHeaderSize;
    const std::size_t kept =
        std::min(held.size(), kSnapLength - std::min<std::size_t>(headers, kSnapLength));
    put_bytes(buffer, held.first(kept));

    const std::array<std::uint32_t, 4> record_header{
        static_cast<std::uint32_t>(us / kPerSecond),         // ts_sec
        static_cast<std::uint32_t>(us % kPerSecond),         // ts_usec
        static_cast<std::uint32_t>(headers + kept),          // incl_len
        static_cast<std::uint32_t>(headers + wire_length)};  // orig_len
    static_assert(sizeof record_header == kRecordHeaderSize);
    std::memcpy(buffer.data(), record_header.data(), kRecordHeaderSize);
    if (Status s = write_all(buffer); !s) return s;
    ++records;
    return Ok{};
  }
};

PcapWriter::PcapWriter(std::unique_ptr<State> state) : s_(std::move(state)) {}
PcapWriter::PcapWriter(PcapWriter&& other) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept = default;
PcapWriter::~PcapWriter() = default;

Result<PcapWriter> PcapWriter::open(const std::string& path, Link link) {
  auto s = std::make_unique<State>();
  s->path = path;
  s->link = link;
  s->fd.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!s->fd.valid()) return errno_error(errno, "cannot open pcap file " + path);
  std::vector<std::byte> header;
  put_host(header, kPcapMagic);
  put_host(header, kPcapVersionMajor);
  put_host(header, kPcapVersionMinor);
  put_host(header, std::int32_t{0});   // thiszone: timestamps are UTC
  put_host(header, std::uint32_t{0});  // sigfigs
  put_host(header, kSnapLength);
  put_host(header, link == Link::ip ? kLinkTypeRaw : kLinkTypeUser0);
  if (Status st = s->write_all(header); !st) return st.error();
  return PcapWriter(std::move(s));
}

Status PcapWriter::write(const Address& from, const Address& to, std::span<const std::byte> payload,
                         std::chrono::system_clock::time_point when) {
  const std::lock_guard lock(s_->mutex);
  return s_->write(from, to, payload, payload.size(), when);
}

Status PcapWriter::write_truncated(const Address& from, const Address& to,
                                   std::span<const std::byte> held, std::size_t wire_length,
                                   std::chrono::system_clock::time_point when) {
  const std::lock_guard lock(s_->mutex);
  return s_->write(from, to, held, wire_length, when);
}

Status PcapWriter::close() {
  const std::lock_guard lock(s_->mutex);
  if (!s_->fd.valid()) return Ok{};
  // close(2) is not retried on EINTR: on Linux the descriptor is gone either way. Closed here,
  // not by UniqueFd, whose destructor cannot report the error a full disk gives at close.
  const int rc = ::close(s_->fd.release());
  if (rc != 0) return errno_error(errno, "cannot close pcap file " + s_->path);
  return Ok{};
}

Link PcapWriter::link() const { return s_->link; }
const std::string& PcapWriter::path() const { return s_->path; }
std::uint64_t PcapWriter::records() const {
  const std::lock_guard lock(s_->mutex);
  return s_->records;
}

}  // namespace sockcalc::capture
