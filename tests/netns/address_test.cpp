// SPDX-License-Identifier: MIT
// tests/netns/address_test.cpp -- internal to tests/netns.
// Addresses between hosts: a wildcard server (`::`, `0.0.0.0`) on a host with several
// addresses answers from the address each client asked (issue 10 §1), in both engines and with
// several workers; a link-local server and client through their scopes (§2); dual stack from
// another host. Hosts: c (client) -- s (server), one veth link.
// Test thread only; every process is stopped by its pid, every namespace removed.
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "netns.hpp"

using ::testing::HasSubstr;

namespace sockcalc::testing {
namespace {

// The interface names differ on each side, so that a scope that crossed hosts would not work.
constexpr const char* kClientIf = "c0";
constexpr const char* kServerIf = "s0";

// S holds three ULA addresses from three prefixes (so the kernel's source choice for a reply to
// C, fd5c:a::100, is always fd5c:a::1, by longest prefix), a link-local one of our own, and two
// IPv4 addresses (10.55.0.1 primary, 10.55.0.2 secondary). C reaches the other prefixes on the
// link. Every one of these addresses exists only inside the namespaces this test creates (the lab
// adds them there); the programs run inside those namespaces, so no datagram to them ever reaches
// the host's own interfaces.
const std::vector<std::string> kServerUla = {"fd5c:a::1", "fd5c:b::2", "fd5c:c::3"};
constexpr const char* kServerLinkLocal = "fe80::5";
const std::vector<std::string> kServerV4 = {"10.55.0.1", "10.55.0.2"};

class BetweenHosts : public ::testing::Test {
 protected:
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    auto lab = NetLab::create();
    ASSERT_TRUE(lab.ok()) << lab.error().message();
    lab_ = std::move(*lab);
    SOCKCALC_ASSERT_OK(lab_->add_host("c"));
    SOCKCALC_ASSERT_OK(lab_->add_host("s"));
    SOCKCALC_ASSERT_OK(
        lab_->link({.host_a = "c", .if_a = kClientIf, .host_b = "s", .if_b = kServerIf}));
    for (const char* a : {"fd5c:a::1/64", "fd5c:b::2/64", "fd5c:c::3/64", "fe80::5/64",
                          "10.55.0.1/24", "10.55.0.2/24"}) {
      SOCKCALC_ASSERT_OK(lab_->add_address("s", kServerIf, a));
    }
    for (const char* a : {"fd5c:a::100/64", "fe80::c/64", "10.55.0.100/24"}) {
      SOCKCALC_ASSERT_OK(lab_->add_address("c", kClientIf, a));
    }
    for (const char* prefix : {"fd5c:b::/64", "fd5c:c::/64"}) {
      SOCKCALC_ASSERT_OK(lab_->add_route("c", {prefix, "dev", kClientIf}));
    }
  }

  void TearDown() override {
    if (server_ != nullptr && HasFailure()) std::cerr << "server:\n" << server_->report();
  }

  // Starts the server inside s with `args`; fails the test when it does not start.
  void start_server(const std::vector<std::string>& args) {
    auto s = lab_->start_server("s", SOCKCALC_SERVER_BIN, args);
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(*s);
  }

  // Asks the server for the sum from `host` at `target`; "" when the right result came back,
  // else what happened, for the failure message.
  std::string ask(const std::string& host, const std::string& target) {
    const RunResult r = ask_sum(*lab_, host, target, server_->port_arg());
    if (r.status.exited_with(0) && r.out == sum_line()) return "";
    return "  from " + host + " to " + target + ": " + r.status.to_string() + ", " +
           (r.err.empty() ? r.out : r.err);
  }

  std::unique_ptr<NetLab> lab_;
  std::unique_ptr<ServerProcess> server_;
};

struct Wildcard {
  const char* bind;    // "::" or "0.0.0.0"
  const char* engine;  // --engine
  const char* threads;
};
void PrintTo(const Wildcard& w, std::ostream* os) {
  *os << w.bind << " --engine " << w.engine << " --threads " << w.threads;
}

class WildcardServer : public BetweenHosts, public ::testing::WithParamInterface<Wildcard> {};

// Issue 10 §1: every address of the host answers from itself, so the client's connected socket
// accepts the reply. Before the fix, only the kernel's first choice (fd5c:a::1, 10.55.0.1 and,
// locally, 127.0.0.1) got an answer.
TEST_P(WildcardServer, AnswersFromEveryAddressItWasAsked) {
  const Wildcard& w = GetParam();
  start_server({"--engine", w.engine, "--threads", w.threads, w.bind, "0"});
  if (HasFatalFailure()) return;
  const bool dual = std::string(w.bind) == "::";
  std::vector<std::string> remote = kServerV4;
  if (dual) {
    remote.insert(remote.end(), kServerUla.begin(), kServerUla.end());
    remote.push_back(std::string(kServerLinkLocal) + "%" + kClientIf);
  }
  std::string failures;
  for (const std::string& target : remote) failures += ask("c", target);
  // Several addresses of the loopback network, asked on the server's own host.
  for (const char* target : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) failures += ask("s", target);
  EXPECT_EQ(failures, "") << "these calls got no right answer:\n" << failures;
}

INSTANTIATE_TEST_SUITE_P(
    EnginesAndThreads, WildcardServer,
    ::testing::Values(Wildcard{"::", "simple", "1"}, Wildcard{"::", "batch", "1"},
                      Wildcard{"::", "batch", "2"}, Wildcard{"::", "simple", "2"},
                      Wildcard{"0.0.0.0", "simple", "1"}, Wildcard{"0.0.0.0", "batch", "2"}),
    [](const ::testing::TestParamInfo<Wildcard>& p) {
      return std::string(std::string(p.param.bind) == "::" ? "v6" : "v4") + "_" + p.param.engine +
             "_" + p.param.threads;
    });

// The part of a "server: listening on [fe80::5%s0]:PORT" line before its port.
std::string host_of(const std::string& printed) { return printed.substr(0, printed.rfind(':')); }

// Issue 10 §2: a link-local server is given its scope, prints it back, and that printed host
// works as a client's HOST on the server's host; from the other host, the client names its own
// interface. Before scopes were supported, the line dropped "%s0".
TEST_F(BetweenHosts, LinkLocalServerAndClientThroughTheirScopes) {
  const std::string server_scoped = std::string(kServerLinkLocal) + "%" + kServerIf;
  auto p =
      Process::start(ip_program(), lab_->in_host("s", SOCKCALC_SERVER_BIN, {server_scoped, "0"}));
  ASSERT_TRUE(p.ok()) << p.error().message();
  const auto line = (*p)->wait_for_line("server: listening on ", kPatience);
  ASSERT_TRUE(line.has_value()) << (*p)->report();
  const std::string printed = listening_address(*line);
  const std::string printed_host = host_of(printed);
  const std::string port = printed.substr(printed.rfind(':') + 1);
  EXPECT_EQ(printed_host, "[" + server_scoped + "]") << "the listening line lost the scope";

  std::string failures;
  for (const std::string& host : {std::string(kServerLinkLocal) + "%" + kClientIf,
                                  "[" + std::string(kServerLinkLocal) + "%" + kClientIf + "]"}) {
    const RunResult r = ask_sum(*lab_, "c", host, port);
    if (!r.status.exited_with(0) || r.out != sum_line()) failures += "\n" + r.report;
  }
  // Pasted as printed, on the server's own host.
  const RunResult pasted = ask_sum(*lab_, "s", printed_host, port);
  if (!pasted.status.exited_with(0) || pasted.out != sum_line()) failures += "\n" + pasted.report;
  // The client prints its peer with the scope too.
  const RunResult traced =
      ask_sum(*lab_, "c", std::string(kServerLinkLocal) + "%" + kClientIf, port, {"-v"});
  EXPECT_THAT(traced.err,
              HasSubstr("[" + std::string(kServerLinkLocal) + "%" + kClientIf + "]:" + port))
      << traced.report;
  EXPECT_EQ(failures, "") << failures << "\n" << (*p)->report();
}

// Dual stack from another host: a server on `::` answers an IPv4 client on c, which it sees as
// an IPv4-mapped address.
TEST_F(BetweenHosts, DualStackServerAnswersAnIPv4ClientOnAnotherHost) {
  start_server({"-v", "::", "0"});
  if (HasFatalFailure()) return;
  const RunResult r = ask_sum(*lab_, "c", kServerV4.front(), server_->port_arg());
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  EXPECT_EQ(r.out, sum_line()) << r.report;
  EXPECT_TRUE(server_->process().wait_for_stderr("[::ffff:10.55.0.100]:", kPatience))
      << server_->report();
}

}  // namespace
}  // namespace sockcalc::testing
