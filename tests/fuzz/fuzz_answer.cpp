// SPDX-License-Identifier: MIT
// tests/fuzz/fuzz_answer.cpp -- libFuzzer target: the server's whole answer to one datagram
// (decode, compute, encode) and the client's check of the reply it produces.
// Every input is a datagram as received; the invariants below are the spec's P-6..P-10.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace {

using namespace sockcalc;

void require(bool condition) {
  if (!condition) std::abort();
}

// Checks what the server answers `datagram`, as if it arrived through a receive buffer of
// wire::kRecvBufferSize bytes (so longer inputs are seen truncated, with their real length).
void check_answer(std::span<const std::byte> datagram) {
  const auto held = datagram.first(std::min(datagram.size(), wire::kRecvBufferSize));
  std::array<std::byte, wire::kRecvBufferSize> out{};
  const protocol::Answer a = protocol::answer(held, datagram.size(), out);
  require(a.size >= 1 && a.size <= out.size());  // P-7: one reply, never empty
  const auto reply = std::span<const std::byte>(out.data(), a.size);
  const auto decoded = protocol::decode_request(held, datagram.size());
  if (a.fault) {
    require(!decoded.ok() && *decoded.fault == *a.fault);
    require(reply[0] == std::byte{0});                             // P-8: S = 0
    require(a.size <= std::max<std::size_t>(datagram.size(), 1));  // P-8: never longer
    return;
  }
  require(decoded.ok() && datagram.size() <= wire::kMaxRequestSize);
  const auto& r = decoded.request;
  const auto checked = protocol::decode_reply(reply, r.format);  // P-10, P-11
  require(checked.ok() && checked.reply.success);
  require(checked.reply.value == protocol::compute(r.op, r.operands.values()));  // P-9
  // Re-encoding the decoded request gives the datagram back, except its unused bits.
  std::array<std::byte, wire::kMaxRequestSize> again{};
  const std::size_t n = protocol::encode_request(r, again);
  require(n == datagram.size() && std::equal(again.begin(), again.begin() + n, datagram.begin()));
}

// The client's check must never crash or accept a reply that breaks P-10.
void check_reply(std::span<const std::byte> datagram) {
  for (auto format : {protocol::Format::integer, protocol::Format::string}) {
    const auto d = protocol::decode_reply(datagram, format);
    if (!d.ok() || !d.reply.success) continue;
    std::array<std::byte, wire::kMaxSuccessReplySize> canonical{};
    const std::size_t n = protocol::encode_success_reply(d.reply.value, format, canonical);
    // Only the unused bits of byte 0 may differ from our own encoding.
    require(n == datagram.size() &&
            std::equal(canonical.begin() + 1, canonical.begin() + n, datagram.begin() + 1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  check_answer(bytes);
  check_reply(bytes);
  return 0;
}
