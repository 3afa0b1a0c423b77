// SPDX-License-Identifier: MIT
// protocol/describe.cpp -- implementation of protocol/describe.hpp.
#include "sockcalc/protocol/describe.hpp"

#include <array>

#include "sockcalc/core/hex.hpp"

namespace sockcalc::protocol {

std::string describe_request(Bytes held, std::size_t wire_length) {
  const DecodedRequest d = decode_request(held, wire_length);
  if (!d.ok()) {
    std::array<char, 64> reason{};
    const std::size_t n = format_reason(*d.fault, reason);
    return "bad request: " + std::string(reason.data(), n);
  }
  const Request& r = d.request;
  std::string out = std::string(to_string(r.op)) + ", " + std::string(to_string(r.format)) + ", " +
                    std::to_string(r.operands.size()) +
                    (r.operands.size() == 1 ? " integer:" : " integers:");
  for (std::uint32_t v : r.operands.values()) out += " " + std::to_string(v);
  if (r.unused != 0) out += " (unused bits " + std::to_string(r.unused) + ")";
  return out;
}

std::string describe_reply(Bytes datagram, Format expected) {
  const DecodedReply d = decode_reply(datagram, expected);
  if (!d.ok()) return "malformed reply: " + std::string(to_string(*d.error));
  if (!d.reply.success) {
    const std::string text = printable_or_empty(d.reply.reason);
    if (d.reply.reason.empty()) return "error reply";
    return text.empty() ? "error reply (reason not printable)" : "error reply: " + text;
  }
  return "result " + std::to_string(d.reply.value);
}

}  // namespace sockcalc::protocol
