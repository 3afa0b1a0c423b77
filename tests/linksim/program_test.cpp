// SPDX-License-Identifier: MIT
// tests/linksim/program_test.cpp -- the real linksim program between the real server and
// client programs on loopback: results through a clean link, many clients, eviction, usage
// errors, signals, -v traces and seed replay. Single-threaded; every process stopped by pid.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <thread>

#include "harness.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

using ::testing::HasSubstr;

namespace sockcalc::test {
namespace {

using std::chrono::milliseconds;

// A client run ends within its own retry budget (8 tries over at most 6.75 s by default).
constexpr milliseconds kClientTimeout{20'000};

// "Result: N" for `op` over `operands`, computed by the codec.
std::string expected_line(protocol::Op op, const std::vector<std::uint32_t>& operands) {
  return "Result: " + std::to_string(protocol::compute(op, operands)) + "\n";
}

std::vector<std::string> client_args(const Started& linksim, protocol::Op op,
                                     protocol::Format format,
                                     const std::vector<std::uint32_t>& operands,
                                     const std::string& host, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = std::move(extra);
  a.insert(a.end(), {"-op", op == protocol::Op::sum ? "+" : "*"});
  if (format == protocol::Format::string) a.push_back("-s");
  a.insert(a.end(), {host, linksim.port()});
  for (std::uint32_t v : operands) a.push_back(std::to_string(v));
  return a;
}

// The distinct client addresses in linksim's -v "forward from ADDRESS," lines. Two clients
// that do not overlap in time may get the same port from the system, and then share a flow.
std::set<std::string> client_peers(const std::string& err) {
  std::set<std::string> peers;
  const std::string marker = "linksim: forward from ";
  for (const auto& line : lines_with(err, marker)) {
    const auto start = line.find(marker) + marker.size();
    peers.insert(line.substr(start, line.find(',', start) - start));
  }
  return peers;
}

struct HostPair {
  const char* name;
  const char* server;
  const char* linksim;
};

class CleanLink : public ::testing::TestWithParam<HostPair> {};

// (a) No faults: the client through linksim gets the right result, for both operations and
// both formats (P-4, P-5, P-9), over IPv6, IPv4 and across families.
TEST_P(CleanLink, ClientGetsTheRightResult) {
  std::string why;
  auto server = start_server(GetParam().server, &why);
  ASSERT_TRUE(server) << why;
  auto linksim =
      start_linksim({"--seed", "1"}, GetParam().linksim, GetParam().server, server->port(), &why);
  ASSERT_TRUE(linksim) << why;
  const std::vector<std::vector<std::uint32_t>> inputs = {
      {1, 3, 5, 7, 9}, {65536, 65536}, {4294967295u, 2}, {0}, {123456789, 987654321, 3}};
  int run = 0;
  for (const auto& operands : inputs) {
    for (auto op : {protocol::Op::sum, protocol::Op::product}) {
      for (auto format : {protocol::Format::integer, protocol::Format::string}) {
        Program p = start_client(client_args(*linksim, op, format, operands, GetParam().linksim),
                                 "client" + std::to_string(run++));
        const ClientRun r = finish(p, kClientTimeout);
        EXPECT_EQ(r.status, 0) << p.dump();
        EXPECT_EQ(r.out, expected_line(op, operands)) << p.dump();
      }
    }
  }
  ASSERT_EQ(stop(linksim->process), 0) << linksim->process.dump();
  // A client slowed down by a loaded machine may retransmit: at least one datagram a run.
  const auto fwd = counters(summary(linksim->process.err(), "forward"));
  const auto rev = counters(summary(linksim->process.err(), "reverse"));
  EXPECT_GE(fwd.at("received"), static_cast<std::uint64_t>(run));
  EXPECT_EQ(fwd.at("passed"), fwd.at("received"));
  EXPECT_GE(rev.at("passed"), static_cast<std::uint64_t>(run));
  EXPECT_EQ(rev.at("passed"), rev.at("received"));
}

INSTANTIATE_TEST_SUITE_P(Families, CleanLink,
                         ::testing::Values(HostPair{"v6", "::1", "::1"},
                                           HostPair{"v4", "127.0.0.1", "127.0.0.1"},
                                           HostPair{"v4_to_v6", "::1", "127.0.0.1"},
                                           HostPair{"v6_to_v4", "127.0.0.1", "::1"}),
                         [](const auto& p) { return std::string(p.param.name); });

// The poll(2) loop relays like the epoll one.
TEST(LinksimProgram, PollLoopRelaysToo) {
  std::string why;
  auto server = start_server("::1", &why);
  ASSERT_TRUE(server) << why;
  auto linksim = start_linksim({"--poll"}, "::1", "::1", server->port(), &why);
  ASSERT_TRUE(linksim) << why;
  EXPECT_EQ(lines_with(linksim->process.err(), "poller poll").size(), 1u);
  const std::vector<std::uint32_t> operands{2, 3, 7};
  Program p = start_client(
      client_args(*linksim, protocol::Op::product, protocol::Format::integer, operands, "::1"),
      "client");
  const ClientRun r = finish(p, kClientTimeout);
  EXPECT_EQ(r.out, expected_line(protocol::Op::product, operands)) << p.dump();
  EXPECT_EQ(stop(linksim->process), 0);
}

// (e) 20 clients at once through one linksim each get their own answer (P-1, P-12).
TEST(LinksimProgram, TwentyConcurrentClientsEachGetTheirOwnAnswer) {
  std::string why;
  auto server = start_server("::1", &why);
  ASSERT_TRUE(server) << why;
  auto linksim = start_linksim({"-v"}, "::1", "::1", server->port(), &why);
  ASSERT_TRUE(linksim) << why;
  constexpr int kClients = 20;
  std::vector<Program> clients;
  std::vector<std::vector<std::uint32_t>> operands;
  for (std::uint32_t i = 0; i < kClients; ++i) {
    operands.push_back({1000 * i, i, 7});
    clients.push_back(
        start_client(client_args(*linksim, protocol::Op::sum,
                                 i % 2 ? protocol::Format::string : protocol::Format::integer,
                                 operands.back(), "::1"),
                     "client" + std::to_string(i)));
  }
  for (int i = 0; i < kClients; ++i) {
    const ClientRun r = finish(clients[static_cast<std::size_t>(i)], kClientTimeout);
    EXPECT_EQ(r.status, 0) << clients[static_cast<std::size_t>(i)].dump();
    EXPECT_EQ(r.out, expected_line(protocol::Op::sum, operands[static_cast<std::size_t>(i)]))
        << clients[static_cast<std::size_t>(i)].dump();
  }
  ASSERT_EQ(stop(linksim->process), 0);
  const std::string err = linksim->process.err();
  const auto flows = counters(summary(err, "flows"));
  const std::size_t peers = client_peers(err).size();
  EXPECT_GE(peers, static_cast<std::size_t>(kClients) / 2) << "most clients run at once";
  EXPECT_EQ(flows.at("created"), peers) << "one flow per client address";
  EXPECT_EQ(flows.at("evicted"), 0u);
}

// (f) --max-flows 4 with 10 clients at once: flows are evicted, every client still gets its
// answer (a reply lost with an evicted flow is retransmitted for), and the summary says so.
TEST(LinksimProgram, MaxFlowsFourServesTenClients) {
  std::string why;
  auto server = start_server("::1", &why);
  ASSERT_TRUE(server) << why;
  auto linksim = start_linksim({"-v", "--max-flows", "4"}, "::1", "::1", server->port(), &why);
  ASSERT_TRUE(linksim) << why;
  EXPECT_EQ(lines_with(linksim->process.err(), "flows: at most 4,").size(), 1u);
  constexpr int kClients = 10;
  std::vector<Program> clients;
  for (std::uint32_t i = 0; i < kClients; ++i) {
    clients.push_back(
        start_client(client_args(*linksim, protocol::Op::product, protocol::Format::integer, {i, 3},
                                 "::1", {"--timeout", "50"}),
                     "client" + std::to_string(i)));
  }
  for (std::uint32_t i = 0; i < kClients; ++i) {
    const ClientRun r = finish(clients[i], kClientTimeout);
    EXPECT_EQ(r.status, 0) << clients[i].dump();
    EXPECT_EQ(r.out, expected_line(protocol::Op::product, {i, 3})) << clients[i].dump();
  }
  ASSERT_EQ(stop(linksim->process), 0);
  const std::string line = summary(linksim->process.err(), "flows");
  const auto flows = counters(line);
  const std::size_t peers = client_peers(linksim->process.err()).size();
  std::cout << "[linksim --max-flows 4, 10 clients] " << peers << " client addresses; " << line
            << '\n';
  ASSERT_GT(peers, 4u) << "more clients than flows";
  EXPECT_GE(flows.at("created"), peers);
  EXPECT_GE(flows.at("evicted"), peers - 4);
  EXPECT_EQ(flows.at("created") - flows.at("evicted"), flows.at("active"));
  EXPECT_LE(flows.at("active"), 4u);
}

// (g) Usage errors exit 2 and say how to get help; out-of-range rates are not wrapped.
TEST(LinksimProgram, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"--loss", "150", "::1", "0", "::1", "9"},
      {"-l", "100.5", "::1", "0", "::1", "9"},
      {"--loss", "-1", "::1", "0", "::1", "9"},
      {"--dup", "abc", "::1", "0", "::1", "9"},
      {"--reorder", "nan", "::1", "0", "::1", "9"},
      {"-e", "101", "::1", "0", "::1", "9"},
      {"-c", "1e2", "::1", "0", "::1", "9"},
      {"-d", "60001", "::1", "0", "::1", "9"},
      {"-j", "-3", "::1", "0", "::1", "9"},
      {"--direction", "sideways", "-l", "5", "::1", "0", "::1", "9"},
      {"-l", "5", "--direction", "reverse", "::1", "0", "::1", "9"},
      {"--seed", "-4", "::1", "0", "::1", "9"},
      {"--max-flows", "0", "::1", "0", "::1", "9"},
      {"--idle-timeout", "0", "::1", "0", "::1", "9"},
      {"--frobnicate", "::1", "0", "::1", "9"},
      {"-x", "::1", "0", "::1", "9"},
      {"--loss"},
      {"::1", "0", "::1"},
      {"::1", "0", "::1", "9", "extra"},
      {"::1", "0", "::1", "0"},
      {"::1", "70000", "::1", "9"},
      {"unix:calc.sock", "::1", "9"},
  };
  int i = 0;
  for (const auto& args : bad) {
    std::vector<std::string> argv{kLinksimPath};
    argv.insert(argv.end(), args.begin(), args.end());
    Program p = Program::start(argv, "bad" + std::to_string(i++));
    EXPECT_EQ(p.wait(kStopTimeout), 2) << p.dump();
    EXPECT_THAT(p.err(), HasSubstr("Try 'linksim --help'.")) << p.dump();
    EXPECT_EQ(lines_with(p.err(), "listening on").size(), 0u) << p.dump();
  }
  Program range = Program::start({kLinksimPath, "--loss", "150", "::1", "0", "::1", "9"}, "range");
  range.wait(kStopTimeout);
  EXPECT_THAT(range.err(), HasSubstr("invalid loss '150': must be a percentage 0..100"))
      << range.dump();
}

TEST(LinksimProgram, HelpListsEveryOptionAndVersionPrints) {
  Program help = Program::start({kLinksimPath, "--help"}, "help");
  ASSERT_EQ(help.wait(kStopTimeout), 0) << help.dump();
  for (const char* option :
       {"--direction", "-l, --loss", "--dup", "--reorder", "-d, --delay", "-j, --jitter",
        "-e, --corrupt", "-c, --cut", "-s, --seed", "--reorder-hold", "--idle-timeout",
        "--max-flows", "--max-held", "--max-held-bytes", "--poll", "-v, --verbose", "-h, --help",
        "-V, --version"}) {
    EXPECT_THAT(help.out(), HasSubstr(option)) << option;
  }
  Program version = Program::start({kLinksimPath, "--version"}, "version");
  ASSERT_EQ(version.wait(kStopTimeout), 0) << version.dump();
  EXPECT_EQ(version.out().rfind("linksim (sockcalc) ", 0), 0u) << version.out();
}

// (g) SIGTERM and SIGINT stop linksim with status 0 and the summary per direction and flows.
TEST(LinksimProgram, SignalsStopWithStatusZeroAndSummary) {
  for (int sig : {SIGTERM, SIGINT}) {
    std::string why;
    auto linksim = start_linksim({"-l", "10"}, "::1", "::1", "9", &why);
    ASSERT_TRUE(linksim) << why;
    linksim->process.signal(sig);
    ASSERT_EQ(linksim->process.wait(kStopTimeout), 0) << linksim->process.dump();
    const std::string err = linksim->process.err();
    for (const char* label : {"forward", "reverse"}) {
      const auto c = counters(summary(err, label));
      for (const char* name : {"received", "passed", "dropped", "duplicated", "reordered",
                               "delayed", "corrupted", "cut"}) {
        EXPECT_EQ(c.count(name), 1u) << label << " " << name << "\n" << err;
      }
    }
    const auto flows = counters(summary(err, "flows"));
    for (const char* name : {"created", "expired", "evicted"}) {
      EXPECT_EQ(flows.count(name), 1u) << name << "\n" << err;
    }
  }
}

// Startup prints every effective parameter and the seed, random when none is given.
TEST(LinksimProgram, PrintsParametersAndSeed) {
  std::string why;
  auto given = start_linksim({"-s", "99", "--direction", "forward", "-l", "30", "--direction",
                              "reverse", "--dup", "12.5", "-j", "20"},
                             "::1", "::1", "9", &why, "given");
  ASSERT_TRUE(given) << why;
  const std::string err = given->process.err();
  EXPECT_EQ(lines_with(err, "linksim: seed 99; replay with --seed 99").size(), 1u) << err;
  EXPECT_EQ(lines_with(err,
                       "forward (client -> server): loss 30%, dup 0%, reorder 0%, corrupt 0%, "
                       "cut 0%, delay 0 ms + jitter 0..0 ms")
                .size(),
            1u)
      << err;
  EXPECT_EQ(lines_with(err,
                       "reverse (server -> client): loss 0%, dup 12.5%, reorder 0%, corrupt 0%, "
                       "cut 0%, delay 0 ms + jitter 0..20 ms")
                .size(),
            1u)
      << err;
  EXPECT_EQ(lines_with(err, "idle timeout 60 s").size(), 1u) << err;

  auto random = start_linksim({}, "::1", "::1", "9", &why, "random");
  ASSERT_TRUE(random) << why;
  EXPECT_EQ(lines_with(random->process.err(), " (random); replay with --seed ").size(), 1u)
      << random->process.err();
  EXPECT_EQ(stop(given->process), 0);
  EXPECT_EQ(stop(random->process), 0);
}

// -v: one line per datagram with direction, client, size, bytes in hex, meaning and decision.
TEST(LinksimProgram, VerboseLogsEachDecision) {
  std::string why;
  auto server = start_server("::1", &why);
  ASSERT_TRUE(server) << why;
  auto linksim = start_linksim({"-v"}, "::1", "::1", server->port(), &why);
  ASSERT_TRUE(linksim) << why;
  Program p = start_client(
      client_args(*linksim, protocol::Op::sum, protocol::Format::integer, {1, 3, 5, 7, 9}, "::1"),
      "client");
  const ClientRun r = finish(p, kClientTimeout);
  ASSERT_EQ(r.out, "Result: 25\n") << p.dump();
  ASSERT_EQ(stop(linksim->process), 0);
  const std::string err = linksim->process.err();
  // The course's example exchange (protocol.md, worked examples).
  const auto fwd = lines_with(err, "linksim: forward from [::1]:");
  ASSERT_EQ(fwd.size(), 1u) << err;
  EXPECT_THAT(fwd[0], HasSubstr(", 21 bytes: 0x0 0x0 0x0 0x0 0x1 0x0 0x0 0x0 0x3")) << fwd[0];
  EXPECT_THAT(fwd[0], HasSubstr("| sum, integer, 5 integers: 1 3 5 7 9 => pass")) << fwd[0];
  const auto rev = lines_with(err, "linksim: reverse to [::1]:");
  ASSERT_EQ(rev.size(), 1u) << err;
  EXPECT_THAT(rev[0], HasSubstr(", 5 bytes: 0x80 0x0 0x0 0x0 0x19 | result 25 => pass")) << rev[0];
  EXPECT_EQ(lines_with(err, "created (upstream [::1]:").size(), 1u) << err;
}

// The decisions of a run, in order, from its -v lines.
std::vector<std::string> decisions(const std::string& err, const std::string& direction) {
  std::vector<std::string> out;
  for (const auto& line : lines_with(err, "linksim: " + direction + " ")) {
    const auto at = line.find(" => ");
    if (at != std::string::npos) out.push_back(line.substr(at + 4));
  }
  return out;
}

// The same seed and the same traffic give the same decisions; another seed does not.
std::pair<std::vector<std::string>, std::vector<std::string>> replay(const std::string& seed) {
  std::string why;
  auto server = start_server("::1", &why);
  EXPECT_TRUE(server) << why;
  if (!server) return {};
  auto linksim = start_linksim(
      {"-v", "--seed", seed, "--loss", "40", "--dup", "20", "--corrupt", "20", "--cut", "10"},
      "::1", "::1", server->port(), &why);
  EXPECT_TRUE(linksim) << why;
  if (!linksim) return {};
  auto sock = DatagramSocket::connect(linksim->address);
  EXPECT_TRUE(sock.ok());
  constexpr std::uint32_t kDatagrams = 40;
  for (std::uint32_t i = 0; i < kDatagrams; ++i) {
    protocol::Request req;
    req.operands = {i, i + 1};
    std::array<std::byte, wire::kMaxRequestSize> out{};
    EXPECT_EQ(sock->send({out.data(), protocol::encode_request(req, out)}), 0);
  }
  // Every forward copy that reaches the server is answered once (P-7): wait for all of them.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  std::vector<std::string> fwd;
  std::vector<std::string> rev;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string err = linksim->process.err();
    fwd = decisions(err, "forward");
    rev = decisions(err, "reverse");
    std::size_t expected = 0;  // copies that reached the server
    for (const auto& d : fwd) {
      if (d != "drop") expected += d.find("dup") != std::string::npos ? 2 : 1;
    }
    if (fwd.size() == kDatagrams && rev.size() == expected) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(fwd.size(), kDatagrams);
  EXPECT_EQ(stop(linksim->process), 0);
  return {fwd, rev};
}

TEST(LinksimProgram, SameSeedReplaysTheSameDecisions) {
  const auto a = replay("31337");
  const auto b = replay("31337");
  const auto c = replay("31338");
  ASSERT_EQ(a.first.size(), 40u);
  EXPECT_EQ(a.first, b.first) << "forward decisions";
  EXPECT_EQ(a.second, b.second) << "reverse decisions";
  EXPECT_NE(a.first, c.first) << "another seed, other decisions";
  EXPECT_GT(std::count(a.first.begin(), a.first.end(), "drop"), 0);
}

}  // namespace
}  // namespace sockcalc::test
