// SPDX-License-Identifier: MIT
// tools/common/number.hpp -- internal to tools/.
// The one reader of numbers given on a command line (option values and operands): whole
// numbers in a range and base, decimal numbers in a range, and their usage errors.
// Pure, any thread; functions named *_or_die exit the process (tools only, main thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sockcalc::cli {

/// All of `text` as a whole number in [min, max], written in `base` (2..36): digits only, no
/// sign, space or prefix; leading zeros allowed. nullopt when empty, anything else, too large
/// for 64 bits, or out of the range.
std::optional<std::uint64_t> parse_whole(std::string_view text, std::uint64_t min,
                                         std::uint64_t max, int base = 10);

/// All of `text` as a finite decimal number in [min, max]: digits with at most one '.'
/// ("12", "0.5", ".5"), no sign, space or exponent. nullopt otherwise.
std::optional<double> parse_decimal_number(std::string_view text, double min, double max);

/// parse_whole in base 10, or a usage error "invalid WHAT 'TEXT': must be MIN..MAX".
std::uint64_t whole_or_die(std::string_view text, std::string_view what, std::uint64_t min,
                           std::uint64_t max);

/// parse_decimal_number, or a usage error "invalid WHAT 'TEXT': must be UNIT MIN..MAX" (the
/// bounds printed as %g: "a percentage 0..100", "seconds 0.001..86400").
double decimal_or_die(std::string_view text, std::string_view what, double min, double max,
                      std::string_view unit);

}  // namespace sockcalc::cli
