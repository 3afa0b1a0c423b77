// SPDX-License-Identifier: MIT
// capture/pcap_writer_test.cpp -- tests/capture: capture::PcapWriter.
// Reads back the files it writes byte by byte (headers, lengths, checksums, address mapping),
// then has tshark verify the checksums. Single-threaded except the concurrency test.
#include "sockcalc/capture/pcap_writer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "capture/tshark.hpp"

namespace {

using sockcalc::Address;
using namespace sockcalc::capture;
using sockcalc::capture_test::ScratchDir;
using Clock = std::chrono::system_clock;

Address addr(const std::string& text) {
  auto a = sockcalc::is_unix_spec(text) ? Address::parse_unix(text) : Address::parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return a.ok() ? *a : Address{};
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(std::byte(v));
  return out;
}
std::vector<std::byte> filled(std::size_t n, int seed) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = std::byte((i * 37 + seed) & 0xFF);
  return out;
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <typename T>
T host_at(const std::vector<std::uint8_t>& f, std::size_t at) {
  T v{};
  std::memcpy(&v, f.data() + at, sizeof v);
  return v;
}
std::uint32_t be16(const std::vector<std::uint8_t>& p, std::size_t at) {
  return (std::uint32_t{p[at]} << 8) | p[at + 1];
}

struct Record {
  std::uint32_t sec = 0, usec = 0, incl = 0, orig = 0;
  std::vector<std::uint8_t> packet;
};

// Splits a pcap file into records; fails the test on a truncated file.
std::vector<Record> records_of(const std::vector<std::uint8_t>& f) {
  std::vector<Record> out;
  std::size_t at = kFileHeaderSize;
  while (at < f.size()) {
    if (at + kRecordHeaderSize > f.size()) {
      ADD_FAILURE() << "record header cut at " << at;
      break;
    }
    Record r{host_at<std::uint32_t>(f, at),
             host_at<std::uint32_t>(f, at + 4),
             host_at<std::uint32_t>(f, at + 8),
             host_at<std::uint32_t>(f, at + 12),
             {}};
    at += kRecordHeaderSize;
    if (at + r.incl > f.size()) {
      ADD_FAILURE() << "record data cut at " << at;
      break;
    }
    r.packet.assign(f.begin() + static_cast<std::ptrdiff_t>(at),
                    f.begin() + static_cast<std::ptrdiff_t>(at + r.incl));
    at += r.incl;
    out.push_back(std::move(r));
  }
  return out;
}

// One's complement sum of 16-bit big-endian words over several pieces (each but the last even).
std::uint32_t ones_sum(std::initializer_list<std::vector<std::uint8_t>> pieces) {
  std::uint32_t sum = 0;
  for (const auto& p : pieces) {
    for (std::size_t i = 0; i < p.size(); i += 2) {
      sum += (std::uint32_t{p[i]} << 8) | (i + 1 < p.size() ? p[i + 1] : 0u);
    }
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum;
}
std::vector<std::uint8_t> slice(const std::vector<std::uint8_t>& p, std::size_t from,
                                std::size_t n) {
  return {p.begin() + static_cast<std::ptrdiff_t>(from),
          p.begin() + static_cast<std::ptrdiff_t>(from + n)};
}

// A valid UDP checksum makes the sum over pseudo-header + UDP header + data all ones.
bool udp_checksum_ok(const std::vector<std::uint8_t>& packet) {
  const bool v4 = (packet[0] >> 4) == 4;
  const std::size_t ip = v4 ? kIpv4HeaderSize : kIpv6HeaderSize;
  const std::size_t udp_len = be16(packet, ip + 4);
  const auto src = v4 ? slice(packet, 12, 4) : slice(packet, 8, 16);
  const auto dst = v4 ? slice(packet, 16, 4) : slice(packet, 24, 16);
  const std::vector<std::uint8_t> tail{0, 17, static_cast<std::uint8_t>(udp_len >> 8),
                                       static_cast<std::uint8_t>(udp_len & 0xFF)};
  return ones_sum({src, dst, tail, slice(packet, ip, udp_len)}) == 0xFFFF;
}

const Clock::time_point kWhen =
    Clock::time_point(std::chrono::seconds(1700000000)) + std::chrono::microseconds(123456);

TEST(PcapWriter, FileHeaderIsClassicPcapWithTheLinkType) {
  ScratchDir dir;
  for (Link link : {Link::ip, Link::unix_domain}) {
    const std::string path = dir.file("header.pcap");
    auto w = PcapWriter::open(path, link);
    ASSERT_TRUE(w.ok()) << w.error().message();
    EXPECT_EQ(w->link(), link);
    EXPECT_EQ(w->path(), path);
    // Readable at once, before any record and before close.
    const auto f = read_all(path);
    ASSERT_EQ(f.size(), kFileHeaderSize);
    EXPECT_EQ(host_at<std::uint32_t>(f, 0), 0xa1b2c3d4u);
    EXPECT_EQ(host_at<std::uint16_t>(f, 4), 2u);
    EXPECT_EQ(host_at<std::uint16_t>(f, 6), 4u);
    EXPECT_EQ(host_at<std::int32_t>(f, 8), 0);
    EXPECT_EQ(host_at<std::uint32_t>(f, 12), 0u);
    EXPECT_EQ(host_at<std::uint32_t>(f, 16), 65535u);
    EXPECT_EQ(host_at<std::uint32_t>(f, 20), link == Link::ip ? 101u : 147u);
    EXPECT_TRUE(w->close().ok());
    EXPECT_TRUE(w->close().ok());  // idempotent
  }
  EXPECT_EQ(link_for(addr("unix:@x")), Link::unix_domain);
  EXPECT_EQ(link_for(addr("[::1]:1")), Link::ip);
  EXPECT_EQ(link_for(addr("127.0.0.1:1")), Link::ip);
}

TEST(PcapWriter, Ipv6RecordHasCorrectHeadersLengthsAndChecksum) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("v6.pcap"));
  ASSERT_TRUE(w.ok());
  const auto payload = filled(21, 1);
  ASSERT_TRUE(w->write(addr("[2001:db8::7]:40000"), addr("[::1]:10000"), payload, kWhen).ok());
  EXPECT_EQ(w->records(), 1u);
  const auto recs = records_of(read_all(w->path()));
  ASSERT_EQ(recs.size(), 1u);
  const Record& r = recs[0];
  EXPECT_EQ(r.sec, 1700000000u);
  EXPECT_EQ(r.usec, 123456u);
  EXPECT_EQ(r.incl, 40u + 8 + 21);
  EXPECT_EQ(r.orig, r.incl);
  const auto& p = r.packet;
  EXPECT_EQ(p[0], 0x60);           // version 6, traffic class 0
  EXPECT_EQ(be16(p, 4), 8u + 21);  // payload length
  EXPECT_EQ(p[6], 17);             // next header: UDP
  EXPECT_EQ(p[7], 64);             // hop limit
  EXPECT_EQ(slice(p, 8, 16), (std::vector<std::uint8_t>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 0, 0, 7}));
  EXPECT_EQ(p[39], 1);  // ::1
  EXPECT_EQ(be16(p, 40), 40000u);
  EXPECT_EQ(be16(p, 42), 10000u);
  EXPECT_EQ(be16(p, 44), 8u + 21);
  EXPECT_NE(be16(p, 46), 0u);  // mandatory in IPv6
  EXPECT_TRUE(udp_checksum_ok(p));
  EXPECT_EQ(std::memcmp(p.data() + 48, payload.data(), payload.size()), 0);
}

TEST(PcapWriter, Ipv4RecordHasCorrectHeaderChecksumAndUdpChecksum) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("v4.pcap"));
  ASSERT_TRUE(w.ok());
  for (std::size_t n : {0u, 1u, 5u, 258u}) {
    ASSERT_TRUE(
        w->write(addr("192.0.2.1:40001"), addr("127.0.0.1:10000"), filled(n, 3), kWhen).ok());
  }
  const auto recs = records_of(read_all(w->path()));
  ASSERT_EQ(recs.size(), 4u);
  std::size_t i = 0;
  for (std::size_t n : {0u, 1u, 5u, 258u}) {
    const auto& p = recs[i].packet;
    SCOPED_TRACE("payload of " + std::to_string(n) + " bytes");
    EXPECT_EQ(recs[i].incl, 20u + 8 + n);
    EXPECT_EQ(p[0], 0x45);
    EXPECT_EQ(be16(p, 2), 20u + 8 + n);  // total length
    EXPECT_EQ(be16(p, 4), i);            // identification counts records
    EXPECT_EQ(be16(p, 6), 0x4000u);      // DF
    EXPECT_EQ(p[8], 64);
    EXPECT_EQ(p[9], 17);
    EXPECT_EQ(ones_sum({slice(p, 0, 20)}), 0xFFFFu) << "IPv4 header checksum";
    EXPECT_EQ(slice(p, 12, 8), (std::vector<std::uint8_t>{192, 0, 2, 1, 127, 0, 0, 1}));
    EXPECT_EQ(be16(p, 24), 8u + n);
    EXPECT_TRUE(udp_checksum_ok(p));
    ++i;
  }
}

// A computed UDP checksum of 0 must go on the wire as 0xFFFF (RFC 768; 0 is illegal in IPv6).
TEST(PcapWriter, ComputedZeroChecksumIsWrittenAsAllOnes) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("zero.pcap"));
  ASSERT_TRUE(w.ok());
  for (const char* dst : {"[::1]:10000", "127.0.0.1:10000"}) {
    SCOPED_TRACE(dst);
    const Address from = addr(std::string(dst).front() == '[' ? "[::1]:40000" : "127.0.0.1:40000");
    ASSERT_TRUE(w->write(from, addr(dst), bytes({0, 0}), kWhen).ok());
    const auto first = records_of(read_all(w->path())).back().packet;
    const std::size_t at = first.size() - 4;  // the checksum, before the 2 payload bytes
    const std::uint32_t c = be16(first, at);
    // Adding the word c to a sum whose complement is c makes the sum all ones: checksum 0.
    ASSERT_TRUE(w->write(from, addr(dst), bytes({int(c >> 8), int(c & 0xFF)}), kWhen).ok());
    const auto second = records_of(read_all(w->path())).back().packet;
    EXPECT_EQ(be16(second, at), 0xFFFFu);
    EXPECT_TRUE(udp_checksum_ok(second));
  }
}

TEST(PcapWriter, MixedFamiliesGiveOneConsistentPacket) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("mixed.pcap"));
  ASSERT_TRUE(w.ok());
  // A dual-stack server on `::` and an IPv4 client, both directions: IPv4, `::` as 0.0.0.0.
  ASSERT_TRUE(
      w->write(addr("[::ffff:127.0.0.1]:40002"), addr("[::]:10000"), filled(5, 0), kWhen).ok());
  ASSERT_TRUE(
      w->write(addr("[::]:10000"), addr("[::ffff:127.0.0.1]:40002"), filled(5, 0), kWhen).ok());
  // An AF_INET end with an IPv4-mapped one: IPv4. (Records written to a file only: nothing is
  // ever sent to these addresses.)
  ASSERT_TRUE(
      w->write(addr("127.0.0.1:40003"), addr("[::ffff:10.1.2.3]:10000"), filled(5, 0), kWhen).ok());
  // An AF_INET end with a real IPv6 one: IPv6, the IPv4 end mapped.
  ASSERT_TRUE(w->write(addr("127.0.0.1:40004"), addr("[::1]:10000"), filled(5, 0), kWhen).ok());
  // Two unspecified ends stay IPv6.
  ASSERT_TRUE(w->write(addr("[::]:40005"), addr("[::]:10000"), filled(5, 0), kWhen).ok());
  const auto recs = records_of(read_all(w->path()));
  ASSERT_EQ(recs.size(), 5u);
  using V = std::vector<std::uint8_t>;
  EXPECT_EQ(recs[0].packet[0] >> 4, 4);
  EXPECT_EQ(slice(recs[0].packet, 12, 8), (V{127, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(slice(recs[1].packet, 12, 8), (V{0, 0, 0, 0, 127, 0, 0, 1}));
  EXPECT_EQ(slice(recs[2].packet, 12, 8), (V{127, 0, 0, 1, 10, 1, 2, 3}));
  EXPECT_EQ(recs[3].packet[0] >> 4, 6);
  EXPECT_EQ(slice(recs[3].packet, 8, 16),
            (V{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}));
  EXPECT_EQ(recs[4].packet[0] >> 4, 6);
  for (const Record& r : recs) {
    EXPECT_TRUE(udp_checksum_ok(r.packet));
    if ((r.packet[0] >> 4) == 4) {
      EXPECT_EQ(ones_sum({slice(r.packet, 0, 20)}), 0xFFFFu);
    }
  }
}

TEST(PcapWriter, TruncatedDatagramKeepsItsRealLength) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("trunc.pcap"));
  ASSERT_TRUE(w.ok());
  const auto held = filled(258, 9);
  ASSERT_TRUE(w->write_truncated(addr("[::1]:40000"), addr("[::1]:10000"), held, 1000, kWhen).ok());
  ASSERT_TRUE(
      w->write_truncated(addr("127.0.0.1:40000"), addr("127.0.0.1:10000"), held, 1000, kWhen).ok());
  // wire_length below held is treated as held: a complete record.
  ASSERT_TRUE(
      w->write_truncated(addr("127.0.0.1:40000"), addr("127.0.0.1:10000"), held, 3, kWhen).ok());
  const auto recs = records_of(read_all(w->path()));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].incl, 48u + 258);
  EXPECT_EQ(recs[0].orig, 48u + 1000);
  EXPECT_EQ(be16(recs[0].packet, 4), 8u + 1000);
  EXPECT_EQ(be16(recs[0].packet, 44), 8u + 1000);
  EXPECT_NE(be16(recs[0].packet, 46), 0u);
  EXPECT_EQ(recs[1].incl, 28u + 258);
  EXPECT_EQ(recs[1].orig, 28u + 1000);
  EXPECT_EQ(be16(recs[1].packet, 2), 28u + 1000);
  EXPECT_EQ(ones_sum({slice(recs[1].packet, 0, 20)}), 0xFFFFu);
  EXPECT_EQ(be16(recs[1].packet, 26), 0u);  // IPv4: "no checksum"
  EXPECT_EQ(recs[2].incl, recs[2].orig);
  EXPECT_TRUE(udp_checksum_ok(recs[2].packet));
}

TEST(PcapWriter, UnixRecordCarriesBothAddressesAndTheDatagram) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("unix.pcap"), Link::unix_domain);
  ASSERT_TRUE(w.ok());
  const Address client = addr("unix:@0001f");
  const Address server = addr("unix:/run/calc.sock");
  const auto payload = filled(9, 4);
  ASSERT_TRUE(w->write(client, server, payload, kWhen).ok());
  ASSERT_TRUE(w->write(server, client, {}, kWhen).ok());
  const auto recs = records_of(read_all(w->path()));
  ASSERT_EQ(recs.size(), 2u);
  const std::string c = client.to_string(), s = server.to_string();
  const auto& p = recs[0].packet;
  ASSERT_EQ(p.size(), kUnixEncapFixedSize + c.size() + s.size() + payload.size());
  EXPECT_EQ(p[0], kUnixEncapVersion);
  EXPECT_EQ(p[1], 0);
  EXPECT_EQ(be16(p, 2), c.size());
  EXPECT_EQ(be16(p, 4), s.size());
  EXPECT_EQ(std::string(p.begin() + 6, p.begin() + 6 + static_cast<std::ptrdiff_t>(c.size())), c);
  EXPECT_EQ(std::string(p.begin() + 6 + static_cast<std::ptrdiff_t>(c.size()),
                        p.begin() + 6 + static_cast<std::ptrdiff_t>(c.size() + s.size())),
            s);
  EXPECT_EQ(std::memcmp(p.data() + 6 + c.size() + s.size(), payload.data(), payload.size()), 0);
  EXPECT_EQ(recs[1].packet.size(), kUnixEncapFixedSize + c.size() + s.size());
  EXPECT_EQ(recs[1].orig, recs[1].incl);
}

TEST(PcapWriter, RefusesWhatTheFileCannotHold) {
  ScratchDir dir;
  auto ip = PcapWriter::open(dir.file("ip.pcap"));
  auto ux = PcapWriter::open(dir.file("ux.pcap"), Link::unix_domain);
  ASSERT_TRUE(ip.ok() && ux.ok());
  const Address v6 = addr("[::1]:1"), v4 = addr("127.0.0.1:1"), un = addr("unix:@a");
  const auto one = filled(1, 0);
  EXPECT_FALSE(ip->write(un, v6, one, kWhen).ok());
  EXPECT_FALSE(ip->write(v4, un, one, kWhen).ok());
  EXPECT_FALSE(ip->write(Address{}, v4, one, kWhen).ok());
  EXPECT_FALSE(ux->write(un, v6, one, kWhen).ok());
  const auto bad = ip->write(v6, v6, one, Clock::time_point(std::chrono::seconds(-1)));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), ::testing::HasSubstr(dir.file("ip.pcap")));
  // The largest UDP payloads: IPv4 65507, IPv6 65527 bytes.
  EXPECT_FALSE(ip->write(v4, v4, filled(65508, 0), kWhen).ok());
  EXPECT_TRUE(ip->write(v4, v4, filled(65507, 0), kWhen).ok());
  EXPECT_FALSE(ip->write(v6, v6, filled(65528, 0), kWhen).ok());
  EXPECT_TRUE(ip->write(v6, v6, filled(65527, 0), kWhen).ok());
  EXPECT_EQ(ip->records(), 2u);
  const auto recs = records_of(read_all(ip->path()));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].incl, 65535u);  // 20 + 8 + 65507: exactly the snap length
  EXPECT_TRUE(udp_checksum_ok(recs[0].packet));
  EXPECT_EQ(recs[1].incl, 65535u);           // cut at the snap length...
  EXPECT_EQ(recs[1].orig, 40u + 8 + 65527);  // ...but the original length is kept
  ASSERT_TRUE(ip->close().ok());
  EXPECT_FALSE(ip->write(v6, v6, one, kWhen).ok());  // closed

  const auto missing = PcapWriter::open(dir.file("no/such/dir/x.pcap"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message().rfind("cannot open pcap file ", 0), 0u)
      << missing.error().message();
}

// A write that fails midway (past a file size limit here; a full disk alike) leaves the file at
// its last whole record, so that readers still open it. In a child process: the limit is the
// process's, and SIGXFSZ is ignored there as every sockcalc program ignores it.
TEST(PcapWriter, RecordCutShortIsRemovedFromTheFile) {
  ScratchDir dir;
  const std::string path = dir.file("limited.pcap");
  const Address from = addr("[::1]:1000");
  const Address to = addr("[::1]:2000");
  const std::vector<std::byte> payload = filled(100, 1);
  constexpr std::size_t kRecord = kRecordHeaderSize + kIpv6HeaderSize + kUdpHeaderSize + 100;
  constexpr std::size_t kWhole = kFileHeaderSize + 2 * kRecord;
  constexpr rlim_t kLimit = kWhole + kRecord / 2;  // room for half of the third record
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{kLimit, kLimit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    auto w = PcapWriter::open(path);
    if (!w) ::_exit(11);
    for (int i = 0; i < 3; ++i) {
      const bool written = w->write(from, to, payload, Clock::now()).ok();
      if (written != (i < 2)) ::_exit(12 + i);  // the third one fails
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  EXPECT_EQ(std::filesystem::file_size(path), kWhole);
}

TEST(PcapWriter, ConcurrentWritersProduceWholeRecords) {
  ScratchDir dir;
  auto w = PcapWriter::open(dir.file("threads.pcap"));
  ASSERT_TRUE(w.ok());
  constexpr int kThreads = 4, kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&w, t] {
      const Address from = addr("[::1]:" + std::to_string(40000 + t));
      for (int i = 0; i < kEach; ++i) {
        EXPECT_TRUE(w->write(from, addr("[::1]:10000"),
                             filled(static_cast<std::size_t>(1 + t * 4), i), kWhen)
                        .ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(w->records(), std::uint64_t{kThreads * kEach});
  const auto recs = records_of(read_all(w->path()));
  ASSERT_EQ(recs.size(), std::size_t{kThreads * kEach});
  for (const Record& r : recs) {
    const std::size_t t = be16(r.packet, 40) - 40000;
    ASSERT_LT(t, std::size_t{kThreads});
    EXPECT_EQ(r.incl, 48 + 1 + t * 4);
    EXPECT_TRUE(udp_checksum_ok(r.packet));
  }
}

TEST(PcapWriter, TsharkFindsEveryChecksumAndLengthGood) {
  const auto tshark = sockcalc::capture_test::find_tshark();
  if (!tshark) GTEST_SKIP() << "tshark is not installed (make check installs it)";
  ScratchDir dir;
  const std::string path = dir.file("checked.pcap");
  auto w = PcapWriter::open(path);
  ASSERT_TRUE(w.ok());
  struct Case {
    const char* from;
    const char* to;
    std::size_t n;
    const char* version;
  };
  const Case cases[] = {
      {"[::1]:40000", "[::1]:10000", 21, "6"},
      {"[::1]:10000", "[::1]:40000", 5, "6"},
      {"[2001:db8::1]:40001", "[2001:db8::2]:10000", 257, "6"},
      {"[::1]:40002", "[::1]:10000", 0, "6"},
      {"[::1]:40003", "[::1]:10000", 3, "6"},
      {"127.0.0.1:40004", "127.0.0.1:10000", 21, "4"},
      {"127.0.0.1:10000", "127.0.0.1:40004", 4, "4"},
      {"127.0.0.1:40005", "127.0.0.1:10000", 0, "4"},
      {"[::ffff:127.0.0.1]:40006", "[::]:10000", 9, "4"},
      {"[::]:10000", "[::ffff:127.0.0.1]:40006", 7, "4"},
      {"127.0.0.1:40007", "[::1]:10000", 13, "6"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(w->write(addr(c.from), addr(c.to), filled(c.n, static_cast<int>(c.n)), kWhen).ok());
  }
  ASSERT_TRUE(w->close().ok());
  // Port 10000 is decoded as plain data, so that no heuristic dissector adds expert infos of its
  // own. Checksum status: 1 = good (0 would be bad).
  const auto run = sockcalc::capture_test::run_tshark(*tshark, dir.path(), path,
                                                      {"-o", "udp.check_checksum:TRUE",
                                                       "-o", "ip.check_checksum:TRUE",
                                                       "-d", "udp.port==10000,data",
                                                       "-T", "fields",
                                                       "-E", "separator=|",
                                                       "-e", "ip.version",
                                                       "-e", "ip.len",
                                                       "-e", "ip.checksum.status",
                                                       "-e", "ipv6.plen",
                                                       "-e", "udp.length",
                                                       "-e", "udp.checksum.status",
                                                       "-e", "frame.time_epoch",
                                                       "-e", "_ws.expert.message"});
  ASSERT_TRUE(run.started) << run.error;
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.err, "");
  std::vector<std::string> expected;
  for (const Case& c : cases) {
    const bool v4 = std::string(c.version) == "4";
    const std::string udp = std::to_string(8 + c.n);
    expected.push_back(std::string(c.version) + "|" + (v4 ? std::to_string(28 + c.n) : "") + "|" +
                       (v4 ? "1" : "") + "|" + (v4 ? "" : udp) + "|" + udp + "|1|" +
                       "1700000000.123456000|");
  }
  EXPECT_EQ(sockcalc::capture_test::lines_of(run.out), expected) << run.out;
}

TEST(PcapWriter, TsharkReadsTruncatedAndUnixRecordsWithoutComplaint) {
  const auto tshark = sockcalc::capture_test::find_tshark();
  if (!tshark) GTEST_SKIP() << "tshark is not installed (make check installs it)";
  ScratchDir dir;
  {
    auto w = PcapWriter::open(dir.file("trunc.pcap"));
    ASSERT_TRUE(w.ok());
    // Longer than UDP over IPv6 can say: refused.
    EXPECT_FALSE(
        w->write_truncated(addr("[::1]:40000"), addr("[::1]:10000"), filled(258, 1), 65528, kWhen)
            .ok());
    ASSERT_TRUE(
        w->write_truncated(addr("[::1]:40000"), addr("[::1]:10000"), filled(258, 1), 300, kWhen)
            .ok());
    ASSERT_TRUE(w->write_truncated(addr("127.0.0.1:40000"), addr("127.0.0.1:10000"), filled(258, 1),
                                   300, kWhen)
                    .ok());
  }
  auto run = sockcalc::capture_test::run_tshark(*tshark, dir.path(), dir.file("trunc.pcap"),
                                                {"-o", "udp.check_checksum:TRUE",
                                                 "-o", "ip.check_checksum:TRUE",
                                                 "-d", "udp.port==10000,data",
                                                 "-T", "fields",
                                                 "-E", "separator=|",
                                                 "-e", "frame.len",
                                                 "-e", "frame.cap_len",
                                                 "-e", "udp.length",
                                                 "-e", "udp.checksum.status",
                                                 "-e", "_ws.expert.message"});
  ASSERT_TRUE(run.started) << run.error;
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.err, "");
  // 2 = unverified (IPv6: cannot be checked on a cut packet), 3 = not present (IPv4's 0).
  EXPECT_EQ(sockcalc::capture_test::lines_of(run.out),
            (std::vector<std::string>{"348|306|308|2|", "328|286|308|3|"}))
      << run.out;

  {
    auto w = PcapWriter::open(dir.file("unix.pcap"), Link::unix_domain);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(
        w->write(addr("unix:@0001f"), addr("unix:/run/calc.sock"), filled(5, 1), kWhen).ok());
  }
  // Without the dissector the records are "user DLT" data: no warning, no error.
  run = sockcalc::capture_test::run_tshark(
      *tshark, dir.path(), dir.file("unix.pcap"),
      {"-T", "fields", "-E", "separator=|", "-e", "frame.len", "-e", "frame.encap_type"});
  ASSERT_TRUE(run.started) << run.error;
  EXPECT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.err, "");
  // 6-byte encapsulation header + "unix:@0001f" + "unix:/run/calc.sock" + 5 bytes; 45 is
  // WTAP_ENCAP_USER0, Wireshark's number for LINKTYPE_USER0.
  EXPECT_EQ(sockcalc::capture_test::lines_of(run.out),
            std::vector<std::string>{std::to_string(6 + 11 + 19 + 5) + "|45"});
}

}  // namespace
