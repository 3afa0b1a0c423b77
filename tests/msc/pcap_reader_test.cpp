// SPDX-License-Identifier: MIT
// msc/pcap_reader_test.cpp -- capture::read_pcap: what PcapWriter writes reads back datagram
// for datagram (IPv6, IPv4, a truncated receive, Unix-domain), in either byte order and inside
// Ethernet frames; a file cut anywhere, another format or a damaged record is a clear error.
#include "sockcalc/capture/pcap_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "msc/mscgen.hpp"
#include "sockcalc/address/address.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "support/process.hpp"

namespace sockcalc::capture {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::system_clock;

const Clock::time_point kWhen = Clock::time_point(std::chrono::microseconds(1'800'000'000'123'456));

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out;
  for (char c : text) out.push_back(std::byte(static_cast<unsigned char>(c)));
  return out;
}

Address parse(const std::string& text) {
  auto a = Address::parse(text);
  EXPECT_TRUE(a) << text;
  return a ? *a : Address();
}

// Writes a capture with `write` into a scratch file and returns its bytes.
template <typename Write>
std::vector<std::byte> capture_of(Link link, Write write) {
  auto dir = testing::TempDir::create();
  EXPECT_TRUE(dir);
  const std::string path = dir->path() + "/c.pcap";
  auto writer = PcapWriter::open(path, link);
  EXPECT_TRUE(writer) << writer.error().message();
  write(*writer);
  EXPECT_TRUE(writer->close());
  return bytes_of(msc_test::read_file(path));
}

std::vector<std::byte> ip_capture() {
  return capture_of(Link::ip, [](PcapWriter& w) {
    const auto req = bytes_of(std::string("\0\0\0\0\1", 5));
    EXPECT_TRUE(w.write(parse("[::1]:5000"), parse("[::1]:10000"), req, kWhen));
    EXPECT_TRUE(w.write(parse("127.0.0.1:5001"), parse("127.0.0.1:10000"), req,
                        kWhen + std::chrono::milliseconds(250)));
    const auto held = bytes_of("abcd");
    EXPECT_TRUE(w.write_truncated(parse("[::1]:5000"), parse("[::1]:10000"), held, 300,
                                  kWhen + std::chrono::seconds(1)));
  });
}

TEST(PcapReader, ReadsBackWhatThePcapWriterWrote) {
  const auto file = ip_capture();
  auto read = read_pcap(file, "c.pcap");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->link_type, kLinkTypeRaw);
  ASSERT_EQ(read->datagrams.size(), 3u);
  const CapturedDatagram& v6 = read->datagrams[0];
  EXPECT_EQ(v6.from, "[::1]:5000");
  EXPECT_EQ(v6.to, "[::1]:10000");
  EXPECT_EQ(v6.from_port, 5000);
  EXPECT_EQ(v6.to_port, 10000);
  EXPECT_EQ(v6.bytes, bytes_of(std::string("\0\0\0\0\1", 5)));
  EXPECT_EQ(v6.when, kWhen);
  EXPECT_EQ(read->datagrams[1].from, "127.0.0.1:5001");
  EXPECT_EQ(read->datagrams[1].when, kWhen + std::chrono::milliseconds(250));
  // A truncated receive: the bytes held, and its real length from the UDP header.
  EXPECT_EQ(read->datagrams[2].bytes, bytes_of("abcd"));
  EXPECT_EQ(read->datagrams[2].wire_length, 300u);
}

TEST(PcapReader, ReadsUnixDomainCaptures) {
  const auto file = capture_of(Link::unix_domain, [](PcapWriter& w) {
    EXPECT_TRUE(w.write(*Address::parse_unix("unix:@c1"), *Address::parse_unix("unix:/tmp/s"),
                        bytes_of("xyz"), kWhen));
  });
  auto read = read_pcap(file, "u.pcap");
  ASSERT_TRUE(read) << read.error().message();
  ASSERT_EQ(read->datagrams.size(), 1u);
  EXPECT_EQ(read->datagrams[0].from, "unix:@c1");
  EXPECT_EQ(read->datagrams[0].to, "unix:/tmp/s");
  EXPECT_EQ(read->datagrams[0].from_port, 0);
  EXPECT_EQ(read->datagrams[0].bytes, bytes_of("xyz"));
}

// The same file with every header field in the other byte order (the magic says which).
std::vector<std::byte> swapped(std::vector<std::byte> file) {
  const auto swap_at = [&](std::size_t at, std::size_t n) {
    std::reverse(file.begin() + static_cast<long>(at), file.begin() + static_cast<long>(at + n));
  };
  swap_at(0, 4);
  swap_at(4, 2);
  swap_at(6, 2);
  for (std::size_t at : {8, 12, 16, 20}) swap_at(at, 4);
  std::size_t at = kFileHeaderSize;
  while (at < file.size()) {
    std::uint32_t held = 0;
    for (int i = 0; i < 4; ++i) held |= std::to_integer<std::uint32_t>(file[at + 8 + i]) << (8 * i);
    for (std::size_t f = 0; f < 16; f += 4) swap_at(at + f, 4);
    at += kRecordHeaderSize + held;
  }
  return file;
}

TEST(PcapReader, ReadsEitherByteOrder) {
  const auto file = ip_capture();
  auto native = read_pcap(file, "n.pcap");
  auto other = read_pcap(swapped(file), "s.pcap");
  ASSERT_TRUE(native);
  ASSERT_TRUE(other) << other.error().message();
  ASSERT_EQ(other->datagrams.size(), native->datagrams.size());
  for (std::size_t i = 0; i < native->datagrams.size(); ++i) {
    EXPECT_EQ(other->datagrams[i].from, native->datagrams[i].from);
    EXPECT_EQ(other->datagrams[i].when, native->datagrams[i].when);
    EXPECT_EQ(other->datagrams[i].bytes, native->datagrams[i].bytes);
  }
}

TEST(PcapReader, ReadsIpInsideEthernetFrames) {
  // The raw capture's records, each behind a 14-byte Ethernet header, link type 1.
  const auto raw = ip_capture();
  std::vector<std::byte> file(raw.begin(), raw.begin() + kFileHeaderSize);
  file[20] = std::byte{1};  // link type 1 (little-endian, as this machine wrote it)
  std::size_t at = kFileHeaderSize;
  while (at < raw.size()) {
    std::uint32_t held = 0;
    for (int i = 0; i < 4; ++i) held |= std::to_integer<std::uint32_t>(raw[at + 8 + i]) << (8 * i);
    std::vector<std::byte> record(raw.begin() + static_cast<long>(at),
                                  raw.begin() + static_cast<long>(at + kRecordHeaderSize));
    for (std::size_t f : {8, 12}) record[f] = std::byte(std::to_integer<int>(record[f]) + 14);
    const int version = std::to_integer<int>(raw[at + kRecordHeaderSize]) >> 4;
    std::vector<std::byte> ethernet(12, std::byte{0x02});
    ethernet.push_back(std::byte(version == 6 ? 0x86 : 0x08));
    ethernet.push_back(std::byte(version == 6 ? 0xdd : 0x00));
    file.insert(file.end(), record.begin(), record.end());
    file.insert(file.end(), ethernet.begin(), ethernet.end());
    file.insert(file.end(), raw.begin() + static_cast<long>(at + kRecordHeaderSize),
                raw.begin() + static_cast<long>(at + kRecordHeaderSize + held));
    at += kRecordHeaderSize + held;
  }
  auto read = read_pcap(file, "e.pcap");
  ASSERT_TRUE(read) << read.error().message();
  ASSERT_EQ(read->datagrams.size(), 3u);
  EXPECT_EQ(read->datagrams[1].from, "127.0.0.1:5001");
  EXPECT_EQ(read->skipped, 0u);
}

TEST(PcapReader, AFileCutAnywhereInsideARecordIsTruncated) {
  const auto file = ip_capture();
  std::vector<std::size_t> boundaries{kFileHeaderSize};
  for (std::size_t at = kFileHeaderSize; at < file.size();) {
    std::uint32_t held = 0;
    for (int i = 0; i < 4; ++i) held |= std::to_integer<std::uint32_t>(file[at + 8 + i]) << (8 * i);
    at += kRecordHeaderSize + held;
    boundaries.push_back(at);
  }
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto read = read_pcap(std::span(file).first(n), "cut.pcap");
    const auto whole = std::find(boundaries.begin(), boundaries.end(), n);
    if (whole != boundaries.end()) {
      ASSERT_TRUE(read) << "cut at " << n << ": " << read.error().message();
      EXPECT_EQ(read->datagrams.size(), static_cast<std::size_t>(whole - boundaries.begin()));
    } else {
      ASSERT_FALSE(read) << "cut at " << n;
      EXPECT_THAT(read.error().message(), HasSubstr("cut.pcap is truncated: ")) << n;
    }
  }
}

TEST(PcapReader, OtherFormatsAndDamagedRecordsAreNamed) {
  auto text = read_pcap(bytes_of("root:x:0:0:root:/root:/bin/bash\n"), "passwd");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message(),
            "passwd is not a pcap file: it starts with 0x726f6f74, where a pcap file starts "
            "with a1b2c3d4 or d4c3b2a1");

  std::vector<std::byte> pcapng = bytes_of(std::string("\x0a\x0d\x0d\x0a", 4));
  pcapng.resize(28);
  auto ng = read_pcap(pcapng, "x.pcapng");
  ASSERT_FALSE(ng);
  EXPECT_THAT(ng.error().message(), HasSubstr("x.pcapng is a pcapng file"));
  EXPECT_THAT(ng.error().message(), HasSubstr("--tshark"));

  auto file = ip_capture();
  file[kFileHeaderSize + 10] = std::byte{0x10};  // the first record claims 1 MiB and more
  auto damaged = read_pcap(file, "d.pcap");
  ASSERT_FALSE(damaged);
  EXPECT_THAT(damaged.error().message(), HasSubstr("d.pcap is damaged: record 1 (at byte 24)"));

  file = ip_capture();
  file[20] = std::byte{0xc0};  // link type 192
  auto link = read_pcap(file, "l.pcap");
  ASSERT_FALSE(link);
  EXPECT_THAT(link.error().message(), HasSubstr("l.pcap has link type 192"));

  auto missing = read_pcap_file("/nonexistent-directory/c.pcap");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "cannot read pcap file /nonexistent-directory/c.pcap: no such file or directory");
}

}  // namespace
}  // namespace sockcalc::capture
