// SPDX-License-Identifier: MIT
// tests/integration/integration.hpp -- internal to tests/integration.
// What the integration test programs share: gtest helpers over Process, ServerProcess and
// FakeServer, and the expected output computed with the project's codec.
// Test thread only.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fake_server.hpp"
#include "programs.hpp"
#include "sockcalc/protocol/codec.hpp"

/// Evaluates `expr` (a Result<T>), fails the test with its error unless it holds a value, and
/// moves the value into a new variable `lhs`.
#define SOCKCALC_CONCAT_INNER(a, b) a##b
#define SOCKCALC_CONCAT(a, b) SOCKCALC_CONCAT_INNER(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(SOCKCALC_CONCAT(result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  ASSERT_TRUE(tmp.ok()) << tmp.error().message(); \
  lhs = std::move(*tmp)

namespace sockcalc::integration {

/// What the client prints for `value`: "Result: 25\n".
inline std::string result_line(std::uint32_t value) {
  return "Result: " + std::to_string(value) + "\n";
}

/// The client's line for `op` over `operands`, computed by the codec (P-9).
inline std::string expected_output(protocol::Op op, const std::vector<std::uint32_t>& operands) {
  return result_line(protocol::compute(op, operands));
}

/// `values` as decimal command-line arguments.
inline std::vector<std::string> as_args(const std::vector<std::uint32_t>& values) {
  std::vector<std::string> out;
  for (std::uint32_t v : values) out.push_back(std::to_string(v));
  return out;
}

/// `a` followed by `b`.
inline std::vector<std::string> concat(std::vector<std::string> a,
                                       const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Prints the server's output when the test failed: call from TearDown().
inline void print_on_failure(const ServerProcess* server) {
  if (server != nullptr && ::testing::Test::HasFailure()) {
    std::cerr << "server output:\n" << server->report();
  }
}

/// Whether `text` contains `needle`, ignoring ASCII case ("Address already in use" is written
/// "address already in use" by our messages).
inline bool contains_nocase(std::string_view text, std::string_view needle) {
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  return lower(text).find(lower(needle)) != std::string::npos;
}

/// The exit statuses of the client (its --help lists them).
inline constexpr int kClientOk = 0;
inline constexpr int kClientErrorReply = 1;
inline constexpr int kClientUsage = 2;
inline constexpr int kClientMalformed = 3;
inline constexpr int kClientNoReply = 4;

/// The exit statuses of the server.
inline constexpr int kServerOk = 0;
inline constexpr int kServerCannotStart = 1;
inline constexpr int kServerUsage = 2;

}  // namespace sockcalc::integration
