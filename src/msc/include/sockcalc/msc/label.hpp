// SPDX-License-Identifier: MIT
// msc/label.hpp -- public.
// Text that goes into an mscgen file: quoted labels that cannot break out of their quotes or
// start a line, and the "+250 ms" text of a time gap. Pure; any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace sockcalc::msc {

/// `text` made safe inside an mscgen double-quoted label: mscgen reads `\"` as a quote and
/// `\n` as a line break and keeps every other byte, so a quote is written `\"`, a backslash
/// `\x5c` (a backslash followed by `n` would break the line), and every byte outside printable
/// ASCII `\xHH`, as the programs' logs escape them. The result holds no newline and no
/// unescaped quote, and renders as one line.
std::string escape_label(std::string_view text);

/// A time gap as a label shows it: "+0.4 ms", "+12 ms", "+250 ms", "+1.25 s".
std::string gap_text(std::chrono::microseconds gap);

}  // namespace sockcalc::msc
