// SPDX-License-Identifier: MIT
// loadgen/report.hpp -- public.
// What loadgen prints: the human-readable report, the one-line JSON object, the progress
// line, and the verdict that becomes the exit status. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/loadgen/generator.hpp"

namespace sockcalc::loadgen {

/// Limits on a run beyond "every reply right".
struct PassCriteria {
  /// Fail when the run saw more timeouts than this (warm-up included); nullopt: no limit.
  std::optional<std::uint64_t> max_timeouts;
};

/// Why the run failed, one reason each ("3 wrong replies", "no ok reply"); empty when it
/// passed. A run fails on any wrong, error or malformed reply (warm-up included), when no
/// request of the measured phase got a right reply, or past criteria.max_timeouts.
std::vector<std::string> failures(const Report& report, const PassCriteria& criteria);

/// The report for a person, several lines ending with a newline.
std::string format_text(const Config& config, const Report& report, const PassCriteria& criteria);

/// Every figure of the report as one JSON object on one line (with a newline), for scripts;
/// keys in docs/LOADGEN.md's order, strings written by core/json_text.hpp's rule.
std::string format_json(const Config& config, const Report& report, const PassCriteria& criteria);

/// "  3 s  271234 ok/s  ok 812345  wrong 0  timeouts 0" (no newline), for a terminal.
std::string format_progress(const Progress& progress);

}  // namespace sockcalc::loadgen
