// SPDX-License-Identifier: MIT
// tests/unit/codec_request_test.cpp -- unit tests of protocol/codec (internal to tests/): the
// request header, operands and lengths (P-2 to P-6). Every rule cited by its P-ID
// (docs/PROTOCOL.md); randomised cases use codec_cases' fixed seed, so a failure replays.
// Single-threaded: plain GoogleTest cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codec_cases.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "support/datagrams.hpp"

namespace sockcalc::protocol {
namespace {

using namespace codec_cases;  // NOLINT(google-build-using-namespace): the shared helpers

// ---- Request header: P-3, P-4, P-5 ----

TEST(CodecRequest, P4_P5_HeaderByteForEachOpAndFormat) {
  EXPECT_EQ(byte0(encode(make_request(Op::sum, Format::integer, {1}))), 0x00);
  EXPECT_EQ(byte0(encode(make_request(Op::sum, Format::string, {1}))), 0x01);
  EXPECT_EQ(byte0(encode(make_request(Op::product, Format::integer, {1}))), 0x02);
  EXPECT_EQ(byte0(encode(make_request(Op::product, Format::string, {1}))), 0x03);
}

TEST(CodecRequest, P3_UnusedNibbleIsTheHighNibbleOnEncode) {
  EXPECT_EQ(byte0(encode(make_request(Op::product, Format::string, {1}, 0xA))), 0xA3);
  EXPECT_EQ(byte0(encode(make_request(Op::sum, Format::integer, {1}, 0xF))), 0xF0);
}

TEST(CodecRequest, P3_EncodeMasksUnusedToFourBits) {
  // Bits above the nibble must not leak into the opcode or F, nor wrap into the byte.
  EXPECT_EQ(byte0(encode(make_request(Op::sum, Format::integer, {1}, 0xFF))), 0xF0);
  EXPECT_EQ(byte0(encode(make_request(Op::sum, Format::integer, {1}, 0x10))), 0x00);
  EXPECT_EQ(byte0(encode(make_request(Op::product, Format::string, {1}, 0x1F))), 0xF3);
}

TEST(CodecRequest, P3_P4_P5_DecodeEveryHeaderByte) {
  Datagram d = encode(make_request(Op::sum, Format::integer, {7}));
  for (unsigned h = 0; h < 256; ++h) {
    d[0] = static_cast<std::byte>(h);
    const DecodedRequest r = decode_request(d);
    const unsigned opcode = (h >> 1) & 0x7;
    if (opcode > 1) {
      ASSERT_FALSE(r.ok()) << h;
      EXPECT_EQ(*r.fault, (RequestFault{RequestError::unknown_opcode, opcode})) << h;
      continue;
    }
    ASSERT_TRUE(r.ok()) << h;
    EXPECT_EQ(r.request.op, opcode == 0 ? Op::sum : Op::product) << h;
    EXPECT_EQ(r.request.format, (h & 1) ? Format::string : Format::integer) << h;
    EXPECT_EQ(r.request.unused, h >> 4) << h;  // P-3: kept, not judged
    EXPECT_EQ(r.request.operands, OperandList({7}));
  }
}

TEST(CodecRequest, P3_UnusedBitsDoNotChangeTheMeaning) {
  Datagram plain = encode(make_request(Op::product, Format::string, {3, 5}));
  Datagram noisy = plain;
  noisy[0] |= std::byte{wire::kRequestUnusedMask};
  const DecodedRequest a = decode_request(plain);
  const DecodedRequest b = decode_request(noisy);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.request.unused, 0xF);
  EXPECT_EQ(a.request.op, b.request.op);
  EXPECT_EQ(a.request.format, b.request.format);
  EXPECT_EQ(a.request.operands, b.request.operands);
}

// ---- Operands: P-2 ----

TEST(CodecRequest, P2_OperandsAreBigEndianOnEncode) {
  const Datagram d = encode(make_request(Op::sum, Format::integer, {0x01020304, 0xA0B0C0D0}));
  EXPECT_EQ(d, spec_bytes({0x00, 0x01, 0x02, 0x03, 0x04, 0xA0, 0xB0, 0xC0, 0xD0})) << course_hex(d);
}

TEST(CodecRequest, P2_OperandsAreBigEndianOnDecode) {
  Datagram d = encode(make_request(Op::sum, Format::integer, {0, 0}));
  d[1] = std::byte{0x12};
  d[2] = std::byte{0x34};
  d[3] = std::byte{0x56};
  d[4] = std::byte{0x78};
  d[8] = std::byte{0xFF};
  const DecodedRequest r = decode_request(d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.request.operands, OperandList({0x12345678, 0x000000FF}));
}

TEST(CodecRequest, SpecWorkedExampleSumEncodesByteExact) {
  const Datagram d = encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  EXPECT_EQ(d, spec_bytes({0x00, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 9}))
      << course_hex(d);
}

TEST(CodecRequest, SpecWorkedExampleProductStringHeaderIs03) {
  const Datagram sum = encode(make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  const Datagram product = encode(make_request(Op::product, Format::string, {1, 3, 5, 7, 9}));
  ASSERT_EQ(product.size(), 21u);
  EXPECT_EQ(byte0(product), 0x03);
  EXPECT_TRUE(std::equal(sum.begin() + 1, sum.end(), product.begin() + 1));  // same payload
}

TEST(CodecRequest, EncodeRefusesNoOperandAndSmallBuffer) {
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  EXPECT_EQ(encode_request(Request{}, buf), 0u);
  const Request two = make_request(Op::sum, Format::integer, {1, 2});
  EXPECT_EQ(encode_request(two, std::span(buf).first(8)), 0u);
  EXPECT_EQ(encode_request(two, std::span(buf).first(9)), 9u);
}

// make_request() keeps every part it is given, and at most 64 operands (OperandList's bound).
TEST(CodecRequest, MakeRequestKeepsItsPartsAndAtMost64Operands) {
  const Request r = make_request(Op::product, Format::string, {6, 7}, 0x5);
  EXPECT_EQ(r.op, Op::product);
  EXPECT_EQ(r.format, Format::string);
  EXPECT_EQ(r.unused, 0x5);
  ASSERT_EQ(r.operands.size(), 2u);
  EXPECT_EQ(r.operands[1], 7u);
  std::vector<std::uint32_t> many(wire::kMaxOperands + 1, 3);
  EXPECT_EQ(make_request(Op::sum, Format::integer, many).operands.size(), wire::kMaxOperands);
}

// The vector encoders hold exactly what the span encoders write, and nothing when they refuse.
TEST(CodecVectors, HoldExactlyWhatTheSpanEncodersWrite) {
  const Request two = make_request(Op::product, Format::string, {6, 7});
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const std::size_t n = encode_request(two, buf);
  EXPECT_EQ(encoded_request(two), Datagram(buf.begin(), buf.begin() + static_cast<long>(n)));
  EXPECT_TRUE(encoded_request(Request{}).empty());
  EXPECT_EQ(encoded_success_reply(42, Format::string), spec_bytes({0x80, '4', '2'}));
  EXPECT_EQ(encoded_success_reply(25, Format::integer), spec_bytes({0x80, 0, 0, 0, 25}));
  const RequestFault empty{RequestError::empty, 0};
  EXPECT_EQ(encoded_error_reply(empty, 0), spec_bytes({0x00}));
  const RequestFault opcode{RequestError::unknown_opcode, 2};
  for (std::size_t length : {1u, 5u, 21u, 300u}) {
    std::array<std::byte, 400> out{};
    const std::size_t m = encode_error_reply(opcode, length, out);
    EXPECT_EQ(encoded_error_reply(opcode, length),
              Datagram(out.begin(), out.begin() + static_cast<long>(m)))
        << length;
  }
}

TEST(CodecRequest, OperandListHoldsAtMost64) {
  OperandList list;
  for (std::uint32_t i = 0; i < wire::kMaxOperands; ++i) ASSERT_TRUE(list.push_back(i));
  EXPECT_FALSE(list.push_back(99));
  EXPECT_EQ(list.size(), wire::kMaxOperands);
  EXPECT_EQ(list[63], 63u);
}

// ---- Lengths: P-6 ----

struct SizeCase {
  std::size_t size;
  std::optional<RequestFault> fault;  // nullopt: a valid request
  std::size_t operands;
};

TEST(CodecRequest, P6_RequestSizes) {
  const SizeCase cases[] = {
      {0, RequestFault{RequestError::empty, 0}, 0},
      {1, RequestFault{RequestError::no_operands, 0}, 0},
      {2, RequestFault{RequestError::misaligned_payload, 1}, 0},
      {3, RequestFault{RequestError::misaligned_payload, 2}, 0},
      {4, RequestFault{RequestError::misaligned_payload, 3}, 0},
      {5, std::nullopt, 1},
      {9, std::nullopt, 2},
      {257, std::nullopt, 64},
      {258, RequestFault{RequestError::misaligned_payload, 257}, 0},
      {261, RequestFault{RequestError::too_many_operands, 65}, 0},
      {1000, RequestFault{RequestError::misaligned_payload, 999}, 0},
      {1001, RequestFault{RequestError::too_many_operands, 250}, 0},
  };
  for (const SizeCase& c : cases) {
    const Datagram d = datagram_of_size(c.size);
    const DecodedRequest r = decode_request(d);
    EXPECT_EQ(r.fault, c.fault) << "size " << c.size;
    if (!c.fault) {
      EXPECT_EQ(r.request.operands.size(), c.operands) << "size " << c.size;
      for (std::size_t i = 0; i < r.request.operands.size(); ++i) {
        EXPECT_EQ(r.request.operands[i], i + 1);
      }
    }
  }
}

TEST(CodecRequest, P6_EverySizeUpTo1100FollowsTheRules) {
  for (std::size_t size = 0; size <= 1100; ++size) {
    const DecodedRequest r = decode_request(datagram_of_size(size));
    const std::size_t payload = size == 0 ? 0 : size - 1;
    if (size == 0) {
      ASSERT_EQ(r.fault->error, RequestError::empty);
    } else if (payload == 0) {
      ASSERT_EQ(r.fault->error, RequestError::no_operands);
    } else if (payload % 4 != 0) {
      ASSERT_EQ(*r.fault, (RequestFault{RequestError::misaligned_payload,
                                        static_cast<std::uint32_t>(payload)}))
          << size;
    } else if (payload / 4 > 64) {
      ASSERT_EQ(*r.fault, (RequestFault{RequestError::too_many_operands,
                                        static_cast<std::uint32_t>(payload / 4)}))
          << size;
    } else {
      ASSERT_TRUE(r.ok()) << size;
      ASSERT_EQ(r.request.operands.size(), payload / 4);
    }
  }
}

TEST(CodecRequest, P6_TruncatedDatagramJudgedOnItsRealLength) {
  // The server's buffer holds 258 bytes of a 1001-byte datagram (MSG_TRUNC says 1001).
  const Datagram full = datagram_of_size(1001);
  const Datagram held(full.begin(), full.begin() + wire::kRecvBufferSize);
  const DecodedRequest r = decode_request(held, full.size());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.fault, (RequestFault{RequestError::too_many_operands, 250}));
  EXPECT_TRUE(r.request.operands.empty());  // never computed over a truncated buffer
}

TEST(CodecRequest, P6_TruncatedMisalignedDatagramIsMisaligned) {
  const Datagram full = datagram_of_size(1002);
  const Datagram held(full.begin(), full.begin() + wire::kRecvBufferSize);
  const DecodedRequest r = decode_request(held, full.size());
  EXPECT_EQ(r.fault, (RequestFault{RequestError::misaligned_payload, 1001}));
}

TEST(CodecRequest, P6_HeldShortOfAValidLengthIsNeverComputed) {
  // A caller whose buffer is below kMaxRequestSize: 5 of 9 bytes held.
  const Datagram full = datagram_of_size(9);
  const Datagram held(full.begin(), full.begin() + 5);
  const DecodedRequest r = decode_request(held, full.size());
  EXPECT_FALSE(r.ok());
}

TEST(CodecRequest, P6_HeldLongerThanWireLengthReadsOnlyWireLength) {
  const Datagram d = datagram_of_size(9);
  const DecodedRequest r = decode_request(d, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.request.operands, OperandList({1}));
}

// check_request() is the server's path: it must judge exactly as decode_request() does, and
// leave the operands where they are.
TEST(CodecRequest, P6_CheckRequestJudgesEverySizeAsDecodeRequestDoes) {
  for (std::size_t size = 0; size <= 1100; ++size) {
    for (Op op : {Op::sum, Op::product}) {
      const Datagram d = datagram_of_size(size, op);
      // As the server receives it: at most kRecvBufferSize bytes held, the real length known.
      const Bytes held(d.data(), std::min(d.size(), wire::kRecvBufferSize));
      const DecodedRequest decoded = decode_request(held, d.size());
      const CheckedRequest checked = check_request(held, d.size());
      ASSERT_EQ(checked.fault, decoded.fault) << size;
      if (!checked.ok()) continue;
      EXPECT_EQ(checked.view.op, decoded.request.op);
      EXPECT_EQ(checked.view.format, decoded.request.format);
      EXPECT_EQ(checked.view.unused, decoded.request.unused);
      EXPECT_EQ(checked.view.operands.data(), d.data() + wire::kHeaderSize) << "not a view";
      ASSERT_EQ(checked.view.operands.size(), decoded.request.operands.size() * 4) << size;
    }
  }
}

TEST(CodecRequest, P6_CheckRequestOfATruncatedDatagramHasNoOperands) {
  const Datagram full = datagram_of_size(1001);
  const Datagram held(full.begin(), full.begin() + wire::kRecvBufferSize);
  const CheckedRequest r = check_request(held, full.size());
  EXPECT_EQ(r.fault, (RequestFault{RequestError::too_many_operands, 250}));
  EXPECT_TRUE(r.view.operands.empty());
}

TEST(CodecRequest, P6_EmptyBeatsEverything) {
  EXPECT_EQ(decode_request(Bytes{}, 0).fault, (RequestFault{RequestError::empty, 0}));
}

TEST(CodecRequest, P6_UnknownOpcodeBeatsNoInteger) {
  Datagram d = datagram_of_size(1);
  set_opcode(d, 7);
  EXPECT_EQ(decode_request(d).fault, (RequestFault{RequestError::unknown_opcode, 7}));
}

TEST(CodecRequest, P6_UnknownOpcodeBeatsMisalignedLength) {
  Datagram d = datagram_of_size(3);
  set_opcode(d, 5);
  EXPECT_EQ(decode_request(d).fault, (RequestFault{RequestError::unknown_opcode, 5}));
}

TEST(CodecRequest, P6_UnknownOpcodeBeatsTooManyIntegers) {
  Datagram d = datagram_of_size(1001);
  set_opcode(d, 2);
  const Datagram held(d.begin(), d.begin() + wire::kRecvBufferSize);
  EXPECT_EQ(decode_request(held, d.size()).fault, (RequestFault{RequestError::unknown_opcode, 2}));
}

TEST(CodecRequest, P6_MisalignedBeatsTooManyIntegers) {
  // 1000 bytes: 999 payload bytes are both misaligned and more than 64 integers' worth.
  const Datagram d = datagram_of_size(1000);
  const Datagram held(d.begin(), d.begin() + wire::kRecvBufferSize);
  EXPECT_EQ(decode_request(held, d.size()).fault,
            (RequestFault{RequestError::misaligned_payload, 999}));
}

TEST(CodecRequest, RequestErrorNamesAreDistinct) {
  const RequestError all[] = {RequestError::empty, RequestError::unknown_opcode,
                              RequestError::no_operands, RequestError::misaligned_payload,
                              RequestError::too_many_operands};
  for (RequestError a : all) {
    EXPECT_FALSE(to_string(a).empty());
    for (RequestError b : all) {
      if (a != b) {
        EXPECT_NE(to_string(a), to_string(b));
      }
    }
  }
  EXPECT_EQ(to_string(Op::sum), "sum");
  EXPECT_EQ(to_string(Op::product), "product");
  EXPECT_EQ(to_string(Format::integer), "integer");
  EXPECT_EQ(to_string(Format::string), "string");
}

}  // namespace
}  // namespace sockcalc::protocol
