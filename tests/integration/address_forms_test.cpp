// SPDX-License-Identifier: MIT
// tests/integration/address_forms_test.cpp -- internal to tests/integration.
// The HOST forms every program takes (server, client, linksim, loadgen, conformance): an IPv6
// scope (`fe80::1%lo`), brackets (`[::1]`, as every program prints addresses), and the usage
// errors for a link-local address without a scope and an unknown interface. Loopback only:
// link-local traffic between hosts is tested in tests/netns. Test thread only.
#include <gmock/gmock.h>

#include <net/if.h>

#include <ostream>
#include <string>
#include <vector>

#include "integration.hpp"

namespace sockcalc::integration {
namespace {

using protocol::Op;

// Stands for the port of a running server in an argument list.
constexpr const char* kPort = "<PORT>";

struct Program {
  const char* name;
  const char* path;
  std::vector<std::string> before;  // arguments before HOST PORT
  std::vector<std::string> after;   // arguments after HOST PORT
};

// Every program, with the arguments that surround a server's HOST PORT. linksim takes two
// addresses: its listening one is tested with the server's ("::1 0" stands for it), and
// conformance's client mode takes HOST as --host.
std::vector<Program> programs() {
  return {
      {"server", SOCKCALC_SERVER_BIN, {}, {}},
      {"client", SOCKCALC_CLIENT_BIN, {"-op", "+", "--retries", "0", "--timeout", "100"}, {"1"}},
      {"linksim_server", SOCKCALC_LINKSIM_BIN, {"::1", "0"}, {}},
      {"loadgen", SOCKCALC_LOADGEN_BIN, {"-d", "0.2", "-w", "0"}, {}},
      {"conformance", SOCKCALC_CONFORMANCE_BIN, {"server"}, {}},
  };
}

std::vector<std::string> command(const Program& p, const std::string& host,
                                 const std::string& port) {
  std::vector<std::string> args = p.before;
  args.push_back(host);
  args.push_back(port);
  args.insert(args.end(), p.after.begin(), p.after.end());
  return args;
}

// ---- Usage errors: a link-local address needs a scope, an interface must exist ----

struct BadHost {
  const char* name;
  const char* host;
  const char* says;
};
void PrintTo(const BadHost& c, std::ostream* os) { *os << c.name; }

class IntegAddressBadHost : public ::testing::TestWithParam<BadHost> {};

void expect_usage_error(const std::string& what, const RunResult& r, const std::string& says) {
  EXPECT_TRUE(r.status.exited_with(2)) << what << "\n" << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr(says))
      << what << ": stderr does not say '" << says << "'\n"
      << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr("--help")) << what << "\n" << r.report;
  EXPECT_EQ(r.out, "") << what << "\n" << r.report;
}

// Nothing is sent anywhere: each program stops at its command line (port 9 is never used).
TEST_P(IntegAddressBadHost, IsAUsageErrorInEveryProgram) {
  const BadHost& c = GetParam();
  for (const Program& p : programs()) {
    expect_usage_error(p.name, run_program(p.path, command(p, c.host, "9")), c.says);
  }
  // linksim's server address, and conformance's --host for its scripted server.
  expect_usage_error("linksim_listen", run_program(SOCKCALC_LINKSIM_BIN, {c.host, "0", "::1", "9"}),
                     c.says);
  expect_usage_error(
      "conformance_host",
      run_program(SOCKCALC_CONFORMANCE_BIN, {"--host", c.host, "client", "--", "true"}), c.says);
}

INSTANTIATE_TEST_SUITE_P(
    Hosts, IntegAddressBadHost,
    ::testing::Values(
        BadHost{"LinkLocalWithoutScope", "fe80::1",
                "link-local address fe80::1 needs a scope: write fe80::1%INTERFACE"},
        BadHost{"BracketedLinkLocalWithoutScope", "[fe80::1]",
                "link-local address fe80::1 needs a scope"},
        BadHost{"UnknownInterface", "fe80::1%sockcalc-none",
                "cannot use fe80::1%sockcalc-none: no interface named 'sockcalc-none'"},
        BadHost{"ScopeOnIpv4", "127.0.0.1%lo", "a scope goes only with an IPv6 address"}),
    [](const auto& p) { return std::string(p.param.name); });

// ---- Scopes are printed back ----

// fe80::1 is not an address of lo: binding and sending fail, but as system errors that name
// the address with its scope, never as usage errors.
TEST(IntegAddressScope, ServerAndClientNameTheScopedAddress) {
  const RunResult server = run_program(SOCKCALC_SERVER_BIN, {"fe80::1%lo", "0"});
  EXPECT_TRUE(server.status.exited_with(kServerCannotStart)) << server.report;
  EXPECT_THAT(server.err, ::testing::HasSubstr("server: cannot bind [fe80::1%lo]:0: "))
      << server.report;

  const std::string lo_index = std::to_string(if_nametoindex("lo"));
  const RunResult client = run_client(
      {"-op", "+", "--retries", "0", "--timeout", "100", "fe80::1%" + lo_index, "9", "1"});
  EXPECT_TRUE(client.status.exited && client.status.code != 0 && client.status.code != 2)
      << client.report;
  EXPECT_THAT(client.err, ::testing::HasSubstr("[fe80::1%lo]:9")) << client.report;
}

// ---- Brackets: what every program prints is what every program takes ----

class IntegAddressBrackets : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, start_server({"--threads", "1", "[::1]", "0"}));
  }
  void TearDown() override { print_on_failure(server_.get()); }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(IntegAddressBrackets, ServerListensOnABracketedHost) {
  EXPECT_EQ(server_->address(), Address::loopback(Family::v6, server_->port()));
}

TEST_F(IntegAddressBrackets, EveryProgramReachesTheServerThroughABracketedHost) {
  for (const Program& p : programs()) {
    if (std::string(p.name) == "server" || std::string(p.name) == "linksim_server") continue;
    const RunResult r = run_program(p.path, command(p, "[::1]", server_->port_arg()));
    EXPECT_TRUE(r.status.exited_with(0)) << p.name << "\n" << r.report;
  }
  const RunResult sum = run_client({"-op", "+", "[::1]", server_->port_arg(), "1", "2"});
  EXPECT_EQ(sum.out, expected_output(Op::sum, {1, 2})) << sum.report;
}

TEST_F(IntegAddressBrackets, LinksimListensAndForwardsThroughBracketedHosts) {
  std::unique_ptr<Process> relay;
  ASSERT_OK_AND_ASSIGN(
      relay, Process::start(SOCKCALC_LINKSIM_BIN, {"[::1]", "0", "[::1]", server_->port_arg()}));
  const auto line = relay->wait_for_line("linksim: listening on ", kPatience);
  ASSERT_TRUE(line.has_value()) << relay->report();
  const std::string suffix = ", forwarding to " + server_->address().to_string();
  ASSERT_TRUE(line->ends_with(suffix)) << *line;
  Address listening;
  ASSERT_OK_AND_ASSIGN(listening, Address::parse(line->substr(0, line->size() - suffix.size())));
  EXPECT_EQ(listening.to_string().substr(0, 6), "[::1]:") << *line;
  // The printed address, pasted as HOST: brackets and all.
  const std::string host = listening.to_string().substr(0, listening.to_string().rfind(':'));
  const RunResult r = run_client({"-op", "+", host, std::to_string(listening.port()), "20", "22"});
  EXPECT_EQ(r.out, expected_output(Op::sum, {20, 22})) << r.report << relay->report();
}

}  // namespace
}  // namespace sockcalc::integration
