// SPDX-License-Identifier: MIT
// tests/linksim/fault_test.cpp -- unit tests of linksim/fault.hpp (the pure fault decider).
// Fixed seeds; every statistical bound is at least five standard deviations wide.
// Single-threaded.
#include "sockcalc/linksim/fault.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <set>

#include "sockcalc/protocol/codec.hpp"

using ::testing::HasSubstr;

namespace sockcalc::linksim {
namespace {

using std::chrono::milliseconds;

FaultDecider make(const FaultConfig& config, std::uint64_t seed = 1) {
  auto d = FaultDecider::create(config, seed);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message());
  return std::move(*d);
}

// A real request datagram from the codec, `operands` integers long.
std::vector<std::byte> request_bytes(std::size_t operands) {
  protocol::Request r;
  for (std::size_t i = 0; i < operands; ++i) {
    r.operands.push_back(static_cast<std::uint32_t>(0x01020304u * (i + 1)));
  }
  return protocol::encoded_request(r);
}

TEST(FaultDecider, NoFaultPassesEveryDatagramUntouched) {
  FaultDecider d = make({});
  for (int i = 0; i < 10'000; ++i) {
    const Decision x = d.decide(21);
    ASSERT_EQ(x, Decision{}) << "datagram " << i << ": " << to_string(x);
    ASSERT_EQ(to_string(x), "pass");
  }
}

TEST(FaultDecider, LossHundredDropsAll) {
  FaultDecider d = make({.loss = 100});
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(d.decide(21).drop) << "datagram " << i;
}

TEST(FaultDecider, DroppedDatagramCarriesNoOtherFault) {
  FaultDecider d = make({.loss = 100,
                         .duplicate = 100,
                         .reorder = 100,
                         .corrupt = 100,
                         .cut = 100,
                         .delay = milliseconds(5),
                         .jitter = milliseconds(5)});
  const Decision x = d.decide(21);
  Decision dropped;
  dropped.drop = true;
  EXPECT_EQ(x, dropped);
  EXPECT_EQ(to_string(x), "drop");
}

// 20000 draws at p = 0.3: sd = sqrt(20000 * 0.3 * 0.7) = 65; +-400 is more than 6 sd.
TEST(FaultDecider, ThirtyPercentLossLandsWithinTolerance) {
  for (std::uint64_t seed : {1u, 2u, 12345u}) {
    FaultDecider d = make({.loss = 30}, seed);
    int dropped = 0;
    for (int i = 0; i < 20'000; ++i) dropped += d.decide(21).drop ? 1 : 0;
    EXPECT_NEAR(dropped, 6000, 400) << "seed " << seed;
  }
}

// Each fault alone at 10 % over 20000 draws: sd = 42; +-300 is 7 sd.
TEST(FaultDecider, EachRateLandsWithinTolerance) {
  struct Case {
    const char* name;
    FaultConfig config;
    bool (*hit)(const Decision&);
  };
  const Case cases[] = {
      {"dup", {.duplicate = 10}, [](const Decision& x) { return x.duplicate.has_value(); }},
      {"reorder", {.reorder = 10}, [](const Decision& x) { return x.reorder; }},
      {"corrupt", {.corrupt = 10}, [](const Decision& x) { return x.corrupt.has_value(); }},
      {"cut", {.cut = 10}, [](const Decision& x) { return x.cut_to.has_value(); }},
  };
  for (const Case& c : cases) {
    FaultDecider d = make(c.config, 99);
    int hits = 0;
    for (int i = 0; i < 20'000; ++i) hits += c.hit(d.decide(21)) ? 1 : 0;
    EXPECT_NEAR(hits, 2000, 300) << c.name;
  }
}

TEST(FaultDecider, DecimalRateIsHonoured) {
  FaultDecider d = make({.loss = 0.5}, 3);
  int dropped = 0;
  for (int i = 0; i < 100'000; ++i) dropped += d.decide(21).drop ? 1 : 0;
  EXPECT_NEAR(dropped, 500, 150);  // sd = 22
}

FaultConfig every_fault() {
  return {.loss = 20,
          .duplicate = 20,
          .reorder = 20,
          .corrupt = 20,
          .cut = 20,
          .delay = milliseconds(3),
          .jitter = milliseconds(17)};
}

TEST(FaultDecider, SameSeedGivesSameDecisionSequence) {
  FaultDecider a = make(every_fault(), 42);
  FaultDecider b = make(every_fault(), 42);
  FaultDecider other = make(every_fault(), 43);
  int differences = 0;
  for (std::size_t i = 0; i < 5000; ++i) {
    const std::size_t size = 5 + (i % 253);
    const Decision x = a.decide(size);
    ASSERT_EQ(x, b.decide(size)) << "datagram " << i;
    differences += x == other.decide(size) ? 0 : 1;
  }
  EXPECT_GT(differences, 1000) << "another seed must give another sequence";
}

// The decider draws the same values whatever is enabled: turning dup on does not change which
// datagrams are lost.
TEST(FaultDecider, OneFaultDoesNotShiftAnother) {
  FaultDecider loss_only = make({.loss = 30}, 7);
  FaultDecider loss_and_more = make(every_fault(), 7);
  FaultDecider loss_and_more_30 = make({.loss = 30, .duplicate = 50, .corrupt = 50}, 7);
  for (int i = 0; i < 5000; ++i) {
    const bool lost = loss_only.decide(21).drop;
    loss_and_more.decide(21);
    ASSERT_EQ(lost, loss_and_more_30.decide(21).drop) << "datagram " << i;
  }
}

TEST(FaultDecider, CorruptChangesExactlyOneByte) {
  FaultDecider d = make({.corrupt = 100}, 5);
  std::set<std::size_t> indexes;
  for (std::size_t i = 0; i < 2000; ++i) {
    const std::vector<std::byte> original = request_bytes(1 + i % wire::kMaxOperands);
    const Decision x = d.decide(original.size());
    ASSERT_TRUE(x.corrupt.has_value());
    ASSERT_LT(x.corrupt->index, original.size());
    ASSERT_NE(x.corrupt->mask, 0);
    std::vector<std::byte> bytes = original;
    apply(x, bytes);
    ASSERT_EQ(bytes.size(), original.size());
    std::size_t changed = 0;
    for (std::size_t k = 0; k < bytes.size(); ++k) {
      if (bytes[k] != original[k]) {
        ++changed;
        EXPECT_EQ(k, x.corrupt->index);
        EXPECT_EQ(std::to_integer<std::uint8_t>(bytes[k] ^ original[k]), x.corrupt->mask);
      }
    }
    ASSERT_EQ(changed, 1u) << "datagram " << i << ": " << to_string(x);
    if (original.size() == wire::kMinRequestSize) indexes.insert(x.corrupt->index);
  }
  EXPECT_EQ(indexes.size(), wire::kMinRequestSize) << "every byte of a 5-byte request is hit";
}

TEST(FaultDecider, CutYieldsAShorterLength) {
  FaultDecider d = make({.cut = 100}, 6);
  std::set<std::size_t> lengths;
  for (std::size_t i = 0; i < 3000; ++i) {
    const std::vector<std::byte> original = request_bytes(1 + i % wire::kMaxOperands);
    const Decision x = d.decide(original.size());
    ASSERT_TRUE(x.cut_to.has_value());
    ASSERT_LT(*x.cut_to, original.size());
    std::vector<std::byte> bytes = original;
    apply(x, bytes);
    ASSERT_EQ(bytes.size(), *x.cut_to);
    ASSERT_TRUE(std::equal(bytes.begin(), bytes.end(), original.begin())) << "a cut keeps a prefix";
    if (original.size() == wire::kMinRequestSize) lengths.insert(*x.cut_to);
  }
  EXPECT_EQ(lengths, (std::set<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(FaultDecider, EmptyDatagramCannotBeCutOrCorrupted) {
  FaultDecider d = make({.corrupt = 100, .cut = 100}, 8);
  const Decision x = d.decide(0);
  EXPECT_FALSE(x.cut_to.has_value());
  EXPECT_FALSE(x.corrupt.has_value());
}

TEST(FaultDecider, CorruptionFallsInsideTheCutDatagram) {
  FaultDecider d = make({.corrupt = 100, .cut = 100}, 9);
  for (int i = 0; i < 2000; ++i) {
    const Decision x = d.decide(21);
    ASSERT_TRUE(x.cut_to.has_value());
    if (*x.cut_to == 0) {
      ASSERT_FALSE(x.corrupt.has_value());
    } else {
      ASSERT_TRUE(x.corrupt.has_value());
      ASSERT_LT(x.corrupt->index, *x.cut_to);
    }
  }
}

TEST(FaultDecider, DelayPlusJitterStaysInRangeAndCoversIt) {
  FaultDecider d = make({.duplicate = 100, .delay = milliseconds(5), .jitter = milliseconds(10)});
  std::set<long> seen;
  for (int i = 0; i < 5000; ++i) {
    const Decision x = d.decide(21);
    ASSERT_TRUE(x.duplicate.has_value());
    for (milliseconds v : {x.delay, *x.duplicate}) {
      ASSERT_GE(v.count(), 5);
      ASSERT_LE(v.count(), 15);
      seen.insert(static_cast<long>(v.count()));
    }
  }
  EXPECT_EQ(seen.size(), 11u) << "every value 5..15 ms is drawn";
}

TEST(FaultDecider, RejectsOutOfRangeConfig) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const FaultConfig bad[] = {
      {.loss = 150},
      {.loss = -1},
      {.loss = 100.0001},
      {.loss = nan},
      {.duplicate = inf},
      {.reorder = 101},
      {.corrupt = -0.5},
      {.cut = 1000},
      {.delay = milliseconds(-1)},
      {.delay = kMaxDelay + milliseconds(1)},
      {.jitter = milliseconds(-5)},
  };
  for (const FaultConfig& c : bad) {
    auto d = FaultDecider::create(c, 1);
    ASSERT_FALSE(d.ok()) << to_string(c);
    EXPECT_THAT(d.error().context, ::testing::HasSubstr("out of range"));
    EXPECT_TRUE(validate(c).has_value());
  }
  EXPECT_THAT(*(validate({.loss = 150})), HasSubstr("loss 150"));
  const FaultConfig good[] = {{},
                              {.loss = 100,
                               .duplicate = 100,
                               .reorder = 100,
                               .corrupt = 100,
                               .cut = 100,
                               .delay = kMaxDelay,
                               .jitter = kMaxDelay}};
  for (const FaultConfig& c : good) EXPECT_TRUE(FaultDecider::create(c, 1).ok()) << to_string(c);
}

TEST(FaultDecider, DirectionsGetDifferentSeeds) {
  for (std::uint64_t seed : {0ull, 1ull, 42ull, ~0ull}) {
    EXPECT_NE(direction_seed(seed, Direction::forward), direction_seed(seed, Direction::reverse));
    EXPECT_EQ(direction_seed(seed, Direction::forward), direction_seed(seed, Direction::forward));
  }
  EXPECT_NE(direction_seed(1, Direction::forward), direction_seed(2, Direction::forward));
}

TEST(FaultDecider, DescribesDecisionsAndConfigs) {
  Decision x;
  x.cut_to = 3;
  x.corrupt = Corruption{2, 0x10};
  x.reorder = true;
  x.delay = milliseconds(12);
  x.duplicate = milliseconds(15);
  EXPECT_EQ(to_string(x),
            "cut to 3, corrupt byte 2 (xor 0x10), reorder, delay 12 ms, dup (+15 ms)");
  EXPECT_EQ(to_string(FaultConfig{.loss = 30, .duplicate = 12.5, .jitter = milliseconds(20)}),
            "loss 30%, dup 12.5%, reorder 0%, corrupt 0%, cut 0%, delay 0 ms + jitter 0..20 ms");
  EXPECT_EQ(to_string(Direction::forward), "forward");
  EXPECT_EQ(to_string(Direction::reverse), "reverse");
}

}  // namespace
}  // namespace sockcalc::linksim
