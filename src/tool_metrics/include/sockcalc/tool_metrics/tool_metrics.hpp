// SPDX-License-Identifier: MIT
// tool_metrics/tool_metrics.hpp -- internal to loadgen and linksim (sockcalc_tool_metrics).
// What loadgen and linksim export with --metrics, for someone watching a long run: loadgen's
// requests, replies by result, timeouts and requests in flight; linksim's datagrams per
// direction and fault, and its flows. Pure: made from a copy of the counters, on any thread.
#pragma once

#include <string>

#include "sockcalc/linksim/stats.hpp"
#include "sockcalc/loadgen/generator.hpp"

namespace sockcalc::metrics {

/// loadgen's text, from its latest progress report (about once a second).
std::string loadgen_metrics(const loadgen::Progress& progress);

/// linksim's text, from a copy of its counters.
std::string linksim_metrics(const linksim::RelayStats& stats);

}  // namespace sockcalc::metrics
