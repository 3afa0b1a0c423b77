// SPDX-License-Identifier: MIT
// loadgen/sockperf_wire.cpp -- implementation of loadgen/sockperf_wire.hpp.
#include "sockcalc/loadgen/sockperf_wire.hpp"

namespace sockcalc::loadgen::sockperf {
namespace {

void put_be(protocol::MutableBytes out, std::size_t offset, std::uint64_t value, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out[offset + i] = static_cast<std::byte>(value >> (8 * (n - 1 - i)));
  }
}

std::uint64_t get_be(protocol::Bytes in, std::size_t offset, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i)
    value = (value << 8) | std::to_integer<std::uint64_t>(in[offset + i]);
  return value;
}

}  // namespace

std::size_t encode(const Header& header, protocol::MutableBytes out) {
  if (out.size() < kHeaderSize) return 0;
  put_be(out, kSequenceOffset, header.sequence, 8);
  put_be(out, kFlagsOffset, header.flags, 2);
  put_be(out, kLengthOffset, header.length, 4);
  return kHeaderSize;
}

std::optional<Header> decode(protocol::Bytes message) {
  if (message.size() < kHeaderSize) return std::nullopt;
  return Header{get_be(message, kSequenceOffset, 8),
                static_cast<std::uint16_t>(get_be(message, kFlagsOffset, 2)),
                static_cast<std::uint32_t>(get_be(message, kLengthOffset, 4))};
}

Verdict check_reply(protocol::Bytes reply, bool truncated, std::uint64_t sequence) {
  if (truncated || reply.size() != kHeaderSize) return Verdict::malformed;
  const auto header = decode(reply);
  if (!header || header->length != kHeaderSize) return Verdict::malformed;
  if (header->sequence != sequence || header->flags != kFlagPong) return Verdict::wrong;
  return Verdict::ok;
}

}  // namespace sockcalc::loadgen::sockperf
