// SPDX-License-Identifier: MIT
// protocol/describe.hpp -- public.
// One-line human descriptions of datagrams ("sum, integer, 5 integers: 1 3 5 7 9"), for -v
// traces and reports. Pure; any thread. Allocates: never on a per-datagram fast path.
#pragma once

#include <cstddef>
#include <string>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::protocol {

/// What a request datagram asks, or which rule it breaks.
std::string describe_request(Bytes held, std::size_t wire_length);
inline std::string describe_request(Bytes datagram) {
  return describe_request(datagram, datagram.size());
}

/// What a reply datagram says to a client that asked for `expected`.
std::string describe_reply(Bytes datagram, Format expected);

}  // namespace sockcalc::protocol
