// SPDX-License-Identifier: MIT
// protocol/wire.hpp -- public.
// The single source of the calc protocol's sizes, offsets, bit masks and codes
// (see docs/PROTOCOL.md). Every tool, test and the dissector check take them from here.
// Constants only; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sockcalc::wire {

// ---- Request: byte 0 = UUUU OOO F, then 1..64 big-endian uint32 operands. ----
inline constexpr std::size_t kHeaderSize = 1;
inline constexpr std::size_t kOperandSize = 4;
inline constexpr std::size_t kMinOperands = 1;
inline constexpr std::size_t kMaxOperands = 64;
inline constexpr std::size_t kMaxPayload = kMaxOperands * kOperandSize;     // 256
inline constexpr std::size_t kMinRequestSize = kHeaderSize + kOperandSize;  // 5
inline constexpr std::size_t kMaxRequestSize = kHeaderSize + kMaxPayload;   // 257

inline constexpr std::uint8_t kRequestUnusedMask = 0xF0;  // ignored by receivers
inline constexpr unsigned kRequestUnusedShift = 4;
inline constexpr std::uint8_t kOpcodeMask = 0x0E;
inline constexpr unsigned kOpcodeShift = 1;
inline constexpr std::uint8_t kFormatMask = 0x01;

inline constexpr std::uint8_t kOpcodeSum = 0;
inline constexpr std::uint8_t kOpcodeProduct = 1;
inline constexpr std::uint8_t kFormatInteger = 0;
inline constexpr std::uint8_t kFormatString = 1;

// ---- Reply: byte 0 = S UUUUUUU, then the payload. ----
inline constexpr std::uint8_t kStatusMask = 0x80;  // S: 1 = success, 0 = error
inline constexpr std::uint8_t kReplyUnusedMask = 0x7F;
inline constexpr std::size_t kIntegerResultSize = 4;
// 4294967295 has 10 digits: the longest string result.
inline constexpr std::size_t kMaxDigits = 10;
inline constexpr std::size_t kMaxSuccessReplySize = kHeaderSize + kMaxDigits;  // 11

// A receive buffer one byte larger than the largest valid request: anything that fills it
// is too long, whatever MSG_TRUNC says.
inline constexpr std::size_t kRecvBufferSize = kMaxRequestSize + 1;

// The port the course uses in its examples and that the dissector registers by default.
inline constexpr std::uint16_t kCoursePort = 10000;

}  // namespace sockcalc::wire
