// SPDX-License-Identifier: MIT
// tests/healthcheck/logic_test.cpp -- the health checker's pure parts: the fall/rise counting,
// endpoint and prefix parsing, the nft commands of one change, the checker's option checks.
// No socket, no privilege. Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sockcalc/healthcheck/checker.hpp"
#include "sockcalc/healthcheck/ecmp_route.hpp"
#include "sockcalc/healthcheck/endpoint.hpp"
#include "sockcalc/healthcheck/nft_service.hpp"
#include "sockcalc/healthcheck/tracker.hpp"

namespace sockcalc::healthcheck {
namespace {

using ::testing::HasSubstr;

TEST(Tracker, StartsAsTheFirstProbeSays) {
  EXPECT_TRUE(Tracker({}, true).up());
  EXPECT_FALSE(Tracker({}, false).up());
}

TEST(Tracker, GoesDownAfterFallFailuresInARowOnly) {
  Tracker t({.fall = 3, .rise = 2}, true);
  EXPECT_FALSE(t.record(false));
  EXPECT_FALSE(t.record(false));
  EXPECT_FALSE(t.record(true));  // a good probe breaks the streak
  EXPECT_EQ(t.streak(), 0);
  EXPECT_FALSE(t.record(false));
  EXPECT_FALSE(t.record(false));
  EXPECT_TRUE(t.up());
  EXPECT_TRUE(t.record(false));  // the third in a row
  EXPECT_EQ(t.health(), Health::down);
  EXPECT_FALSE(t.record(false));  // already down: no new change
}

TEST(Tracker, ComesBackAfterRiseGoodProbesInARow) {
  Tracker t({.fall = 3, .rise = 2}, false);
  EXPECT_FALSE(t.record(true));
  EXPECT_FALSE(t.record(false));
  EXPECT_FALSE(t.record(true));
  EXPECT_TRUE(t.record(true));
  EXPECT_TRUE(t.up());
}

TEST(Tracker, OneProbeDecidesWithThresholdsOfOne) {
  Tracker t({.fall = 1, .rise = 1}, true);
  EXPECT_TRUE(t.record(false));
  EXPECT_TRUE(t.record(true));
  EXPECT_TRUE(t.up());
}

TEST(Endpoint, ParsesANameAndOneAddressOfEachFamily) {
  auto e = parse_endpoint("s1=fd00:5c:11::2,10.92.11.2", 10000);
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->name, "s1");
  ASSERT_EQ(e->addresses.size(), 2u);
  EXPECT_EQ(e->probe_address().to_string(), "[fd00:5c:11::2]:10000");
  EXPECT_EQ(e->address_of(Family::v4)->to_string(), "10.92.11.2:10000");
  auto v4 = parse_endpoint("back_2=[::1]", 7);  // brackets, as programs print addresses
  ASSERT_TRUE(v4.ok()) << v4.error().message();
  EXPECT_EQ(v4->probe_address().to_string(), "[::1]:7");
  EXPECT_FALSE(v4->address_of(Family::v4).has_value());
}

TEST(Endpoint, RejectsBadSpecsNamingTheBadPart) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fd00::1", "must be NAME=ADDRESS[,ADDRESS]"},
      {"=fd00::1", "invalid endpoint name ''"},
      {"s 1=fd00::1", "invalid endpoint name 's 1'"},
      {"averyveryverylongname=fd00::1", "1 to 16 letters"},
      {"s1=", "invalid address ''"},
      {"s1=server.example", "invalid address 'server.example': must be a numeric"},
      {"s1=fd00::1,fd00::2", "at most one address of each family"},
      {"s1=fe80::1", "must be a global, ULA or loopback address"},
      {"s1=::", "must be a global, ULA or loopback address"},
      {"s1=0.0.0.0", "the wildcard is no server"},
      {"s1=10.0.0.1,", "invalid address ''"},
  };
  for (const auto& [spec, message] : cases) {
    auto e = parse_endpoint(spec, 10000);
    ASSERT_FALSE(e.ok()) << spec;
    EXPECT_THAT(e.error().message(), HasSubstr(message)) << spec;
  }
}

TEST(Endpoint, ClashOnANameOrAnAddress) {
  auto a = *parse_endpoint("s1=fd00::1", 1);
  EXPECT_TRUE(clash(a, *parse_endpoint("s1=fd00::2", 1)));
  EXPECT_TRUE(clash(a, *parse_endpoint("s2=10.0.0.1,fd00::1", 1)));
  EXPECT_FALSE(clash(a, *parse_endpoint("s2=fd00::2", 1)));
}

TEST(Prefix, ParsesHostRoutesAndPrefixes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fd00:5c:fe::1/128", "fd00:5c:fe::1/128"},
      {"fd00:5c:fe::1", "fd00:5c:fe::1/128"},
      {"10.92.254.1/32", "10.92.254.1/32"},
      {"10.92.254.0/24", "10.92.254.0/24"},
  };
  for (const auto& [text, printed] : cases) {
    auto p = parse_prefix(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.error().message();
    EXPECT_EQ(p->to_string(), printed);
  }
  EXPECT_EQ(parse_prefix("10.0.0.1")->family(), Family::v4);
}

TEST(Prefix, RejectsBadOnes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"anycast.example", "must be a numeric IPv6 or IPv4 address"},
      {"10.0.0.1/33", "length must be 1..32"},
      {"fd00::1/0", "length must be 1..128"},
      {"fd00::1/", "length must be 1..128"},
      {"fd00::1/x", "length must be 1..128"},
      {"10.0.0.1/24", "bits set past /24"},
  };
  for (const auto& [text, message] : cases) {
    auto p = parse_prefix(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_THAT(p.error().message(), HasSubstr(message)) << text;
  }
}

TEST(ServiceCommands, OneNumgenRuleOverTheLiveEndpointsOfEachFamily) {
  const Endpoint s1 = *parse_endpoint("s1=fd00:5c:11::2,10.92.11.2", 10000);
  const Endpoint s2 = *parse_endpoint("s2=fd00:5c:12::2", 10000);
  const Endpoint s3 = *parse_endpoint("s3=fd00:5c:13::2,10.92.13.2", 10000);
  EXPECT_EQ(service_commands({}, {Family::v6, Family::v4}, {&s1, &s2, &s3}),
            "flush chain inet sockcalc svc6\n"
            "add rule inet sockcalc svc6 numgen random mod 3 vmap "
            "{ 0 : goto ep6-s1, 1 : goto ep6-s2, 2 : goto ep6-s3 }\n"
            "flush chain inet sockcalc svc4\n"
            "add rule inet sockcalc svc4 numgen random mod 2 vmap "
            "{ 0 : goto ep4-s1, 1 : goto ep4-s3 }\n");
  EXPECT_EQ(service_commands({.family = "inet", .name = "lab"}, {Family::v6}, {&s3}),
            "flush chain inet lab svc6\n"
            "add rule inet lab svc6 numgen random mod 1 vmap { 0 : goto ep6-s3 }\n");
}

TEST(ServiceCommands, NoLiveEndpointLeavesTheServiceChainsEmpty) {
  EXPECT_EQ(service_commands({}, {Family::v6, Family::v4}, {}),
            "flush chain inet sockcalc svc6\nflush chain inet sockcalc svc4\n");
}

TEST(CheckerOptions, DefaultsAreValidAndBoundsAreChecked) {
  EXPECT_TRUE(validate({}).ok());
  const CheckerOptions defaults;
  // The figures docs/SCALING.md gives: out within fall x interval + timeout = 750 ms.
  EXPECT_EQ(defaults.thresholds.fall * defaults.interval + defaults.timeout,
            std::chrono::milliseconds(750));
  CheckerOptions o;
  o.timeout = o.interval;
  EXPECT_THAT(validate(o).error().message(), HasSubstr("shorter than the interval"));
  o = {};
  o.thresholds.fall = 0;
  EXPECT_THAT(validate(o).error().message(), HasSubstr("fall and rise must be 1..100"));
  o = {};
  o.interval = std::chrono::milliseconds(5);
  EXPECT_THAT(validate(o).error().message(), HasSubstr("interval must be 10..60000 ms"));
}

// A backend that changes nothing: the checker's own checks come first.
class NoBackend final : public Backend {
 public:
  [[nodiscard]] std::string describe() const override { return "nothing"; }
  Status apply(const std::vector<const Endpoint*>&) override { return Ok{}; }
};

TEST(Checker, RefusesClashingEndpointsNoEndpointAndNoBackend) {
  const auto quiet = [](Level, const std::string&) {};
  std::vector<Endpoint> two = {*parse_endpoint("s1=fd00::1", 1), *parse_endpoint("s1=fd00::2", 1)};
  std::vector<std::unique_ptr<Backend>> one;
  one.push_back(std::make_unique<NoBackend>());
  auto clashing = Checker::create(two, std::move(one), {}, quiet);
  ASSERT_FALSE(clashing.ok());
  EXPECT_THAT(clashing.error().message(), HasSubstr("endpoints s1 and s1 share a name"));
  auto none = Checker::create({two[0]}, {}, {}, quiet);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message(), HasSubstr("no backend"));
  std::vector<std::unique_ptr<Backend>> another;
  another.push_back(std::make_unique<NoBackend>());
  auto empty = Checker::create({}, std::move(another), {}, quiet);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message(), HasSubstr("no endpoint"));
}

}  // namespace
}  // namespace sockcalc::healthcheck
