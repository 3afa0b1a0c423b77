// SPDX-License-Identifier: MIT
// tests/support/loadgen_run.hpp -- public to every test program (library sockcalc_test_support).
// The one check of a loadgen --json run that every reply was right, for the tests that put load
// through something (nginx, the scale-out paths). Test thread only: it reports GoogleTest failures.
#pragma once

#include "support/process.hpp"

namespace sockcalc::testing {

/// What one loadgen run reported (both phases), once checked.
struct LoadRun {
  double requests_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  double requests = 0;     // distinct requests sent, warm-up and measured
  double retransmits = 0;  // extra copies sent after a timeout
};

/// Checks `r`, a finished `loadgen --json ...`: exit 0, "pass", and in both phases every request
/// answered right (none wrong, an error reply, malformed, unanswered or a bad late reply). Each
/// fault is a GoogleTest failure; returns the figures (zeros when there was no JSON).
LoadRun expect_every_reply_right(const RunResult& r);

}  // namespace sockcalc::testing
