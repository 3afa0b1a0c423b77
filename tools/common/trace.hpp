// SPDX-License-Identifier: MIT
// tools/common/trace.hpp -- internal to tools/.
// The one shape of a -v trace line, shared by every program:
//   "from [::1]:5000, 21 bytes: 0x0 0x0 ... | sum, integer, 5 integers: 1 3 5 7 9"
// Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sockcalc/address/address.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::cli {

/// `direction` is "from" or "to" (or any short word); `wire_length` may exceed bytes.size()
/// for a truncated datagram, which the line then says.
std::string trace_line(std::string_view direction, const Address& peer, protocol::Bytes bytes,
                       std::size_t wire_length, std::string_view meaning);

}  // namespace sockcalc::cli
