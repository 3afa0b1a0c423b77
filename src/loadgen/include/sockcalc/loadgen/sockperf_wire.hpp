// SPDX-License-Identifier: MIT
// loadgen/sockperf_wire.hpp -- public.
// The header of sockperf 3.x's ping-pong messages, so that loadgen can drive `sockperf
// server` for comparison. Pure functions over caller-owned buffers; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sockcalc/loadgen/workload.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::loadgen::sockperf {

// The 14-byte header, every field big-endian (sockperf converts it with hton*):
//   bytes 0..7   sequence number, set by the client, echoed by the server
//   bytes 8..9   flags
//   bytes 10..13 length of the whole message, header included
// Checked against sockperf 3.7's `sockperf server`: it answers a message flagged
// CLIENT | PONG (and not WARMUP) with the same bytes, CLIENT cleared; it ignores a message
// whose length field exceeds its message size (14 bytes unless started with --msg-size).
inline constexpr std::size_t kHeaderSize = 14;
inline constexpr std::size_t kSequenceOffset = 0;
inline constexpr std::size_t kFlagsOffset = 8;
inline constexpr std::size_t kLengthOffset = 10;

inline constexpr std::uint16_t kFlagClient = 0x1;  // sent by a client
inline constexpr std::uint16_t kFlagPong = 0x2;    // the sender wants an answer
inline constexpr std::uint16_t kFlagWarmup = 0x4;  // a warm-up message: never answered

struct Header {
  std::uint64_t sequence = 0;
  std::uint16_t flags = 0;
  std::uint32_t length = kHeaderSize;
  friend bool operator==(const Header&, const Header&) = default;
};

/// Writes `header` into the first kHeaderSize bytes of `out`; returns kHeaderSize, or 0 when
/// `out` is shorter.
std::size_t encode(const Header& header, protocol::MutableBytes out);

/// Reads the header at the start of `message`; nullopt when it is shorter than kHeaderSize.
std::optional<Header> decode(protocol::Bytes message);

/// The request a ping-pong client sends: CLIENT | PONG, length kHeaderSize.
inline Header request_header(std::uint64_t sequence) {
  return {sequence, static_cast<std::uint16_t>(kFlagClient | kFlagPong), kHeaderSize};
}

/// Judges a reply to request_header(sequence): exactly kHeaderSize bytes with length field
/// kHeaderSize (else malformed); sequence echoed and flags exactly PONG (else wrong).
Verdict check_reply(protocol::Bytes reply, bool truncated, std::uint64_t sequence);

}  // namespace sockcalc::loadgen::sockperf
