// SPDX-License-Identifier: MIT
// loadgen/workload.cpp -- implementation of loadgen/workload.hpp.
#include "sockcalc/loadgen/workload.hpp"

#include <algorithm>
#include <random>

#include "sockcalc/core/hex.hpp"

namespace sockcalc::loadgen {
namespace {

// A product operand is odd with probability 7/8 and never 0: 64 operands then carry about 8
// even ones, about 16 factors of two, and the product modulo 2^32 stays mostly non-zero.
constexpr std::uint64_t kEvenOneIn = 8;
// The largest right shift of a random operand: 31 leaves 0 or 1.
constexpr unsigned kMaxShift = 31;

}  // namespace

std::vector<PreparedRequest> build_pool(const Workload& workload) {
  std::mt19937_64 rng(workload.seed);
  std::vector<PreparedRequest> pool(workload.pool_size);
  std::uniform_int_distribution<std::size_t> count_dist(workload.min_count, workload.max_count);
  std::uniform_int_distribution<unsigned> shift_dist(0, kMaxShift);
  for (auto& p : pool) {
    protocol::Request r;
    const bool coin_op = (rng() & 1) != 0;
    const bool coin_format = (rng() & 1) != 0;
    r.op = workload.op == OpMix::product || (workload.op == OpMix::mix && coin_op)
               ? protocol::Op::product
               : protocol::Op::sum;
    r.format =
        workload.format == FormatMix::string || (workload.format == FormatMix::mix && coin_format)
            ? protocol::Format::string
            : protocol::Format::integer;
    const std::size_t count = count_dist(rng);
    for (std::size_t i = 0; i < count; ++i) {
      auto value = static_cast<std::uint32_t>(rng() >> 32) >> shift_dist(rng);
      if (r.op == protocol::Op::product) {
        // A zero operand would make the whole product 0; an even one stays even.
        if (rng() % kEvenOneIn != 0) {
          value |= 1u;
        } else if (value == 0) {
          value = 2;
        }
      }
      r.operands.push_back(value);
    }
    p.size = static_cast<std::uint16_t>(protocol::encode_request(r, p.bytes));
    p.op = r.op;
    p.format = r.format;
    p.operand_count = static_cast<std::uint8_t>(count);
    p.expected = protocol::compute(r.op, r.operands.values());
  }
  return pool;
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok:
      return "ok";
    case Verdict::wrong:
      return "wrong";
    case Verdict::error_reply:
      return "error reply";
    case Verdict::malformed:
      return "malformed";
  }
  return "?";
}

Verdict check_calc_reply(protocol::Bytes reply, bool truncated, const PreparedRequest& request,
                         std::uint32_t* got_value) {
  if (truncated) return Verdict::malformed;
  const auto decoded = protocol::decode_reply(reply, request.format);
  if (!decoded.ok()) return Verdict::malformed;
  if (!decoded.reply.success) {
    return reply.size() > request.size ? Verdict::malformed : Verdict::error_reply;
  }
  if (got_value) *got_value = decoded.reply.value;
  return decoded.reply.value == request.expected ? Verdict::ok : Verdict::wrong;
}

std::string describe_calc_mismatch(const PreparedRequest& request, protocol::Bytes reply,
                                   Verdict verdict) {
  std::string line = std::string(protocol::to_string(request.op)) + " of " +
                     std::to_string(request.operand_count) + " integer" +
                     (request.operand_count == 1 ? "" : "s") + " as " +
                     std::string(protocol::to_string(request.format)) + ": expected " +
                     std::to_string(request.expected) + ", got ";
  const auto decoded = protocol::decode_reply(reply, request.format);
  if (verdict == Verdict::malformed) {
    line += decoded.ok()
                ? "a malformed reply"
                : "a malformed reply (" + std::string(protocol::to_string(*decoded.error)) + ")";
  } else if (!decoded.reply.success) {
    line += "an error reply";
  } else {
    line += std::to_string(decoded.reply.value);
  }
  // A reply longer than the longest valid one is cut: the start tells what it was.
  constexpr std::size_t kShownBytes = 32;
  line += " (reply " + course_hex(reply.first(std::min(reply.size(), kShownBytes))) +
          (reply.size() > kShownBytes ? " ...)" : ")");
  return line;
}

}  // namespace sockcalc::loadgen
