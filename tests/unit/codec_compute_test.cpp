// SPDX-License-Identifier: MIT
// tests/unit/codec_compute_test.cpp -- unit tests of protocol/codec (internal to tests/): the
// arithmetic (P-9) and randomised round-trip properties. Every rule cited by its P-ID
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
