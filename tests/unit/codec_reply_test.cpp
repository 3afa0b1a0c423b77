// SPDX-License-Identifier: MIT
// tests/unit/codec_reply_test.cpp -- unit tests of protocol/codec (internal to tests/): success and
// error replies, and reply decoding (P-7, P-8, P-10, P-11). Every rule cited by its P-ID
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

}  // namespace
}  // namespace sockcalc::protocol
