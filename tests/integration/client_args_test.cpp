// SPDX-License-Identifier: MIT
// tests/integration/client_args_test.cpp -- internal to tests/integration.
// The client's command line: each bad argument is a usage error (exit 2) that names it and
// sends nothing; --help and --version. Test thread only.
#include <gmock/gmock.h>

#include <ostream>
#include <string>
#include <vector>

#include "integration.hpp"

namespace sockcalc::integration {
namespace {

// Stands for the fake server's port in an argument list.
constexpr const char* kPort = "<PORT>";

struct BadArgs {
  const char* name;
  std::vector<std::string> args;
  std::string names;  // what stderr must say: the bad argument
};

// Tests are named after the case; print the name, not the bytes.
void PrintTo(const BadArgs& c, std::ostream* os) { *os << c.name; }

std::vector<std::string> many_integers(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(std::to_string(i));
  return v;
}

class IntegClientBadArgs : public ::testing::TestWithParam<BadArgs> {};

// A fake server listens where the request would go: it must receive nothing.
TEST_P(IntegClientBadArgs, ExitsTwoNamesItAndSendsNothing) {
  const BadArgs& c = GetParam();
  std::unique_ptr<FakeServer> fake;
  ASSERT_OK_AND_ASSIGN(fake, FakeServer::start_v6({}));
  std::vector<std::string> args = c.args;
  for (std::string& a : args) {
    if (a == kPort) a = fake->port_arg();
  }
  // A name lookup may ask a resolver: allow it time on a slow network.
  const RunResult r = run_client(args, 4 * kPatience);
  fake->stop();
  EXPECT_TRUE(r.status.exited_with(kClientUsage)) << r.report;
  EXPECT_EQ(r.out, "") << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr(c.names)) << "stderr does not name '" << c.names << "'\n"
                                                    << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr("--help")) << r.report;
  EXPECT_TRUE(fake->received().empty()) << fake->report();
}

INSTANTIATE_TEST_SUITE_P(
    Client, IntegClientBadArgs,
    ::testing::Values(
        BadArgs{"NegativeInteger", {"-op", "+", "::1", kPort, "1", "-5"}, "'-5'"},
        BadArgs{"IntegerTooLarge", {"-op", "+", "::1", kPort, "4294967296"}, "'4294967296'"},
        BadArgs{"IntegerNotANumber", {"-op", "+", "::1", kPort, "1", "abc"}, "'abc'"},
        BadArgs{"IntegerWithFraction", {"-op", "+", "::1", kPort, "1.5"}, "'1.5'"},
        BadArgs{"IntegerWithSign", {"-op", "+", "::1", kPort, "+5"}, "'+5'"},
        BadArgs{"EmptyInteger", {"-op", "+", "::1", kPort, ""}, "''"},
        BadArgs{"NoInteger", {"-op", "+", "::1", kPort}, "INT"},
        // P-6: at most 64 integers.
        BadArgs{"SixtyFiveIntegers",
                concat({"-op", "+", "::1", kPort}, many_integers(wire::kMaxOperands + 1)), "65"},
        BadArgs{"MissingOp", {"::1", kPort, "1", "2"}, "-op"},
        BadArgs{"OpDivide", {"-op", "/", "::1", kPort, "1", "2"}, "'/'"},
        BadArgs{"OpMissingValue", {"::1", kPort, "1", "-op"}, "'-op'"},
        BadArgs{"PortTooLarge", {"-op", "+", "::1", "70000", "1"}, "'70000'"},
        BadArgs{"PortNotANumber", {"-op", "+", "::1", "x", "1"}, "'x'"},
        BadArgs{"PortZero", {"-op", "+", "::1", "0", "1"}, "'0'"},
        BadArgs{"MissingPort", {"-op", "+", "::1"}, "missing"},
        // Refused by the resolver before any query is sent (an empty label): a usage error.
        BadArgs{"UnknownHost",
                {"-op", "+", "no..such.host", kPort, "1"},
                "cannot resolve 'no..such.host': name or service not known"},
        BadArgs{"UnknownOption", {"--bogus", "-op", "+", "::1", kPort, "1"}, "'--bogus'"},
        BadArgs{"BadTimeout", {"--timeout", "0", "-op", "+", "::1", kPort, "1"}, "'0'"},
        BadArgs{"BadRetries", {"--retries", "-1", "-op", "+", "::1", kPort, "1"}, "'-1'"},
        BadArgs{"EmptyUnixName", {"-op", "+", "unix:", "1"}, "unix:"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(IntegClientHelp, ExitsZeroAndListsExitStatuses) {
  const RunResult r = run_client({"--help"});
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_THAT(r.out, ::testing::HasSubstr("Usage: client")) << r.report;
  EXPECT_THAT(r.out, ::testing::HasSubstr("Exit status")) << r.report;
  for (int status :
       {kClientOk, kClientErrorReply, kClientUsage, kClientMalformed, kClientNoReply, 5}) {
    EXPECT_THAT(r.out, ::testing::HasSubstr("\n  " + std::to_string(status) + "  "))
        << "exit status " << status << " not listed\n"
        << r.report;
  }
  for (const char* option : {"--op", "--string", "--timeout", "--retries", "--verbose"}) {
    EXPECT_THAT(r.out, ::testing::HasSubstr(option)) << option << " not listed\n" << r.report;
  }
}

TEST(IntegClientHelp, ShortHelp) {
  const RunResult r = run_client({"-h"});
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_THAT(r.out, ::testing::HasSubstr("Exit status")) << r.report;
}

TEST(IntegClientVersion, ExitsZeroAndPrintsVersion) {
  const RunResult r = run_client({"--version"});
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_TRUE(r.out.starts_with("client (sockcalc) ")) << r.report;
  EXPECT_EQ(r.err, "") << r.report;
}

}  // namespace
}  // namespace sockcalc::integration
