// SPDX-License-Identifier: MIT
// tests/unit/handler_test.cpp -- unit tests of server/handler (internal to tests/).
// answer(): the server's byte-exact reply to good and bad request datagrams (P-6..P-10).
// Single-threaded: plain GoogleTest cases.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "support/datagrams.hpp"

namespace sockcalc::protocol {
namespace {

using protocol::Bytes;
using protocol::Format;
using protocol::Op;
using protocol::Request;
using protocol::RequestError;
using protocol::RequestFault;
using testing::Datagram;
using testing::datagram_of_size;
using testing::encode;
using testing::make_request;
using testing::spec_bytes;

// The error reply the spec asks for: header 0x00, then the reason (written out by hand here, so
// that a change of text or cut shows).
Datagram error_bytes(std::string_view reason) {
  Datagram d{std::byte{0x00}};
  for (char c : reason) d.push_back(static_cast<std::byte>(c));
  return d;
}

struct Served {
  Answer answer;
  Datagram reply;
};

// Serves `datagram` the way the engine does: at most kRecvBufferSize bytes held.
Served serve(const Datagram& datagram, std::size_t out_size = wire::kRecvBufferSize) {
  const std::size_t held = std::min(datagram.size(), wire::kRecvBufferSize);
  std::vector<std::byte> out(out_size);
  Served s;
  s.answer = answer(Bytes(datagram).first(held), datagram.size(), out);
  s.reply.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(s.answer.size));
  return s;
}

TEST(Handler, SpecWorkedExampleSumInteger) {
  const Served s = serve(encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9})));
  EXPECT_EQ(s.reply, spec_bytes({0x80, 0x00, 0x00, 0x00, 0x19})) << course_hex(s.reply);
  EXPECT_FALSE(s.answer.fault);
  EXPECT_EQ(s.answer.value, 25u);
  EXPECT_EQ(s.answer.format, Format::integer);
}

TEST(Handler, SpecWorkedExampleProductString) {
  const Served s = serve(encode(make_request(Op::product, Format::string, {1, 3, 5, 7, 9})));
  EXPECT_EQ(s.reply, spec_bytes({0x80, 0x39, 0x34, 0x35})) << course_hex(s.reply);
  EXPECT_FALSE(s.answer.fault);
  EXPECT_EQ(s.answer.value, 945u);
  EXPECT_EQ(s.answer.format, Format::string);
}

TEST(Handler, P9_ProductWrapsInBothFormats) {
  EXPECT_EQ(serve(encode(make_request(Op::product, Format::string, {65536, 65536}))).reply,
            spec_bytes({0x80, '0'}));
  EXPECT_EQ(serve(encode(make_request(Op::product, Format::integer, {65536, 65536}))).reply,
            spec_bytes({0x80, 0, 0, 0, 0}));
  EXPECT_EQ(serve(encode(make_request(Op::sum, Format::string, {0xFFFFFFFFu, 0xFFFFFFFFu}))).reply,
            spec_bytes({0x80, '4', '2', '9', '4', '9', '6', '7', '2', '9', '4'}));
}

TEST(Handler, P6_SixtyFourIntegersAreServed) {
  const Served s = serve(datagram_of_size(wire::kMaxRequestSize));
  ASSERT_FALSE(s.answer.fault);
  EXPECT_EQ(s.answer.value, 2080u);  // 1 + 2 + ... + 64
  EXPECT_EQ(s.reply, spec_bytes({0x80, 0x00, 0x00, 0x08, 0x20}));
}

TEST(Handler, P3_UnusedBitsGiveTheSameReply) {
  const Served plain = serve(encode(make_request(Op::sum, Format::string, {1, 3, 5, 7, 9}, 0)));
  const Served noisy = serve(encode(make_request(Op::sum, Format::string, {1, 3, 5, 7, 9}, 0xF)));
  EXPECT_EQ(plain.reply, noisy.reply);
}

TEST(Handler, P8_EmptyRequestGetsOneByte) {
  const Served s = serve(Datagram{});
  EXPECT_EQ(s.reply, spec_bytes({0x00}));
  EXPECT_EQ(s.answer.fault, (RequestFault{RequestError::empty, 0}));
}

TEST(Handler, P8_HeaderOnlyRequestGetsOneByte) {
  const Served s = serve(datagram_of_size(1));
  EXPECT_EQ(s.reply, spec_bytes({0x00}));
  EXPECT_EQ(s.answer.fault, (RequestFault{RequestError::no_operands, 0}));
}

TEST(Handler, P8_TwoByteRequestGetsTwoBytes) {
  const Served s = serve(datagram_of_size(2));
  EXPECT_EQ(s.reply, error_bytes("p"));  // "payload of 1 bytes ..." cut to fit
  EXPECT_EQ(s.answer.fault, (RequestFault{RequestError::misaligned_payload, 1}));
}

TEST(Handler, P4_UnknownOpcode) {
  Datagram d = encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  d[0] = std::byte{0x0B};  // opcode 5, F = 1
  const Served s = serve(d);
  EXPECT_EQ(s.reply, error_bytes("unknown opcode 5"));
  EXPECT_EQ(s.answer.fault, (RequestFault{RequestError::unknown_opcode, 5}));
}

TEST(Handler, P8_UnknownOpcodeReasonCutToTheRequestLength) {
  Datagram d = encode(make_request(Op::sum, Format::integer, {1}));
  d[0] = std::byte{0x04};  // opcode 2
  EXPECT_EQ(serve(d).reply, error_bytes("unkn"));
}

TEST(Handler, P6_MisalignedPayload) {
  EXPECT_EQ(serve(datagram_of_size(300)).reply,
            error_bytes("payload of 299 bytes is not a multiple of 4"));
  EXPECT_EQ(serve(datagram_of_size(258)).reply,
            error_bytes("payload of 257 bytes is not a multiple of 4"));
}

TEST(Handler, P6_TooManyIntegersJudgedOnTheRealLength) {
  const Served s = serve(datagram_of_size(261));
  EXPECT_EQ(s.reply, error_bytes("too many integers: 65 (max 64)"));
  const Served big = serve(datagram_of_size(1001));  // held 258 of 1001 bytes
  EXPECT_EQ(big.reply, error_bytes("too many integers: 250 (max 64)"));
  EXPECT_EQ(big.answer.fault, (RequestFault{RequestError::too_many_operands, 250}));
}

TEST(Handler, P7_ErrorReplyFitsTheSmallestAllowedBuffer) {
  // `out` needs only kMaxSuccessReplySize bytes; a long error reason is cut to it.
  const Served s = serve(datagram_of_size(1001), wire::kMaxSuccessReplySize);
  EXPECT_EQ(s.reply, error_bytes("too many i"));
}

}  // namespace
}  // namespace sockcalc::protocol
