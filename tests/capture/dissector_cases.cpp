// SPDX-License-Identifier: MIT
// capture/dissector_cases.cpp -- internal to calc_dissector_test: see dissector_cases.hpp.
#include "capture/dissector_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "sockcalc/protocol/answer.hpp"

namespace sockcalc::dissector_cases {

// ---- Building messages: the codec's encoders, then mutations of their bytes. ----

Datagram encode(Op op, Format format, std::initializer_list<std::uint32_t> values,
                std::uint8_t unused) {
  protocol::Request r{op, format, unused, protocol::OperandList(values)};
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const std::size_t n = protocol::encode_request(r, buf);
  EXPECT_GT(n, 0u);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

namespace {
Datagram encode_many(Op op, Format format, std::size_t count) {
  protocol::Request r{op, format, 0, {}};
  for (std::size_t i = 0; i < count; ++i)
    r.operands.push_back(static_cast<std::uint32_t>(i * 0x01000193u + 7));
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const std::size_t n = protocol::encode_request(r, buf);
  EXPECT_GT(n, 0u);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

// The reply our server sends to `request` (protocol::answer, the server's own code).
Datagram answer(const Datagram& request) {
  std::array<std::byte, wire::kMaxRequestSize> buf{};
  const auto a = sockcalc::protocol::answer(request, request.size(), buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(a.size)};
}

Datagram success(std::uint32_t value, Format format) {
  std::array<std::byte, wire::kMaxSuccessReplySize> buf{};
  const std::size_t n = protocol::encode_success_reply(value, format, buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

namespace {
Datagram with_opcode(Datagram d, std::uint8_t opcode) {
  d[0] = (d[0] & ~std::byte{wire::kOpcodeMask}) |
         std::byte(static_cast<std::uint8_t>(opcode << wire::kOpcodeShift));
  return d;
}
}  // namespace

Datagram first(const Datagram& d, std::size_t n) {
  return {d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n)};
}
namespace {
Datagram append(Datagram d, const Datagram& more) {
  d.insert(d.end(), more.begin(), more.end());
  return d;
}
Datagram set_byte(Datagram d, std::size_t at, int value) {
  d.at(at) = std::byte(value);
  return d;
}

}  // namespace

std::vector<Exchange> every_kind_of_message() {
  std::vector<Exchange> x;
  auto add = [&x](std::string label, std::optional<Datagram> request,
                  std::optional<Datagram> reply) {
    x.push_back({std::move(label), std::move(request), std::move(reply)});
  };
  auto exchange = [&add](std::string label, const Datagram& request) {
    add(std::move(label), request, answer(request));
  };
  // The course's two examples (docs/PROTOCOL.md, worked examples).
  exchange("course example: sum, integer", encode(Op::sum, Format::integer, {1, 3, 5, 7, 9}));
  exchange("course example: product, string", encode(Op::product, Format::string, {1, 3, 5, 7, 9}));
  // P-9 wrap-around, both formats.
  exchange("sum wraps", encode(Op::sum, Format::integer, {0xFFFFFFFF, 0xFFFFFFFF, 3}));
  exchange("product wraps to 0", encode(Op::product, Format::string, {65536, 65536}));
  exchange("largest string", encode(Op::sum, Format::string, {0xFFFFFFFF}));
  // P-6 limits.
  exchange("64 integers", encode_many(Op::sum, Format::integer, wire::kMaxOperands));
  const Datagram max = encode_many(Op::product, Format::string, wire::kMaxOperands);
  exchange("65 integers", append(max, Datagram(max.end() - wire::kOperandSize, max.end())));
  // P-3 unused bits, ignored.
  exchange("unused bits set", encode(Op::sum, Format::string, {40, 2}, 0xA));
  // P-4 undefined opcodes.
  exchange("opcode 2", with_opcode(encode(Op::sum, Format::integer, {1, 2}), 2));
  exchange("opcode 7, string", with_opcode(encode(Op::product, Format::string, {1}), 7));
  // P-6 lengths, P-8 error replies cut to the request's length.
  exchange("empty request", Datagram{});
  exchange("1-byte request", first(encode(Op::sum, Format::integer, {1}), 1));
  exchange("misaligned request", first(encode(Op::sum, Format::integer, {1, 2}), 8));
  exchange("misaligned 2-byte request", first(encode(Op::product, Format::string, {1}), 2));
  // P-10/P-11 malformed replies.
  const Datagram int_request = encode(Op::sum, Format::integer, {7, 8});
  add("3-byte integer reply", int_request, first(answer(int_request), 4));
  add("5-byte integer reply", int_request, append(answer(int_request), {std::byte{0}}));
  add("empty reply", int_request, Datagram{});
  const Datagram str_request = encode(Op::product, Format::string, {3, 5, 7, 9});  // "945"
  add("NUL in string reply", str_request, set_byte(answer(str_request), 2, 0));
  add("sign in string reply", str_request, set_byte(answer(str_request), 1, '-'));
  add("leading zero", str_request, set_byte(answer(str_request), 1, '0'));
  add("string with no digit", str_request, first(answer(str_request), 1));
  const Datagram max_request = encode(Op::sum, Format::string, {0xFFFFFFFF});
  add("over-long string", max_request, append(answer(max_request), {std::byte{'7'}}));
  add("string above 2^32-1", max_request, set_byte(answer(max_request), 1, '5'));
  add("reply unused bits set", int_request,
      set_byte(answer(int_request), 0, wire::kStatusMask | 0x2A));
  const Datagram bad = with_opcode(encode(Op::sum, Format::integer, {1, 2, 3}), 5);
  add("NUL in error reason", bad, set_byte(answer(bad), 3, 0));
  // Replies whose request is not in the capture: the dissector guesses the format.
  add("orphan integer reply", std::nullopt, success(1234, Format::integer));
  add("orphan string reply", std::nullopt, success(945, Format::string));
  return x;
}

std::uint8_t byte0(const Datagram& d) { return std::to_integer<std::uint8_t>(d.at(0)); }
namespace {
std::string text_of(const Datagram& d, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < d.size(); ++i) s += static_cast<char>(d[i]);
  return s;
}
std::string hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}
}  // namespace

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}
std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> cols(1);
  for (char ch : line) {
    if (ch == sep) {
      cols.emplace_back();
    } else {
      cols.back() += ch;
    }
  }
  return cols;
}
namespace {
bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The whole integers a request holds, read with the codec in slices of at most 64 (a slice's
// header has its opcode set to sum, so that the codec reads any request's integers).
std::vector<std::string> operands_of(const Datagram& d) {
  std::vector<std::string> out;
  const std::size_t whole = (d.size() - wire::kHeaderSize) / wire::kOperandSize;
  for (std::size_t done = 0; done < whole;) {
    const std::size_t n = std::min(whole - done, wire::kMaxOperands);
    Datagram slice = with_opcode(first(d, wire::kHeaderSize), wire::kOpcodeSum);
    const auto from =
        d.begin() + static_cast<std::ptrdiff_t>(wire::kHeaderSize + done * wire::kOperandSize);
    slice.insert(slice.end(), from, from + static_cast<std::ptrdiff_t>(n * wire::kOperandSize));
    const auto decoded = protocol::decode_request(slice);
    EXPECT_TRUE(decoded.ok());
    for (std::uint32_t v : decoded.request.operands.values()) out.push_back(std::to_string(v));
    done += n;
  }
  return out;
}

const std::string kUnusedBits = "unused bits set (receivers ignore them)";

}  // namespace

std::string request_row(const Datagram& d) {
  // type|unused|opcode|format|count|operands|request_in|status|reply_unused|format|result|str|reason
  std::vector<std::string> f{"0"};
  std::vector<std::string> experts;
  const auto decoded = protocol::decode_request(d);
  if (d.empty()) {
    f.resize(13);
  } else {
    const std::uint8_t b = byte0(d);
    f.push_back(hex2((b & wire::kRequestUnusedMask) >> wire::kRequestUnusedShift));
    f.push_back(std::to_string((b & wire::kOpcodeMask) >> wire::kOpcodeShift));
    f.push_back(std::to_string(b & wire::kFormatMask));
    f.push_back(std::to_string((d.size() - wire::kHeaderSize) / wire::kOperandSize));
    f.push_back(join(operands_of(d), ","));
    f.resize(13);
    if (b & wire::kRequestUnusedMask) experts.push_back(kUnusedBits);
  }
  if (decoded.fault) {
    char reason[64];
    experts.emplace_back(reason, protocol::format_reason(*decoded.fault, reason));
  }
  f.push_back(join(experts, ","));
  return join(f, "|");
}

namespace {
// The dissector shows a NUL byte in a string as the two characters \0.
std::string nul_escaped(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out;
}

}  // namespace

// `format`: the F bit of the request this reply answers, or nullopt when there is none.
std::string reply_row(const Datagram& d, std::optional<Format> format,
                      std::optional<std::size_t> request_frame) {
  std::vector<std::string> f{
      "1", "", "", "", "", "", request_frame ? std::to_string(*request_frame) : ""};
  std::vector<std::string> experts;
  if (d.empty()) {
    f.resize(13);
    experts.push_back(std::string(protocol::to_string(protocol::ReplyError::empty)));
    f.push_back(join(experts, ","));
    return join(f, "|");
  }
  const std::uint8_t b = byte0(d);
  const std::string payload = text_of(d, wire::kHeaderSize);
  f.push_back(b & wire::kStatusMask ? "1" : "0");
  f.push_back(hex2(b & wire::kReplyUnusedMask));
  if (b & wire::kReplyUnusedMask) experts.push_back(kUnusedBits);
  if (!(b & wire::kStatusMask)) {
    f.resize(12);
    const std::string shown = nul_escaped(payload);
    f.push_back(shown);
    experts.push_back("error reply: " + (shown.empty() ? std::string("(no reason)") : shown));
    if (payload.find('\0') != std::string::npos) experts.push_back("error reason holds a NUL byte");
    f.push_back(join(experts, ","));
    return join(f, "|");
  }
  if (!format) {
    // The dissector's documented guess: 4 bytes that are not all digits are an integer.
    format = payload.size() == wire::kIntegerResultSize && !all_digits(payload) ? Format::integer
                                                                                : Format::string;
    experts.push_back("no request seen: result format guessed");
  }
  const auto decoded = protocol::decode_reply(d, *format);
  f.push_back(std::to_string(static_cast<int>(*format)));
  f.push_back(decoded.ok() ? std::to_string(decoded.reply.value) : "");
  f.push_back(*format == Format::string ? nul_escaped(payload) : "");
  f.push_back("");
  if (decoded.error) experts.push_back(std::string(protocol::to_string(*decoded.error)));
  if (*format == Format::string && payload.find('\0') != std::string::npos) {
    experts.push_back("string result holds a NUL byte");
  }
  f.push_back(join(experts, ","));
  return join(f, "|");
}

// The result a client would accept from the exchange's reply (the format as the dissector
// decides it), or nullopt.
std::optional<std::uint32_t> reply_value(const Exchange& x) {
  if (!x.reply || x.reply->empty() || !(byte0(*x.reply) & wire::kStatusMask)) return std::nullopt;
  Format format = Format::string;
  if (x.request && !x.request->empty()) {
    format = static_cast<Format>(byte0(*x.request) & wire::kFormatMask);
  } else {
    const std::string payload = text_of(*x.reply, wire::kHeaderSize);
    if (payload.size() == wire::kIntegerResultSize && !all_digits(payload))
      format = Format::integer;
  }
  const auto decoded = protocol::decode_reply(*x.reply, format);
  if (!decoded.ok()) return std::nullopt;
  return decoded.reply.value;
}

// Writes every exchange from `client(i)` to `server` and back; returns the expected rows.
Capture write_exchanges(PcapWriter& w, const std::vector<Exchange>& exchanges,
                        const std::function<Address(std::size_t)>& client, const Address& server) {
  Capture c;
  auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    const Exchange& x = exchanges[i];
    std::optional<std::size_t> request_frame;
    std::optional<Format> format;
    if (x.request) {
      EXPECT_TRUE(w.write(client(i), server, *x.request, when).ok());
      c.labels.push_back(x.label + " (request)");
      request_frame = c.rows.size() + 1;
      c.rows.push_back(std::to_string(*request_frame) + "|" + request_row(*x.request));
      if (!x.request->empty()) format = static_cast<Format>(byte0(*x.request) & wire::kFormatMask);
    }
    when += std::chrono::milliseconds(1);
    if (x.reply) {
      EXPECT_TRUE(w.write(server, client(i), *x.reply, when).ok());
      c.labels.push_back(x.label + " (reply)");
      const std::size_t frame = c.rows.size() + 1;
      c.rows.push_back(std::to_string(frame) + "|" + reply_row(*x.reply, format, request_frame));
    }
    when += std::chrono::milliseconds(1);
  }
  return c;
}

Address addr(const std::string& text) {
  auto a = sockcalc::is_unix_spec(text) ? Address::parse_unix(text) : Address::parse(text);
  EXPECT_TRUE(a.ok()) << text;
  return a.ok() ? *a : Address{};
}

}  // namespace sockcalc::dissector_cases
