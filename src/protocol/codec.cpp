// SPDX-License-Identifier: MIT
// protocol/codec.cpp -- implementation of protocol/codec.hpp. Pure; no I/O, no allocation.
#include "sockcalc/protocol/codec.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>

namespace sockcalc::protocol {
namespace {

std::uint8_t byte_at(Bytes b, std::size_t i) { return std::to_integer<std::uint8_t>(b[i]); }

std::uint32_t load_be32(Bytes b, std::size_t offset) {
  // Written over one pointer, the compiler turns the four loads into one load and a byte swap.
  const std::byte* p = b.subspan(offset, wire::kOperandSize).data();
  return (std::to_integer<std::uint32_t>(p[0]) << 24) |
         (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}

void store_be32(MutableBytes b, std::size_t offset, std::uint32_t v) {
  b[offset] = std::byte(v >> 24);
  b[offset + 1] = std::byte(v >> 16);
  b[offset + 2] = std::byte(v >> 8);
  b[offset + 3] = std::byte(v);
}

// `op` over the n operands load(0), ..., load(n - 1). Unsigned arithmetic wraps modulo 2^32 by
// definition: exactly P-9. Four partial results side by side, so that each step waits for the one
// four operands back instead of the one just before (a multiplication takes several cycles);
// both operations are associative and commutative, so the result is that of a plain loop.
template <typename Combine, typename Load>
std::uint32_t fold(std::uint32_t identity, std::size_t n, Combine combine, Load load) {
  std::uint32_t a0 = identity, a1 = identity, a2 = identity, a3 = identity;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = combine(a0, load(i));
    a1 = combine(a1, load(i + 1));
    a2 = combine(a2, load(i + 2));
    a3 = combine(a3, load(i + 3));
  }
  for (; i < n; ++i) a0 = combine(a0, load(i));
  return combine(combine(a0, a1), combine(a2, a3));
}

// The operation is chosen once, outside the loop, so that each loop is a plain reduction.
template <typename Load>
std::uint32_t fold(Op op, std::size_t n, Load load) {
  if (op == Op::product) return fold(1u, n, std::multiplies<std::uint32_t>{}, load);
  return fold(0u, n, std::plus<std::uint32_t>{}, load);
}

// Checks the header and length rules in the order of P-6; the payload is not read.
std::optional<RequestFault> check_request_shape(Bytes held, std::size_t wire_length) {
  if (wire_length == 0) return RequestFault{RequestError::empty, 0};
  const std::uint8_t opcode = (byte_at(held, 0) & wire::kOpcodeMask) >> wire::kOpcodeShift;
  if (opcode != wire::kOpcodeSum && opcode != wire::kOpcodeProduct) {
    return RequestFault{RequestError::unknown_opcode, opcode};
  }
  const std::size_t payload = wire_length - wire::kHeaderSize;
  if (payload == 0) return RequestFault{RequestError::no_operands, 0};
  if (payload % wire::kOperandSize != 0) {
    return RequestFault{RequestError::misaligned_payload, static_cast<std::uint32_t>(payload)};
  }
  const std::size_t count = payload / wire::kOperandSize;
  if (count > wire::kMaxOperands) {
    return RequestFault{RequestError::too_many_operands, static_cast<std::uint32_t>(count)};
  }
  return std::nullopt;
}

// Appends `text` to out[pos..], cut at the end of `out`; returns the new position.
std::size_t append(std::span<char> out, std::size_t pos, std::string_view text) {
  const std::size_t n = std::min(text.size(), out.size() - pos);
  std::copy_n(text.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(pos));
  return pos + n;
}

std::size_t append(std::span<char> out, std::size_t pos, std::uint32_t number) {
  char digits[wire::kMaxDigits];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
  return append(out, pos, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

std::optional<ReplyError> parse_digits(Bytes digits, std::uint32_t& value) {
  if (digits.empty()) return ReplyError::empty_string;
  if (digits.size() > wire::kMaxDigits) return ReplyError::string_too_long;
  std::uint64_t v = 0;
  for (std::byte b : digits) {
    const auto c = std::to_integer<std::uint8_t>(b);
    if (c < '0' || c > '9') return ReplyError::not_a_digit;
    v = v * 10 + (c - '0');
  }
  if (digits.size() > 1 && std::to_integer<std::uint8_t>(digits[0]) == '0') {
    return ReplyError::leading_zero;
  }
  if (v > UINT32_MAX) return ReplyError::out_of_range;
  value = static_cast<std::uint32_t>(v);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Op op) {
  switch (op) {
    case Op::sum:
      return "sum";
    case Op::product:
      return "product";
  }
  return "?";
}

std::string_view to_string(Format format) {
  switch (format) {
    case Format::integer:
      return "integer";
    case Format::string:
      return "string";
  }
  return "?";
}

OperandList::OperandList(std::initializer_list<std::uint32_t> values) {
  for (std::uint32_t v : values) push_back(v);
}

bool OperandList::push_back(std::uint32_t value) {
  if (size_ == values_.size()) return false;
  values_[size_++] = value;
  return true;
}

bool operator==(const OperandList& a, const OperandList& b) {
  return std::ranges::equal(a.values(), b.values());
}

std::string_view to_string(RequestError error) {
  switch (error) {
    case RequestError::empty:
      return "empty request";
    case RequestError::unknown_opcode:
      return "unknown opcode";
    case RequestError::no_operands:
      return "no integer";
    case RequestError::misaligned_payload:
      return "payload not a multiple of 4 bytes";
    case RequestError::too_many_operands:
      return "too many integers";
  }
  return "?";
}

CheckedRequest check_request(Bytes held, std::size_t wire_length) {
  CheckedRequest out;
  // A datagram can only be judged on bytes we hold; a length below what we hold is a caller bug
  // we refuse rather than read past.
  if (wire_length < held.size()) held = held.first(wire_length);
  if (held.empty() && wire_length > 0) {
    out.fault = RequestFault{RequestError::empty, 0};
    return out;
  }
  out.fault = check_request_shape(held, wire_length);
  if (out.fault) return out;
  if (held.size() < wire_length) {  // only possible with a receive buffer below kMaxRequestSize
    out.fault = RequestFault{RequestError::too_many_operands,
                             static_cast<std::uint32_t>(wire_length / wire::kOperandSize)};
    return out;
  }
  const std::uint8_t h = byte_at(held, 0);
  out.view.unused = (h & wire::kRequestUnusedMask) >> wire::kRequestUnusedShift;
  out.view.op = static_cast<Op>((h & wire::kOpcodeMask) >> wire::kOpcodeShift);
  out.view.format = static_cast<Format>(h & wire::kFormatMask);
  out.view.operands = held.subspan(wire::kHeaderSize);
  return out;
}

DecodedRequest decode_request(Bytes held, std::size_t wire_length) {
  DecodedRequest out;
  const CheckedRequest checked = check_request(held, wire_length);
  out.fault = checked.fault;
  if (!checked.ok()) return out;
  const RequestView& v = checked.view;
  out.request.unused = v.unused;
  out.request.op = v.op;
  out.request.format = v.format;
  for (std::size_t off = 0; off < v.operands.size(); off += wire::kOperandSize) {
    out.request.operands.push_back(load_be32(v.operands, off));
  }
  return out;
}

std::size_t encode_request(const Request& request, MutableBytes out) {
  const std::size_t n = request.operands.size();
  const std::size_t size = wire::kHeaderSize + n * wire::kOperandSize;
  if (n == 0 || out.size() < size) return 0;
  out[0] = std::byte((request.unused << wire::kRequestUnusedShift) & wire::kRequestUnusedMask) |
           std::byte(static_cast<std::uint8_t>(request.op) << wire::kOpcodeShift) |
           std::byte(static_cast<std::uint8_t>(request.format) & wire::kFormatMask);
  for (std::size_t i = 0; i < n; ++i) {
    store_be32(out, wire::kHeaderSize + i * wire::kOperandSize, request.operands[i]);
  }
  return size;
}

std::uint32_t compute(Op op, std::span<const std::uint32_t> operands) {
  return fold(op, operands.size(), [operands](std::size_t i) { return operands[i]; });
}

std::uint32_t compute_wire(Op op, Bytes operands) {
  return fold(op, operands.size() / wire::kOperandSize,
              [operands](std::size_t i) { return load_be32(operands, i * wire::kOperandSize); });
}

std::size_t encode_success_reply(std::uint32_t value, Format format, MutableBytes out) {
  if (out.size() < wire::kMaxSuccessReplySize) return 0;
  out[0] = std::byte{wire::kStatusMask};
  if (format == Format::integer) {
    store_be32(out, wire::kHeaderSize, value);
    return wire::kHeaderSize + wire::kIntegerResultSize;
  }
  // The digits go straight into the reply (char may alias any object's bytes); `out` holds
  // the longest, kMaxDigits, as checked above.
  char* const start = reinterpret_cast<char*>(out.data());
  const auto [end, ec] = std::to_chars(start + wire::kHeaderSize, start + out.size(), value);
  return static_cast<std::size_t>(end - start);
}

std::size_t format_reason(const RequestFault& fault, std::span<char> out) {
  std::size_t pos = 0;
  switch (fault.error) {
    case RequestError::empty:
    case RequestError::no_operands:
      return append(out, pos, to_string(fault.error));
    case RequestError::unknown_opcode:
      pos = append(out, pos, "unknown opcode ");
      return append(out, pos, fault.detail);
    case RequestError::misaligned_payload:
      pos = append(out, pos, "payload of ");
      pos = append(out, pos, fault.detail);
      return append(
          out, pos,
          fault.detail == 1 ? " byte is not a multiple of 4" : " bytes is not a multiple of 4");
    case RequestError::too_many_operands:
      pos = append(out, pos, "too many integers: ");
      pos = append(out, pos, fault.detail);
      return append(out, pos, " (max 64)");
  }
  return pos;
}

std::size_t encode_error_reply(const RequestFault& fault, std::size_t request_length,
                               MutableBytes out) {
  if (out.empty()) return 0;
  out[0] = std::byte{0};  // S = 0, unused bits 0
  const std::size_t limit = std::min(out.size(), std::max<std::size_t>(request_length, 1));
  char reason[64];
  const std::size_t n = std::min(format_reason(fault, reason), limit - wire::kHeaderSize);
  for (std::size_t i = 0; i < n; ++i) out[wire::kHeaderSize + i] = std::byte(reason[i]);
  return wire::kHeaderSize + n;
}

std::string_view to_string(ReplyError error) {
  switch (error) {
    case ReplyError::empty:
      return "empty reply";
    case ReplyError::wrong_integer_length:
      return "integer result is not exactly 4 bytes";
    case ReplyError::empty_string:
      return "string result has no digit";
    case ReplyError::string_too_long:
      return "string result longer than 10 characters";
    case ReplyError::not_a_digit:
      return "string result holds a byte that is not a digit";
    case ReplyError::leading_zero:
      return "string result has a leading zero";
    case ReplyError::out_of_range:
      return "string result above 4294967295";
  }
  return "?";
}

DecodedReply decode_reply(Bytes datagram, Format expected) {
  DecodedReply out;
  if (datagram.empty()) {
    out.error = ReplyError::empty;
    return out;
  }
  const std::uint8_t h = byte_at(datagram, 0);
  const Bytes payload = datagram.subspan(wire::kHeaderSize);
  out.reply.unused = h & wire::kReplyUnusedMask;
  out.reply.success = (h & wire::kStatusMask) != 0;
  if (!out.reply.success) {
    out.reply.reason = payload;
    return out;
  }
  if (expected == Format::integer) {
    if (payload.size() != wire::kIntegerResultSize) {
      out.error = ReplyError::wrong_integer_length;
    } else {
      out.reply.value = load_be32(payload, 0);
    }
    return out;
  }
  out.error = parse_digits(payload, out.reply.value);
  return out;
}

Request make_request(Op op, Format format, std::span<const std::uint32_t> operands,
                     std::uint8_t unused) {
  Request r;
  r.op = op;
  r.format = format;
  r.unused = unused;
  for (std::uint32_t v : operands) r.operands.push_back(v);
  return r;
}

std::vector<std::byte> encoded_request(const Request& request) {
  std::vector<std::byte> out(wire::kMaxRequestSize);
  out.resize(encode_request(request, out));
  return out;
}

std::vector<std::byte> encoded_success_reply(std::uint32_t value, Format format) {
  std::vector<std::byte> out(wire::kMaxSuccessReplySize);
  out.resize(encode_success_reply(value, format, out));
  return out;
}

std::vector<std::byte> encoded_error_reply(const RequestFault& fault, std::size_t request_length) {
  std::vector<std::byte> out(std::max<std::size_t>(request_length, 1));
  out.resize(encode_error_reply(fault, request_length, out));
  return out;
}

}  // namespace sockcalc::protocol
