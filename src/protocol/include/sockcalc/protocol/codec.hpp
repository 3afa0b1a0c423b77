// SPDX-License-Identifier: MIT
// protocol/codec.hpp -- public.
// The calc protocol's codec: requests and replies to and from bytes, and the computation.
// Pure functions over caller-owned buffers: no I/O, no allocation, no global state; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sockcalc/protocol/wire.hpp"

namespace sockcalc::protocol {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

enum class Op : std::uint8_t { sum = wire::kOpcodeSum, product = wire::kOpcodeProduct };
enum class Format : std::uint8_t { integer = wire::kFormatInteger, string = wire::kFormatString };

std::string_view to_string(Op op);          // "sum", "product"
std::string_view to_string(Format format);  // "integer", "string"

/// The operands of one request: a fixed-capacity list (at most wire::kMaxOperands), so that
/// decoding never allocates.
class OperandList {
 public:
  OperandList() = default;
  OperandList(std::initializer_list<std::uint32_t> values);

  /// Appends `value`; returns false (and changes nothing) when the list is full.
  bool push_back(std::uint32_t value);
  void clear() { size_ = 0; }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::span<const std::uint32_t> values() const { return {values_.data(), size_}; }
  std::uint32_t operator[](std::size_t i) const { return values_[i]; }

  friend bool operator==(const OperandList& a, const OperandList& b);

 private:
  std::array<std::uint32_t, wire::kMaxOperands> values_{};
  std::size_t size_ = 0;
};

struct Request {
  Op op = Op::sum;
  Format format = Format::integer;
  /// The four unused high bits of byte 0 (0..15). Receivers ignore them; our client sends 0.
  std::uint8_t unused = 0;
  OperandList operands;

  friend bool operator==(const Request&, const Request&) = default;
};

/// Every way a request datagram can break the spec, in the order decode_request() checks them
/// (docs/PROTOCOL.md, P-6). Each one is answered with an error reply.
enum class RequestError : std::uint8_t {
  empty,               // 0 bytes
  unknown_opcode,      // opcode 2..7
  no_operands,         // header only
  misaligned_payload,  // payload length not a multiple of 4
  too_many_operands,   // more than 64 integers (datagram longer than 257 bytes)
};
/// For people: "empty request", "payload not a multiple of 4 bytes", ...
std::string_view to_string(RequestError error);

/// How many RequestError values there are: the size of every table indexed by one (the server's
/// counters by cause). Values run from 0 to kRequestErrorCount - 1, in declaration order.
inline constexpr std::size_t kRequestErrorCount = 5;

/// The short, stable snake_case name of `error` for counters, logs and metric labels: "empty",
/// "unknown_opcode", "no_integer", "misaligned", "too_many"; "" for a value out of range.
/// The switch has no default: -Wswitch (an error here) makes a new value name itself.
constexpr std::string_view name(RequestError error) {
  switch (error) {
    case RequestError::empty:
      return "empty";
    case RequestError::unknown_opcode:
      return "unknown_opcode";
    case RequestError::no_operands:
      return "no_integer";
    case RequestError::misaligned_payload:
      return "misaligned";
    case RequestError::too_many_operands:
      return "too_many";
  }
  return "";
}

/// `error`'s index into a table of kRequestErrorCount entries.
constexpr std::size_t index(RequestError error) { return static_cast<std::size_t>(error); }

/// Every RequestError, by index: `for (RequestError e : kRequestErrors)`.
inline constexpr auto kRequestErrors = [] {
  std::array<RequestError, kRequestErrorCount> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<RequestError>(i);
  return all;
}();

// A value added to RequestError gets a name (or -Wswitch fails the build), and then this fails
// until kRequestErrorCount counts it too: no table indexed by RequestError can be too short.
static_assert(name(static_cast<RequestError>(kRequestErrorCount)).empty(),
              "RequestError has a value past kRequestErrorCount: raise the count");
static_assert(
    [] {
      for (RequestError e : kRequestErrors) {
        if (name(e).empty()) return false;
      }
      return true;
    }(),
    "a RequestError below kRequestErrorCount has no name");

/// A broken rule plus the number that shows how (the opcode, or a byte or integer count).
struct RequestFault {
  RequestError error = RequestError::empty;
  std::uint32_t detail = 0;
  friend bool operator==(const RequestFault&, const RequestFault&) = default;
};

/// Outcome of decode_request(): a request, or the first rule the datagram broke.
struct DecodedRequest {
  Request request;
  std::optional<RequestFault> fault;
  [[nodiscard]] bool ok() const { return !fault; }
};

/// Decodes one request datagram. `held` is what the receive buffer holds; `wire_length` is the
/// datagram's real length (from MSG_TRUNC), which may exceed held.size() when the datagram was
/// truncated. Every length rule is judged on `wire_length`, so a truncated datagram is never
/// computed over. Never reads outside `held`.
DecodedRequest decode_request(Bytes held, std::size_t wire_length);
inline DecodedRequest decode_request(Bytes datagram) {
  return decode_request(datagram, datagram.size());
}

/// A request that passed every rule of P-6, read in place: its header fields, and its operands
/// left as they are on the wire (big-endian, 4 bytes each). A view into the datagram: valid as
/// long as the bytes it was checked over.
struct RequestView {
  Op op = Op::sum;
  Format format = Format::integer;
  std::uint8_t unused = 0;
  Bytes operands;  // 4 * n bytes, n in 1..wire::kMaxOperands
};

/// Outcome of check_request(): a view, or the first rule the datagram broke.
struct CheckedRequest {
  RequestView view;
  std::optional<RequestFault> fault;
  [[nodiscard]] bool ok() const { return !fault; }
};

/// Judges a request datagram exactly as decode_request() does (same arguments, same rules, same
/// order, same fault) without copying its operands out: the server's fast path.
CheckedRequest check_request(Bytes held, std::size_t wire_length);
inline CheckedRequest check_request(Bytes datagram) {
  return check_request(datagram, datagram.size());
}

/// Writes `request` into `out` (needs 1 + 4 * operands bytes, at most wire::kMaxRequestSize).
/// Returns the number of bytes written, or 0 when `out` is too small or there is no operand.
std::size_t encode_request(const Request& request, MutableBytes out);

/// The result of `op` over `operands`, modulo 2^32 (P-9). The empty sum is 0, the empty
/// product 1.
std::uint32_t compute(Op op, std::span<const std::uint32_t> operands);

/// compute() over operands as they are on the wire: big-endian, 4 bytes each (a trailing partial
/// operand is ignored). Gives the same result as decoding them first, without the copy.
std::uint32_t compute_wire(Op op, Bytes operands);

/// Writes a success reply carrying `value` in `format` (at most wire::kMaxSuccessReplySize
/// bytes). Returns the size written, or 0 when `out` is too small.
std::size_t encode_success_reply(std::uint32_t value, Format format, MutableBytes out);

/// Writes the human-readable reason for `fault` ("unknown opcode 2") into `out`, cut to fit.
/// Returns the number of characters written.
std::size_t format_reason(const RequestFault& fault, std::span<char> out);

/// Writes an error reply (S = 0) for `fault`: a 1-byte header then the reason, cut so that the
/// reply is never longer than `request_length` and never shorter than 1 byte (P-8).
/// Returns the size written (>= 1), or 0 when `out` is empty.
std::size_t encode_error_reply(const RequestFault& fault, std::size_t request_length,
                               MutableBytes out);

// ---- The encoders above, into a vector of the exact size, for tools and tests that build a
// datagram to send, keep or mutate. They allocate: not for the serving path. ----

/// A request of `op` and `format` over `operands` (the first 64: OperandList's bound), with the
/// four unused header bits `unused` (our client sends 0).
Request make_request(Op op, Format format, std::span<const std::uint32_t> operands,
                     std::uint8_t unused = 0);
/// The same over a braced list: make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9}).
inline Request make_request(Op op, Format format, std::initializer_list<std::uint32_t> operands,
                            std::uint8_t unused = 0) {
  return make_request(op, format, std::span(operands.begin(), operands.size()), unused);
}

/// encode_request() into a vector; empty when the request cannot be encoded (no operand).
std::vector<std::byte> encoded_request(const Request& request);
/// encode_success_reply() into a vector.
std::vector<std::byte> encoded_success_reply(std::uint32_t value, Format format);
/// encode_error_reply() into a vector: the reply to a request of `request_length` bytes.
std::vector<std::byte> encoded_error_reply(const RequestFault& fault, std::size_t request_length);

/// Every way a reply can be malformed for a client that asked for `expected` (P-11).
enum class ReplyError : std::uint8_t {
  empty,                 // 0 bytes: not even the header
  wrong_integer_length,  // integer format, payload not exactly 4 bytes
  empty_string,          // string format, no digit
  string_too_long,       // string format, more than 10 characters
  not_a_digit,           // string format, a byte other than '0'..'9'
  leading_zero,          // string format, "0" followed by more digits
  out_of_range,          // string format, value above 4294967295
};
std::string_view to_string(ReplyError error);

struct Reply {
  bool success = false;
  std::uint32_t value = 0;  // valid when success
  /// The error reply's payload (the server's reason), a view into the decoded datagram.
  Bytes reason;
  std::uint8_t unused = 0;  // the 7 unused header bits, ignored
};

struct DecodedReply {
  Reply reply;
  std::optional<ReplyError> error;
  [[nodiscard]] bool ok() const { return !error; }
};

/// Decodes and checks a reply to a request that asked for `expected`. An error reply
/// (S = 0) decodes fine with reply.success == false; only broken rules set `error`.
DecodedReply decode_reply(Bytes datagram, Format expected);

}  // namespace sockcalc::protocol
