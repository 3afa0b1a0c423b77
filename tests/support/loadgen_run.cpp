// SPDX-License-Identifier: MIT
// tests/support/loadgen_run.cpp -- see loadgen_run.hpp.
#include "support/loadgen_run.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sockcalc::testing {

LoadRun expect_every_reply_right(const RunResult& r) {
  LoadRun run;
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "loadgen printed no JSON\n" << r.report;
  if (j.is_discarded()) return run;
  // at(): a missing member throws, which fails the test.
  EXPECT_TRUE(j.at("pass").get<bool>()) << r.out;
  for (const char* phase : {"warmup", "measured"}) {
    const auto number = [&](const char* key) { return j.at(phase).at(key).get<double>(); };
    // Every request got its right answer: none wrong, none an error, none left unanswered.
    EXPECT_EQ(number("ok"), number("sent")) << phase << ": " << r.out;
    for (const char* bad : {"wrong", "error_replies", "malformed", "unanswered", "late_bad"}) {
      EXPECT_EQ(number(bad), 0) << phase << " " << bad << ": " << r.out;
    }
    run.requests += number("sent");
    run.retransmits += number("retransmits");
  }
  EXPECT_GT(run.requests, 0) << r.out;
  run.requests_per_second = j.at("requests_per_second").get<double>();
  run.p50_us = j.at("latency_us").at("p50").get<double>();
  run.p99_us = j.at("latency_us").at("p99").get<double>();
  return run;
}

}  // namespace sockcalc::testing
