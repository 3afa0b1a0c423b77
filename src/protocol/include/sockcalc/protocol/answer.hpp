// SPDX-License-Identifier: MIT
// protocol/answer.hpp -- public.
// The server's answer to one datagram: decode, compute, encode a reply, by the spec's rules.
// Pure (bytes in, bytes out): no socket, no allocation; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::protocol {

struct Answer {
  std::size_t size = 0;               // reply bytes written; >= 1 for every datagram (P-7)
  std::optional<RequestFault> fault;  // set when the reply is an error reply
  std::uint32_t value = 0;            // the result, for a success reply
  Format format = Format::integer;    // the format the request asked for
};

/// Answers the datagram whose first `held.size()` bytes were received and whose real length is
/// `wire_length`. `out` must hold wire::kMaxSuccessReplySize bytes or more.
Answer answer(Bytes held, std::size_t wire_length, MutableBytes out);

}  // namespace sockcalc::protocol
