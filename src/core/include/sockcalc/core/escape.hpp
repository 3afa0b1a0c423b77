// SPDX-License-Identifier: MIT
// core/escape.hpp -- public.
// Escaping of bytes that may come from a peer (Unix socket names, a client's output) before
// they reach a log line or a terminal, and the inverse for text forms that must round-trip.
// Pure functions; any thread. Allocates: for logs and text forms, never on a fast path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sockcalc {

/// `bytes` with every byte outside printable ASCII (0x20..0x7e) written as `\xHH` (two
/// lower-case hex digits) and every backslash doubled (`\\`). The result holds no control
/// byte, no newline and no byte above 0x7e, so it cannot end a log line, start a forged one
/// or drive a terminal (ESC, C1 controls); printable bytes stay as they are.
std::string escape_bytes(std::string_view bytes);

/// The inverse of escape_bytes(): `\\` gives a backslash and `\xHH` (either case) the byte
/// 0xHH; other bytes stand for themselves. No value when a backslash starts anything else.
std::optional<std::string> unescape_bytes(std::string_view text);

}  // namespace sockcalc
