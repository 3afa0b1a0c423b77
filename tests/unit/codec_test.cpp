// SPDX-License-Identifier: MIT
// tests/unit/codec_test.cpp -- unit tests of protocol/codec (internal to tests/).
// Every field and rule of the wire format, cited by its P-ID (docs/PROTOCOL.md), plus
// fixed-seed randomised round trips. Single-threaded: plain GoogleTest cases.
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

#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "support/datagrams.hpp"

namespace sockcalc::protocol {
namespace {

using testing::Datagram;
using testing::datagram_of_size;
using testing::encode;
using testing::encode_error;
using testing::encode_success;
using testing::make_request;
using testing::spec_bytes;

// Fixed seed: every run draws the same cases, so a failure replays.
constexpr std::uint64_t kSeed = 0x5eedc0dec0ffee01;
constexpr int kRandomRounds = 20000;

std::string text_of(Bytes bytes) {
  std::string s;
  for (std::byte b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string reason_of(const RequestFault& fault) {
  std::array<char, 64> buf{};
  return std::string(buf.data(), format_reason(fault, buf));
}

std::uint8_t byte0(const Datagram& d) { return std::to_integer<std::uint8_t>(d.at(0)); }

// Rewrites the opcode bits of a real encoding (a mutation, not a second encoder).
void set_opcode(Datagram& d, unsigned opcode) {
  const auto rest = static_cast<std::uint8_t>(byte0(d) & ~wire::kOpcodeMask);
  d[0] = static_cast<std::byte>(rest | ((opcode << wire::kOpcodeShift) & wire::kOpcodeMask));
}

std::uint32_t random_operand(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return 0xFFFFFFFFu;
    case 3:
      return 65536;
    default:
      return static_cast<std::uint32_t>(rng());
  }
}

Request random_request(std::mt19937_64& rng) {
  Request r;
  r.op = rng() % 2 ? Op::product : Op::sum;
  r.format = rng() % 2 ? Format::string : Format::integer;
  r.unused = static_cast<std::uint8_t>(rng() % 16);
  const std::size_t n = 1 + rng() % wire::kMaxOperands;
  for (std::size_t i = 0; i < n; ++i) r.operands.push_back(random_operand(rng));
  return r;
}

// A reference of P-9 that does not use compute(): 64-bit arithmetic reduced modulo 2^32.
std::uint32_t reference_result(Op op, std::span<const std::uint32_t> values) {
  std::uint64_t acc = op == Op::product ? 1 : 0;
  for (std::uint32_t v : values) acc = (op == Op::product ? acc * v : acc + v) % (1ull << 32);
  return static_cast<std::uint32_t>(acc);
}

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

// ---- Arithmetic: P-9 ----

TEST(CodecCompute, SpecWorkedExamples) {
  const std::uint32_t v[] = {1, 3, 5, 7, 9};
  EXPECT_EQ(compute(Op::sum, v), 25u);
  EXPECT_EQ(compute(Op::product, v), 945u);
}

TEST(CodecCompute, P9_SumWrapsModulo2To32) {
  const std::uint32_t a[] = {0xFFFFFFFFu, 1};
  const std::uint32_t b[] = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(compute(Op::sum, a), 0u);
  EXPECT_EQ(compute(Op::sum, b), 0xFFFFFFFEu);
}

TEST(CodecCompute, P9_ProductWrapsModulo2To32) {
  const std::uint32_t a[] = {65536, 65536};  // the spec's example: 2^32 mod 2^32 = 0
  const std::uint32_t b[] = {0xFFFFFFFFu, 0xFFFFFFFFu};
  const std::uint32_t c[] = {0x10001, 0x10001};  // 0x1'0002'0001
  EXPECT_EQ(compute(Op::product, a), 0u);
  EXPECT_EQ(compute(Op::product, b), 1u);
  EXPECT_EQ(compute(Op::product, c), 0x00020001u);
}

TEST(CodecCompute, ProductWithAZeroIsZero) {
  const std::uint32_t v[] = {5, 0xFFFFFFFFu, 0, 7};
  EXPECT_EQ(compute(Op::product, v), 0u);
}

TEST(CodecCompute, SingleOperandIsItself) {
  for (std::uint32_t x : {0u, 1u, 42u, 0xFFFFFFFFu}) {
    const std::uint32_t v[] = {x};
    EXPECT_EQ(compute(Op::sum, v), x);
    EXPECT_EQ(compute(Op::product, v), x);
  }
}

TEST(CodecCompute, P9_SixtyFourOperands) {
  std::array<std::uint32_t, 64> ones{};
  ones.fill(0xFFFFFFFFu);
  EXPECT_EQ(compute(Op::sum, ones), 0xFFFFFFC0u);  // -64 mod 2^32
  EXPECT_EQ(compute(Op::product, ones), 1u);       // (-1)^64
  std::array<std::uint32_t, 64> twos{};
  twos.fill(2);
  EXPECT_EQ(compute(Op::product, twos), 0u);  // 2^64 mod 2^32
  std::array<std::uint32_t, 64> counting{};
  for (std::uint32_t i = 0; i < 64; ++i) counting[i] = i + 1;
  EXPECT_EQ(compute(Op::sum, counting), 2080u);  // 64 * 65 / 2
  EXPECT_EQ(compute(Op::product, counting), reference_result(Op::product, counting));
}

TEST(CodecCompute, P9_RandomAgainstA64BitReference) {
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kRandomRounds; ++i) {
    const Request r = random_request(rng);
    ASSERT_EQ(compute(r.op, r.operands.values()), reference_result(r.op, r.operands.values()))
        << "round " << i;
  }
}

TEST(CodecCompute, P2_P9_ComputeWireOverTheEncodingAgreesWithTheReference) {
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kRandomRounds; ++i) {
    const Request r = random_request(rng);
    const Datagram d = encode(r);
    const CheckedRequest checked = check_request(d);
    ASSERT_TRUE(checked.ok()) << "round " << i;
    ASSERT_EQ(compute_wire(r.op, checked.view.operands),
              reference_result(r.op, r.operands.values()))
        << "round " << i << ", " << r.operands.size() << " integers";
  }
}

TEST(CodecCompute, ComputeWireIgnoresATrailingPartialOperand) {
  const Datagram d = encode(make_request(Op::sum, Format::integer, {7, 9}));
  const Bytes operands = Bytes(d).subspan(wire::kHeaderSize, 6);  // 7, then half of 9
  EXPECT_EQ(compute_wire(Op::sum, operands), 7u);
  EXPECT_EQ(compute_wire(Op::product, operands.first(0)), 1u);
  EXPECT_EQ(compute_wire(Op::sum, operands.first(0)), 0u);
}

// ---- Success replies: P-10 ----

TEST(CodecSuccessReply, P10_IntegerIsFourBigEndianBytes) {
  EXPECT_EQ(encode_success(25, Format::integer), spec_bytes({0x80, 0x00, 0x00, 0x00, 0x19}));
  EXPECT_EQ(encode_success(0xDEADBEEF, Format::integer),
            spec_bytes({0x80, 0xDE, 0xAD, 0xBE, 0xEF}));
  EXPECT_EQ(encode_success(0, Format::integer), spec_bytes({0x80, 0, 0, 0, 0}));
}

TEST(CodecSuccessReply, P10_StringIsDecimalDigitsWithoutLeadingZeroOrNul) {
  const std::pair<std::uint32_t, std::string_view> cases[] = {
      {0, "0"}, {9, "9"}, {10, "10"}, {945, "945"}, {4294967295u, "4294967295"}};
  for (const auto& [value, text] : cases) {
    const Datagram d = encode_success(value, Format::string);
    ASSERT_EQ(d.size(), 1 + text.size()) << value;
    EXPECT_EQ(byte0(d), 0x80) << value;
    EXPECT_EQ(text_of(Bytes(d).subspan(1)), text);
    EXPECT_EQ(std::count(d.begin(), d.end(), std::byte{0}), 0) << value;  // no NUL anywhere
  }
}

TEST(CodecSuccessReply, SpecWorkedExamplesByteExact) {
  EXPECT_EQ(encode_success(25, Format::integer), spec_bytes({0x80, 0x00, 0x00, 0x00, 0x19}));
  EXPECT_EQ(encode_success(945, Format::string), spec_bytes({0x80, 0x39, 0x34, 0x35}));
}

TEST(CodecSuccessReply, P10_UnusedBitsAreSentAsZero) {
  for (Format f : {Format::integer, Format::string}) {
    std::array<std::byte, wire::kMaxSuccessReplySize> buf{};
    buf.fill(std::byte{0xFF});
    ASSERT_GT(encode_success_reply(7, f, buf), 0u);
    EXPECT_EQ(std::to_integer<int>(buf[0]), 0x80);
  }
}

TEST(CodecSuccessReply, NeedsRoomForTheLongestReply) {
  std::array<std::byte, wire::kMaxSuccessReplySize> buf{};
  EXPECT_EQ(encode_success_reply(1, Format::integer, std::span(buf).first(10)), 0u);
  EXPECT_EQ(encode_success_reply(1, Format::string, buf), 2u);
}

// ---- Error replies: P-7, P-8 ----

TEST(CodecErrorReply, ReasonTexts) {
  EXPECT_EQ(reason_of({RequestError::empty, 0}), "empty request");
  EXPECT_EQ(reason_of({RequestError::unknown_opcode, 2}), "unknown opcode 2");
  EXPECT_EQ(reason_of({RequestError::unknown_opcode, 7}), "unknown opcode 7");
  EXPECT_EQ(reason_of({RequestError::no_operands, 0}), "no integer");
  EXPECT_EQ(reason_of({RequestError::misaligned_payload, 1}),
            "payload of 1 byte is not a multiple of 4");
  EXPECT_EQ(reason_of({RequestError::misaligned_payload, 3}),
            "payload of 3 bytes is not a multiple of 4");
  EXPECT_EQ(reason_of({RequestError::too_many_operands, 65}), "too many integers: 65 (max 64)");
  EXPECT_EQ(reason_of({RequestError::misaligned_payload, 4294967295u}),
            "payload of 4294967295 bytes is not a multiple of 4");
}

TEST(CodecErrorReply, FormatReasonCutsToItsBuffer) {
  std::array<char, 5> small{};
  ASSERT_EQ(format_reason({RequestError::unknown_opcode, 2}, small), 5u);
  EXPECT_EQ(std::string(small.data(), 5), "unkno");
  EXPECT_EQ(format_reason({RequestError::too_many_operands, 65}, std::span<char>{}), 0u);
  std::array<char, 18> mid{};
  ASSERT_EQ(format_reason({RequestError::unknown_opcode, 123}, std::span(mid).first(16)), 16u);
  EXPECT_EQ(std::string(mid.data(), 16), "unknown opcode 1");
}

TEST(CodecErrorReply, P8_HeaderIsZeroAndPayloadIsTheReason) {
  const RequestFault fault{RequestError::unknown_opcode, 2};
  const Datagram d = encode_error(fault, 21);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(byte0(d), 0x00);
  EXPECT_EQ(text_of(Bytes(d).subspan(1)), "unknown opcode 2");
}

TEST(CodecErrorReply, P8_EmptyAndOneByteRequestsGetOneByteReplies) {
  EXPECT_EQ(encode_error({RequestError::empty, 0}, 0), spec_bytes({0x00}));
  EXPECT_EQ(encode_error({RequestError::no_operands, 0}, 1), spec_bytes({0x00}));
}

TEST(CodecErrorReply, P8_TwoByteRequestGetsTwoByteReply) {
  const Datagram d = encode_error({RequestError::misaligned_payload, 1}, 2);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(byte0(d), 0x00);
  EXPECT_EQ(text_of(Bytes(d).subspan(1)),
            reason_of({RequestError::misaligned_payload, 1}).substr(0, 1));
}

TEST(CodecErrorReply, P8_NeverLongerThanTheRequestNeverShorterThanOneByte) {
  const RequestFault faults[] = {
      {RequestError::empty, 0},
      {RequestError::unknown_opcode, 2},
      {RequestError::unknown_opcode, 7},
      {RequestError::no_operands, 0},
      {RequestError::misaligned_payload, 3},
      {RequestError::misaligned_payload, 2999},
      {RequestError::too_many_operands, 65},
      {RequestError::too_many_operands, 250},
  };
  for (const RequestFault& fault : faults) {
    const std::string reason = reason_of(fault);
    for (std::size_t length = 0; length <= 300; ++length) {
      const Datagram d = encode_error(fault, length);
      const std::size_t want = std::max<std::size_t>(1, std::min(length, 1 + reason.size()));
      ASSERT_EQ(d.size(), want) << reason << " / length " << length;
      ASSERT_EQ(byte0(d), 0x00);
      ASSERT_EQ(text_of(Bytes(d).subspan(1)), reason.substr(0, want - 1));
    }
  }
}

TEST(CodecErrorReply, CutToItsOutputBuffer) {
  std::array<std::byte, 4> out{};
  EXPECT_EQ(encode_error_reply({RequestError::unknown_opcode, 2}, 100, out), 4u);
  EXPECT_EQ(encode_error_reply({RequestError::unknown_opcode, 2}, 100, MutableBytes{}), 0u);
}

// ---- Reply decoding: P-10, P-11 ----

TEST(CodecDecodeReply, P11_EmptyReplyDatagram) {
  EXPECT_EQ(decode_reply(Bytes{}, Format::integer).error, ReplyError::empty);
  EXPECT_EQ(decode_reply(Bytes{}, Format::string).error, ReplyError::empty);
}

TEST(CodecDecodeReply, P10_IntegerOfExactlyFourBytes) {
  const DecodedReply r = decode_reply(encode_success(0xDEADBEEF, Format::integer), Format::integer);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.reply.success);
  EXPECT_EQ(r.reply.value, 0xDEADBEEFu);
}

TEST(CodecDecodeReply, P11_IntegerOfThreeOrFiveBytesIsMalformed) {
  const Datagram good = encode_success(25, Format::integer);
  // Built by copy rather than pop_back(), which trips g++ 12's -Warray-bounds at -O2.
  const Datagram three(good.begin(), good.end() - 1);
  Datagram five = good;
  five.push_back(std::byte{0});
  Datagram none = good;
  none.resize(1);
  EXPECT_EQ(decode_reply(three, Format::integer).error, ReplyError::wrong_integer_length);
  EXPECT_EQ(decode_reply(five, Format::integer).error, ReplyError::wrong_integer_length);
  EXPECT_EQ(decode_reply(none, Format::integer).error, ReplyError::wrong_integer_length);
}

TEST(CodecDecodeReply, P10_StringZeroAndMaximum) {
  const DecodedReply zero = decode_reply(encode_success(0, Format::string), Format::string);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero.reply.value, 0u);
  const DecodedReply max =
      decode_reply(encode_success(4294967295u, Format::string), Format::string);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max.reply.value, 4294967295u);
}

TEST(CodecDecodeReply, P11_StringWithNoDigit) {
  Datagram d = encode_success(5, Format::string);
  d.resize(1);
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::empty_string);
}

TEST(CodecDecodeReply, P11_StringOfElevenCharacters) {
  Datagram d = encode_success(4294967295u, Format::string);
  d.push_back(d.back());  // "42949672955"
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::string_too_long);
}

TEST(CodecDecodeReply, P11_StringWithANonDigit) {
  Datagram d = encode_success(945, Format::string);
  d[2] = std::byte{'a'};
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::not_a_digit);
  d[2] = std::byte{'-'};
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::not_a_digit);
}

TEST(CodecDecodeReply, P10_StringWithANulTerminatorIsMalformed) {
  Datagram d = encode_success(945, Format::string);
  d.push_back(std::byte{0});
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::not_a_digit);
}

TEST(CodecDecodeReply, P10_StringWithALeadingZeroIsMalformed) {
  Datagram d = encode_success(0, Format::string);  // "0"
  const Datagram seven = encode_success(7, Format::string);
  d.push_back(seven[1]);  // "07"
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::leading_zero);
  d.push_back(seven[1]);  // "077"
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::leading_zero);
}

TEST(CodecDecodeReply, P11_StringAbove2To32MinusOne) {
  Datagram d = encode_success(4294967295u, Format::string);
  d.back() = std::byte{'6'};  // "4294967296"
  EXPECT_EQ(decode_reply(d, Format::string).error, ReplyError::out_of_range);
  const Datagram nines = encode_success(999999999, Format::string);
  Datagram big = nines;
  big.push_back(nines[1]);  // "9999999999"
  EXPECT_EQ(decode_reply(big, Format::string).error, ReplyError::out_of_range);
}

TEST(CodecDecodeReply, P11_IntegerReplyReadAsStringIsMalformed) {
  EXPECT_EQ(decode_reply(encode_success(25, Format::integer), Format::string).error,
            ReplyError::not_a_digit);
}

TEST(CodecDecodeReply, P8_ErrorReplyWithReason) {
  const Datagram d = encode_error({RequestError::unknown_opcode, 2}, 21);
  for (Format f : {Format::integer, Format::string}) {
    const DecodedReply r = decode_reply(d, f);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.reply.success);
    EXPECT_EQ(text_of(r.reply.reason), "unknown opcode 2");
  }
}

TEST(CodecDecodeReply, P8_ErrorReplyWithoutReason) {
  const Datagram d = encode_error({RequestError::empty, 0}, 0);
  ASSERT_EQ(d.size(), 1u);
  const DecodedReply r = decode_reply(d, Format::integer);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.reply.success);
  EXPECT_TRUE(r.reply.reason.empty());
}

TEST(CodecDecodeReply, P10_UnusedReplyBitsAreIgnored) {
  Datagram ok = encode_success(25, Format::integer);
  ok[0] |= std::byte{wire::kReplyUnusedMask};
  const DecodedReply r = decode_reply(ok, Format::integer);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.reply.success);
  EXPECT_EQ(r.reply.value, 25u);
  EXPECT_EQ(r.reply.unused, 0x7F);

  Datagram err = encode_error({RequestError::unknown_opcode, 2}, 21);
  err[0] |= std::byte{wire::kReplyUnusedMask};
  const DecodedReply e = decode_reply(err, Format::string);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e.reply.success);
}

TEST(CodecDecodeReply, ReplyErrorNamesAreDistinct) {
  const ReplyError all[] = {ReplyError::empty,        ReplyError::wrong_integer_length,
                            ReplyError::empty_string, ReplyError::string_too_long,
                            ReplyError::not_a_digit,  ReplyError::leading_zero,
                            ReplyError::out_of_range};
  for (ReplyError a : all) {
    EXPECT_FALSE(to_string(a).empty());
    for (ReplyError b : all) {
      if (a != b) {
        EXPECT_NE(to_string(a), to_string(b));
      }
    }
  }
}

// ---- Randomised properties (fixed seed) ----

TEST(CodecRandom, DecodeOfEncodeIsIdentity) {
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kRandomRounds; ++i) {
    const Request r = random_request(rng);
    const Datagram d = encode(r);
    ASSERT_EQ(d.size(), wire::kHeaderSize + 4 * r.operands.size()) << "round " << i;
    const DecodedRequest back = decode_request(d);
    ASSERT_TRUE(back.ok()) << "round " << i;
    ASSERT_EQ(back.request, r) << "round " << i << ": " << course_hex(d);
  }
}

TEST(CodecRandom, P9_BothFormatsNameTheSameNumber) {
  std::mt19937_64 rng(kSeed + 1);
  for (int i = 0; i < kRandomRounds; ++i) {
    const Request r = random_request(rng);
    const std::uint32_t value = compute(r.op, r.operands.values());
    const DecodedReply as_int =
        decode_reply(encode_success(value, Format::integer), Format::integer);
    const Datagram text = encode_success(value, Format::string);
    const DecodedReply as_text = decode_reply(text, Format::string);
    ASSERT_TRUE(as_int.ok()) << "round " << i;
    ASSERT_TRUE(as_text.ok()) << "round " << i << ": " << course_hex(text);
    ASSERT_EQ(as_int.reply.value, value);
    ASSERT_EQ(as_text.reply.value, value);
    ASSERT_EQ(text_of(Bytes(text).subspan(1)), std::to_string(value));
  }
}

TEST(CodecRandom, P7_P8_HandlerAnswersAnyBytesWithinBounds) {
  std::mt19937_64 rng(kSeed + 2);
  // Room beyond any reply, so that a write past the reply size shows as a changed guard byte.
  std::vector<std::byte> out(wire::kRecvBufferSize + 64);
  for (int i = 0; i < kRandomRounds; ++i) {
    // Half the lengths are 1 + 4k, so that aligned, valid-looking requests come up often.
    const std::size_t length = rng() % 2 ? rng() % 401 : 1 + 4 * (rng() % 100);
    Datagram d(length);
    for (std::byte& b : d) b = static_cast<std::byte>(rng());
    if (length > 0 && rng() % 2) set_opcode(d, static_cast<unsigned>(rng() % 2));
    const std::byte guard = static_cast<std::byte>(rng());
    std::fill(out.begin(), out.end(), guard);
    // What the server holds: at most its receive buffer.
    const std::size_t held = std::min(length, wire::kRecvBufferSize);
    const protocol::Answer a = protocol::answer(Bytes(d).first(held), length, out);

    ASSERT_GE(a.size, 1u) << "round " << i;
    ASSERT_LE(a.size, out.size());
    for (std::size_t j = a.size; j < out.size(); ++j) {
      ASSERT_EQ(out[j], guard) << "round " << i << ": wrote byte " << j << " past " << a.size;
    }
    const Bytes reply(out.data(), a.size);
    const DecodedRequest request = decode_request(d);
    if (a.fault) {
      ASSERT_FALSE(request.ok());
      ASSERT_EQ(*a.fault, *request.fault);
      ASSERT_LE(a.size, std::max<std::size_t>(1, length)) << "round " << i;
      ASSERT_EQ(std::to_integer<int>(out[0]), 0x00);
    } else {
      ASSERT_TRUE(request.ok()) << "round " << i;
      const std::uint32_t want = compute(request.request.op, request.request.operands.values());
      ASSERT_EQ(a.value, want);
      const DecodedReply r = decode_reply(reply, request.request.format);
      ASSERT_TRUE(r.ok()) << "round " << i << ": " << course_hex(reply);
      ASSERT_TRUE(r.reply.success);
      ASSERT_EQ(r.reply.value, want);
    }
  }
}

}  // namespace
}  // namespace sockcalc::protocol
