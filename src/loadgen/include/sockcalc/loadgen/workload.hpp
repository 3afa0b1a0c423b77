// SPDX-License-Identifier: MIT
// loadgen/workload.hpp -- public.
// The requests a load generator sends and how it judges each reply: a pool of calc requests
// pre-encoded with the codec, each with its expected result, and the sockperf ping-pong
// message. Built once before a run; read-only afterwards, so any thread may read it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace sockcalc::loadgen {

enum class OpMix { sum, product, mix };         // mix: each request sum or product, 1:1
enum class FormatMix { integer, string, mix };  // mix: each request F=0 or F=1, 1:1

struct Workload {
  OpMix op = OpMix::mix;
  FormatMix format = FormatMix::mix;
  /// Integers per request, drawn uniformly from [min_count, max_count] (1..64).
  std::size_t min_count = 1;
  std::size_t max_count = 8;
  std::uint64_t seed = 1;
  /// How many different requests are pre-encoded; the generator cycles through them.
  std::size_t pool_size = 4096;
};

/// One request ready to send, and what its reply must say.
struct PreparedRequest {
  std::array<std::byte, wire::kMaxRequestSize> bytes{};
  std::uint16_t size = 0;
  protocol::Op op = protocol::Op::sum;
  protocol::Format format = protocol::Format::integer;
  std::uint8_t operand_count = 0;
  std::uint32_t expected = 0;  // protocol::compute over the operands

  [[nodiscard]] protocol::Bytes datagram() const { return {bytes.data(), size}; }
};

/// Builds `workload.pool_size` requests from std::mt19937_64 seeded with `workload.seed`,
/// encoded with protocol::encode_request, expected results from protocol::compute.
/// Operands have a random magnitude (a random u32 shifted right by 0..31 bits), so that
/// string replies of every length occur; a product's operands are non-zero and mostly odd, so
/// that a
/// product of many of them rarely collapses to 0 modulo 2^32 (a server answering 0 would
/// otherwise pass).
std::vector<PreparedRequest> build_pool(const Workload& workload);

/// How a reply compares with what was asked.
enum class Verdict : std::uint8_t {
  ok,           // a well-formed success reply with the expected value
  wrong,        // a well-formed success reply with another value (or the wrong echo)
  error_reply,  // a well-formed error reply (S = 0): we only send valid requests
  malformed,    // breaks the protocol (P-8, P-10, P-11)
};
std::string_view to_string(Verdict verdict);

/// Judges a calc reply to `request` with protocol::decode_reply (P-11). An error reply longer
/// than the request breaks P-8 and is malformed. `truncated`: the datagram did not fit the
/// receive buffer, so it is longer than any valid reply.
Verdict check_calc_reply(protocol::Bytes reply, bool truncated, const PreparedRequest& request,
                         std::uint32_t* got_value);

/// One line describing a request and a reply that did not match, for the report:
/// "sum of 3 integers as string: expected 42, got 43 (reply 80 34 33)".
std::string describe_calc_mismatch(const PreparedRequest& request, protocol::Bytes reply,
                                   Verdict verdict);

}  // namespace sockcalc::loadgen
