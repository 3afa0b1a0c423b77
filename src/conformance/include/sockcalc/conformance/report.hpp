// SPDX-License-Identifier: MIT
// conformance/report.hpp -- public.
// What conformance prints: the PASS/FAIL table (a row per check, then for each failure or
// warning the bytes exchanged and one sentence), and the JSON document of docs/CONFORMANCE.md.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sockcalc/conformance/outcome.hpp"

namespace sockcalc::conformance {

/// The JSON schema's name and version; a change that breaks readers bumps the number.
inline constexpr std::string_view kJsonSchema = "sockcalc-conformance/1";

/// Datagrams longer than this are shown cut in the table (the JSON holds every byte).
inline constexpr std::size_t kTableHexBytes = 64;

/// "conformance: server [::1]:10000, 38 checks, timeout 1000 ms" and the column headings.
std::string table_header(std::string_view mode, std::string_view target, std::size_t checks,
                         int timeout_ms);

/// One row: "PASS  P-2   course-sum                  course example: ...".
std::string table_row(const CheckOutcome& outcome);

/// The block for one check: its sentence, every datagram in the course's hex, and for a
/// client its command line, how it ended and what it printed. `mode` names the directions.
std::string details(std::string_view mode, const CheckOutcome& outcome);

/// The blocks of every failure and warning (all checks when `verbose`), then the summary line.
std::string table_footer(const Report& report, bool verbose);

/// Header, rows and footer at once.
std::string format_table(const Report& report, bool verbose);

/// The whole report as one JSON document (schema kJsonSchema) on one line ending with a
/// newline; strings written by core/json_text.hpp's rule.
std::string format_json(const Report& report);

}  // namespace sockcalc::conformance
