// SPDX-License-Identifier: MIT
// tests/unit/describe_test.cpp -- unit tests of protocol/describe + core/hex (tests only).
// The texts of -v traces: course-style hex dumps and one-line meanings of datagrams.
// Single-threaded: plain GoogleTest cases.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "support/datagrams.hpp"
#include "support/hostile.hpp"

namespace sockcalc {
namespace {

using protocol::Bytes;
using protocol::Format;
using protocol::Op;
using protocol::Request;
using Datagram = std::vector<std::byte>;

Datagram raw(std::initializer_list<unsigned> values) {
  Datagram d;
  for (unsigned v : values) d.push_back(static_cast<std::byte>(v));
  return d;
}

Datagram text(std::string_view s) {
  Datagram d;
  for (char c : s) d.push_back(static_cast<std::byte>(c));
  return d;
}

Datagram encode(Op op, Format format, const std::vector<std::uint32_t>& values,
                std::uint8_t unused = 0) {
  return testing::encode(testing::make_request(op, format, values, unused));
}

// ---- core/hex ----

TEST(CourseHex, LowerCaseNoLeadingZeroSpaceSeparated) {
  EXPECT_EQ(course_hex(raw({0x0, 0x80, 0x3a})), "0x0 0x80 0x3a");
  EXPECT_EQ(course_hex(raw({0xff, 0x10, 0x0f, 0x01})), "0xff 0x10 0xf 0x1");
}

TEST(CourseHex, EmptyAndSingleByte) {
  EXPECT_EQ(course_hex(Bytes{}), "");
  EXPECT_EQ(course_hex(raw({0xAB})), "0xab");
}

TEST(CourseHex, SpecWorkedReply) {
  EXPECT_EQ(course_hex(testing::encode_success(945, Format::string)), "0x80 0x39 0x34 0x35");
  EXPECT_EQ(course_hex(testing::encode_success(25, Format::integer)), "0x80 0x0 0x0 0x0 0x19");
}

TEST(CourseHex, EveryByteValue) {
  Datagram all;
  for (unsigned v = 0; v < 256; ++v) all.push_back(static_cast<std::byte>(v));
  const std::string out = course_hex(all);
  EXPECT_EQ(out.substr(0, 19), "0x0 0x1 0x2 0x3 0x4");
  EXPECT_EQ(out.substr(out.size() - 9), "0xfe 0xff");
  // 16 one-digit bytes of 3 characters, 240 two-digit bytes of 4, 255 separators.
  EXPECT_EQ(out.size(), 16u * 3 + 240u * 4 + 255u);
}

TEST(PrintableOrEmpty, PrintableTextComesBack) {
  EXPECT_EQ(printable_or_empty(text("unknown opcode 2")), "unknown opcode 2");
  EXPECT_EQ(printable_or_empty(text(" ~")), " ~");  // the two ends of printable ASCII
}

TEST(PrintableOrEmpty, AnyNonPrintableByteGivesEmpty) {
  EXPECT_EQ(printable_or_empty(Bytes{}), "");
  EXPECT_EQ(printable_or_empty(raw({'a', 0x00, 'b'})), "");
  EXPECT_EQ(printable_or_empty(raw({'a', '\n'})), "");
  EXPECT_EQ(printable_or_empty(raw({'a', 0x7F})), "");
  EXPECT_EQ(printable_or_empty(raw({0x1F})), "");
  EXPECT_EQ(printable_or_empty(raw({0x80, 0x39})), "");
}

// ---- describe_request ----

TEST(DescribeRequest, SpecWorkedExample) {
  const Datagram d = encode(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  EXPECT_EQ(protocol::describe_request(d, d.size()), "sum, integer, 5 integers: 1 3 5 7 9");
}

TEST(DescribeRequest, SingleIntegerIsSingular) {
  const Datagram d = encode(Op::product, Format::string, {4294967295u});
  EXPECT_EQ(protocol::describe_request(d, d.size()), "product, string, 1 integer: 4294967295");
}

TEST(DescribeRequest, P3_UnusedBitsAreMentioned) {
  const Datagram d = encode(Op::sum, Format::string, {2}, 0xF);
  EXPECT_EQ(protocol::describe_request(d, d.size()), "sum, string, 1 integer: 2 (unused bits 15)");
}

TEST(DescribeRequest, BadRequestsNameTheBrokenRule) {
  EXPECT_EQ(protocol::describe_request(Bytes{}, 0), "bad request: empty request");
  Datagram d = encode(Op::sum, Format::integer, {1});
  d[0] = std::byte{0x04};  // opcode 2
  EXPECT_EQ(protocol::describe_request(d, d.size()), "bad request: unknown opcode 2");
  d.resize(1);
  d[0] = std::byte{0x00};
  EXPECT_EQ(protocol::describe_request(d, d.size()), "bad request: no integer");
  d.resize(3);
  EXPECT_EQ(protocol::describe_request(d, d.size()),
            "bad request: payload of 2 bytes is not a multiple of 4");
}

TEST(DescribeRequest, TruncatedDatagramUsesItsRealLength) {
  Datagram d = encode(Op::sum, Format::integer, {1});
  d.resize(wire::kRecvBufferSize);  // 258 bytes held of a 1001-byte datagram
  EXPECT_EQ(protocol::describe_request(d, 1001), "bad request: too many integers: 250 (max 64)");
}

// ---- describe_reply ----

TEST(DescribeReply, Results) {
  EXPECT_EQ(protocol::describe_reply(testing::encode_success(25, Format::integer), Format::integer),
            "result 25");
  EXPECT_EQ(protocol::describe_reply(testing::encode_success(945, Format::string), Format::string),
            "result 945");
}

TEST(DescribeReply, ErrorReplies) {
  const protocol::RequestFault opcode{protocol::RequestError::unknown_opcode, 2};
  EXPECT_EQ(protocol::describe_reply(testing::encode_error(opcode, 21), Format::integer),
            "error reply: unknown opcode 2");
  EXPECT_EQ(protocol::describe_reply(testing::encode_error(opcode, 1), Format::integer),
            "error reply");
  Datagram odd = testing::encode_error(opcode, 21);
  odd[3] = std::byte{0x01};
  EXPECT_EQ(protocol::describe_reply(odd, Format::string), "error reply (reason not printable)");
}

TEST(DescribeReply, MalformedReplies) {
  EXPECT_EQ(protocol::describe_reply(Bytes{}, Format::integer), "malformed reply: empty reply");
  Datagram three = testing::encode_success(25, Format::integer);
  three.pop_back();
  EXPECT_EQ(protocol::describe_reply(three, Format::integer),
            "malformed reply: integer result is not exactly 4 bytes");
  Datagram nul = testing::encode_success(945, Format::string);
  nul.push_back(std::byte{0});
  EXPECT_EQ(protocol::describe_reply(nul, Format::string),
            "malformed reply: string result holds a byte that is not a digit");
}

// ---- Hostile bytes (issue 10) ----
// A -v line shows what a peer sent: whatever the bytes, its meaning holds no control byte
// (hex, decimal numbers and printable ASCII only), so a datagram cannot forge or colour a line.

TEST(DescribeHostile, EveryByteInAReplyOrRequestGivesPrintableText) {
  for (unsigned b = 0; b < 256; ++b) {
    // A string result, an error reason and a malformed reply, each holding byte b among
    // digits; and a request whose header and payload are b.
    const Datagram hostile[] = {raw({0x80, '1', b, '2'}), raw({0x00, 'e', b, '\n', 0x1b, '['}),
                                raw({0x80, b}), raw({b, b, b, b, b})};
    for (const Datagram& d : hostile) {
      for (const Format f : {Format::integer, Format::string}) {
        const std::string reply = protocol::describe_reply(d, f);
        EXPECT_TRUE(testing::only_printable_ascii(reply)) << b << ": " << reply;
      }
      const std::string request = protocol::describe_request(d);
      EXPECT_TRUE(testing::only_printable_ascii(request)) << b << ": " << request;
    }
  }
}

}  // namespace
}  // namespace sockcalc
