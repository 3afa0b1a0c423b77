// SPDX-License-Identifier: MIT
// core/hex.hpp -- public.
// Byte dumps in the course text's style ("0x80 0x39 0x34 0x35"), for -v traces.
// Pure; any thread. Allocates: for logs, never for the per-datagram fast path.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace sockcalc {

/// Each byte as the course prints it with printf("0x%hhx "): lower-case hex, no leading zero,
/// separated by single spaces.
std::string course_hex(std::span<const std::byte> bytes);

/// The bytes as text when every one is printable ASCII, else "".
std::string printable_or_empty(std::span<const std::byte> bytes);

}  // namespace sockcalc
