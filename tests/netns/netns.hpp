// SPDX-License-Identifier: MIT
// tests/netns/netns.hpp -- internal to tests/netns.
// What the namespace tests share: the programs of this build run inside a lab host, the gtest
// helpers over NetLab, and the expected client output computed with the project's codec.
// Test thread only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sockcalc/protocol/codec.hpp"
#include "support/netlab.hpp"
#include "support/process.hpp"

namespace sockcalc::testing {

/// Fails the test with the error of `status` (a Status) unless it is Ok.
#define SOCKCALC_ASSERT_OK(status)                                          \
  do {                                                                      \
    const auto sockcalc_status = (status);                                  \
    ASSERT_TRUE(sockcalc_status.ok()) << sockcalc_status.error().message(); \
  } while (0)

/// The integers every call of these tests sends, and the line the client prints for their sum.
inline const std::vector<std::string> kOperands = {"1", "3", "5", "7", "9"};
inline std::string sum_line() {
  const std::vector<std::uint32_t> values = {1, 3, 5, 7, 9};
  return "Result: " + std::to_string(protocol::compute(protocol::Op::sum, values)) + "\n";
}

/// Client tries for a call that should be answered at once: short, so that a call the server's
/// reply never reaches fails in about 1.25 s instead of 6.75 s (250 + 500 + 500 ms).
inline const std::vector<std::string> kQuickTries = {"--timeout", "250",       "--max-timeout",
                                                     "500",       "--retries", "2"};

/// `client [extra...] -op + HOST PORT 1 3 5 7 9` inside `host` of `lab`.
inline RunResult ask_sum(const NetLab& lab, const std::string& host, const std::string& server,
                         const std::string& port, std::vector<std::string> extra = kQuickTries) {
  std::vector<std::string> args = std::move(extra);
  args.insert(args.end(), {"-op", "+", server, port});
  args.insert(args.end(), kOperands.begin(), kOperands.end());
  return lab.run(host, SOCKCALC_CLIENT_BIN, args);
}

/// A lab, or the test skipped (fails with SOCKCALC_REQUIRE_NETNS=1) when none can be made.
#define SOCKCALC_MAKE_LAB(lab)                                  \
  SOCKCALC_REQUIRE_NETNS_OR_SKIP();                             \
  auto lab##_made = ::sockcalc::testing::NetLab::create();      \
  ASSERT_TRUE(lab##_made.ok()) << lab##_made.error().message(); \
  std::unique_ptr<::sockcalc::testing::NetLab> lab = std::move(*lab##_made)

}  // namespace sockcalc::testing
