// SPDX-License-Identifier: MIT
// tests/unit/stats_test.cpp -- unit tests of server/stats and of the RequestError table in
// protocol/codec (internal to tests/).
// The counters by cause are sized, indexed and named from the enum itself: every value has one
// counter and one name, and each reaches only its own. Single-threaded.
#include "sockcalc/server/stats.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::server {
namespace {

using protocol::kRequestErrorCount;
using protocol::kRequestErrors;
using protocol::RequestError;

// Every value written `NAME=VALUE` in `text` for this name, NAME a whole word ("empty=3" in
// "(empty=3 unknown_opcode=0"), in order.
std::vector<std::string> values_of(const std::string& text, std::string_view name) {
  std::vector<std::string> values;
  const std::string key = std::string(name) + "=";
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    if (at > 0 && text[at - 1] != ' ' && text[at - 1] != '(') continue;
    const std::size_t start = at + key.size();
    values.push_back(text.substr(start, text.find_first_of(" )", start) - start));
  }
  return values;
}

TEST(RequestErrorTable, EveryValueInOrderWithItsOwnName) {
  ASSERT_EQ(kRequestErrors.size(), kRequestErrorCount);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRequestErrors.size(); ++i) {
    const RequestError e = kRequestErrors[i];
    EXPECT_EQ(protocol::index(e), i);
    const std::string_view name = protocol::name(e);
    EXPECT_FALSE(name.empty()) << i;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    EXPECT_TRUE(names.insert(name).second) << "two values named " << name;
    EXPECT_NE(protocol::to_string(e), "?") << name;
  }
  // The names the server's counters have always had: logs and dashboards read them.
  EXPECT_EQ(protocol::name(RequestError::empty), "empty");
  EXPECT_EQ(protocol::name(RequestError::unknown_opcode), "unknown_opcode");
  EXPECT_EQ(protocol::name(RequestError::no_operands), "no_integer");
  EXPECT_EQ(protocol::name(RequestError::misaligned_payload), "misaligned");
  EXPECT_EQ(protocol::name(RequestError::too_many_operands), "too_many");
  // Past the last value: no name (what codec.hpp's static_assert checks at compile time).
  EXPECT_EQ(protocol::name(static_cast<RequestError>(kRequestErrorCount)), "");
}

TEST(Stats, OneCounterPerRequestError) {
  Stats s;
  EXPECT_EQ(s.by_error.size(), kRequestErrorCount);
}

TEST(Stats, CountErrorReachesOnlyItsOwnCounter) {
  for (RequestError e : kRequestErrors) {
    Stats s;
    s.count_error(e);
    s.count_error(e);
    EXPECT_EQ(s.error_replies.value(), 2u) << protocol::name(e);
    for (RequestError other : kRequestErrors) {
      EXPECT_EQ(s.by_error[protocol::index(other)].value(), other == e ? 2u : 0u)
          << "counting " << protocol::name(e) << " changed " << protocol::name(other);
    }
    EXPECT_EQ(values_of(s.to_string(), protocol::name(e)), std::vector<std::string>{"2"})
        << s.to_string();
  }
}

TEST(Stats, SumsAddEveryCauseAndToStringNamesEachOnce) {
  Stats a;
  Stats b;
  for (RequestError e : kRequestErrors) {
    for (std::size_t n = 0; n <= protocol::index(e); ++n) a.count_error(e);
    b.count_error(e);
  }
  a += b;
  const std::string text = a.to_string();
  for (RequestError e : kRequestErrors) {
    const std::vector<std::string> want = {std::to_string(protocol::index(e) + 2)};
    EXPECT_EQ(values_of(text, protocol::name(e)), want) << protocol::name(e) << " in " << text;
  }
}

}  // namespace
}  // namespace sockcalc::server
