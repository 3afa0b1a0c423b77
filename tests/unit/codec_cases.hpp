// SPDX-License-Identifier: MIT
// tests/unit/codec_cases.hpp -- internal to codec_test: the fixed seed, the reference arithmetic
// and the small helpers the codec test files share (codec_request_test, codec_compute_test,
// codec_reply_test). Single-threaded, like the tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>

#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "support/datagrams.hpp"

namespace sockcalc::protocol::codec_cases {

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

inline std::string text_of(Bytes bytes) {
  std::string s;
  for (std::byte b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

inline std::string reason_of(const RequestFault& fault) {
  std::array<char, 64> buf{};
  return std::string(buf.data(), format_reason(fault, buf));
}

inline std::uint8_t byte0(const Datagram& d) { return std::to_integer<std::uint8_t>(d.at(0)); }

// Rewrites the opcode bits of a real encoding (a mutation, not a second encoder).
inline void set_opcode(Datagram& d, unsigned opcode) {
  const auto rest = static_cast<std::uint8_t>(byte0(d) & ~wire::kOpcodeMask);
  d[0] = static_cast<std::byte>(rest | ((opcode << wire::kOpcodeShift) & wire::kOpcodeMask));
}

inline std::uint32_t random_operand(std::mt19937_64& rng) {
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

inline Request random_request(std::mt19937_64& rng) {
  Request r;
  r.op = rng() % 2 ? Op::product : Op::sum;
  r.format = rng() % 2 ? Format::string : Format::integer;
  r.unused = static_cast<std::uint8_t>(rng() % 16);
  const std::size_t n = 1 + rng() % wire::kMaxOperands;
  for (std::size_t i = 0; i < n; ++i) r.operands.push_back(random_operand(rng));
  return r;
}

// A reference of P-9 that does not use compute(): 64-bit arithmetic reduced modulo 2^32.
inline std::uint32_t reference_result(Op op, std::span<const std::uint32_t> values) {
  std::uint64_t acc = op == Op::product ? 1 : 0;
  for (std::uint32_t v : values) acc = (op == Op::product ? acc * v : acc + v) % (1ull << 32);
  return static_cast<std::uint32_t>(acc);
}

}  // namespace sockcalc::protocol::codec_cases
