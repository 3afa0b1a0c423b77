// SPDX-License-Identifier: MIT
// tests/support/hostile.hpp -- public to every test program (library sockcalc_test_support).
// What the tests of hostile peers share: Unix addresses made of raw bytes, as a peer may bind
// them, and the check that a text holds nothing a terminal would act on. Pure; any thread.
#pragma once

#include <string>

#include "sockcalc/address/address.hpp"

namespace sockcalc::testing {

/// Where a raw Unix name lives.
enum class UnixNamespace { path, abstract };

/// A Unix address whose name is exactly `bytes` (an abstract one gets its leading NUL), as
/// recvfrom() reports a peer that bound it: no parsing, no checks.
Address raw_unix_address(const std::string& bytes, UnixNamespace where);

/// True when every byte of `text` is printable ASCII (0x20..0x7e): no control byte, no DEL,
/// nothing above ASCII (C1 controls such as the 8-bit CSI).
bool only_printable_ascii(const std::string& text);

}  // namespace sockcalc::testing
