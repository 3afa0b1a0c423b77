// SPDX-License-Identifier: MIT
// tests/loadgen/loadgen_run_test.cpp -- the `loadgen` program end to end: against the real
// server (IPv6 and Unix), against fakes that answer wrong, drop or answer late, against a
// real `sockperf server`, and its usage errors. Real processes and loopback sockets only.
// Single-threaded test bodies; a FakePeer serves from its own thread.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_peer.hpp"
#include "sockcalc/loadgen/sockperf_wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/process.hpp"

using ::testing::HasSubstr;

namespace sockcalc::loadgen_test {
namespace {

using std::chrono::milliseconds;
using testing::listening_address;
using testing::Process;
using testing::run_program;
using testing::RunResult;

/// How long a test waits for something that should happen at once (a ready line, an exit
/// after a signal): generous for a loaded machine and a sanitized build.
constexpr milliseconds kPatience{10000};

const std::string kLoadgen = SOCKCALC_LOADGEN_BIN;
const std::string kServer = SOCKCALC_SERVER_BIN;
// A run of D seconds ends within D + warm-up + 2 timeouts; the rest is start-up slack.
constexpr milliseconds kRunLimit{30000};

// Runs loadgen with `args`; on failure every output is in the assertion message.
RunResult loadgen(const std::vector<std::string>& args) {
  return run_program(kLoadgen, args, kRunLimit);
}

std::string dump(const RunResult& r) { return "\n" + r.report; }

int exit_code(const RunResult& r) { return r.status.exited ? r.status.code : -1; }

using Json = nlohmann::json;

// stdout as one JSON value; an empty object (every member lookup then fails) when it is not.
Json parse_json_or_fail(const RunResult& r) {
  Json v = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(v.is_discarded()) << "stdout is not one JSON value" << dump(r);
  return v.is_discarded() ? Json::object() : v;
}

// A number of the document; throws (failing the test) when it is missing or not a number.
double num(const Json& v, const std::string& a, const std::string& b = "") {
  return (b.empty() ? v.at(a) : v.at(a).at(b)).get<double>();
}

// The figures every run must keep consistent, whatever the peer did.
void expect_consistent(const Json& j, const RunResult& r) {
  for (const char* phase : {"measured", "warmup"}) {
    // Every request of a phase ends exactly once: answered (one way or another) or not.
    EXPECT_EQ(num(j, phase, "sent"), num(j, phase, "ok") + num(j, phase, "wrong") +
                                         num(j, phase, "error_replies") +
                                         num(j, phase, "malformed") + num(j, phase, "unanswered"))
        << phase << dump(r);
    EXPECT_EQ(num(j, phase, "retransmits"), num(j, phase, "timeouts")) << phase;
  }
  const auto l = [&j](const char* key) { return num(j, "latency_us", key); };
  EXPECT_EQ(l("count"), num(j, "measured", "ok"));
  EXPECT_LE(l("min"), l("p50"));
  EXPECT_LE(l("p50"), l("p90"));
  EXPECT_LE(l("p90"), l("p99"));
  EXPECT_LE(l("p99"), l("p999"));
  EXPECT_LE(l("p999"), l("max"));
  if (num(j, "measured_s") > 0) {
    EXPECT_NEAR(num(j, "requests_per_second"), num(j, "measured", "ok") / num(j, "measured_s"),
                1.0);
  }
}

// A server program of this build, on `address`; its real address from its ready line.
struct RunningServer {
  std::unique_ptr<Process> child;
  std::string address;  // "[::1]:40000" or "unix:/tmp/..."
};

RunningServer start_server(const std::vector<std::string>& args) {
  RunningServer s;
  auto started = Process::start(kServer, args);
  EXPECT_TRUE(started) << started.error().message();
  if (!started) return s;
  s.child = std::move(*started);
  const std::string prefix = "server: listening on ";
  auto line = s.child->wait_for_line(prefix, kPatience);
  EXPECT_TRUE(line) << "no ready line; stderr:\n" << s.child->err();
  if (line) s.address = listening_address(*line);
  return s;
}

std::string port_of(const std::string& address) { return address.substr(address.rfind(':') + 1); }

// A UDP port that was free a moment ago: bind port 0, read it, close.
std::uint16_t free_udp_port(Family family) {
  auto s = DatagramSocket::bind(Address::loopback(family, 0));
  if (!s) return 0;
  auto a = s->local_address();
  return a ? a->port() : 0;
}

// ---- Against the real server ----

TEST(LoadgenRun, RealServerOnIpv6AllRepliesRightAndJsonComplete) {
  auto server = start_server({"::1", "0"});
  ASSERT_FALSE(server.address.empty());
  const auto r = loadgen({"--concurrency", "4", "--duration", "1", "--warmup", "0.2", "--json",
                          "--count", "1-64", "--server-pid", std::to_string(server.child->pid()),
                          "::1", port_of(server.address)});
  ASSERT_EQ(exit_code(r), 0) << dump(r);
  const auto j = parse_json_or_fail(r);
  ASSERT_TRUE(j.is_object());
  expect_consistent(j, r);
  EXPECT_EQ(j.at("target").get<std::string>(), server.address);
  EXPECT_EQ(j.at("protocol").get<std::string>(), "calc");
  EXPECT_EQ(j.at("mode").get<std::string>(), "closed");
  EXPECT_EQ(num(j, "concurrency"), 4);
  EXPECT_EQ(num(j, "count_min"), 1);
  EXPECT_EQ(num(j, "count_max"), 64);
  EXPECT_GT(num(j, "measured", "ok"), 0);
  EXPECT_GT(num(j, "warmup", "ok"), 0);
  for (const char* k : {"wrong", "error_replies", "malformed", "stray"}) {
    EXPECT_EQ(num(j, "measured", k), 0) << k;
    EXPECT_EQ(num(j, "warmup", k), 0) << k;
  }
  EXPECT_NEAR(num(j, "measured_s"), 1.0, 0.1);
  EXPECT_GT(num(j, "requests_per_second"), 0);
  EXPECT_GT(num(j, "latency_us", "p50"), 0);
  EXPECT_GT(num(j, "loadgen_cpu", "us_per_request"), 0);
  ASSERT_TRUE(j.at("server_cpu").is_object()) << dump(r);
  EXPECT_EQ(num(j, "server_cpu", "pid"), server.child->pid());
  EXPECT_GT(num(j, "server_cpu", "us_per_reply"), 0);
  EXPECT_NEAR(num(j, "server_cpu", "user_share") + num(j, "server_cpu", "system_share"), 1.0, 0.01);
  EXPECT_TRUE(j.at("first_failure").is_null());
  EXPECT_TRUE(j.at("pass").get<bool>());
}

TEST(LoadgenRun, RealServerOnUnixSocketWaitsForRoomInTheQueue) {
  // P-13: the generator's sockets autobind so that the server can answer them.
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "loadgen-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::string path = "unix:" + (dir / "calc.sock").string();
  {
    auto server = start_server({path});
    ASSERT_EQ(server.address, path);
    const auto r =
        loadgen({"-c", "2", "-d", "0.5", "-w", "0", "--op", "*", "--format", "string", path});
    EXPECT_EQ(exit_code(r), 0) << dump(r);
    EXPECT_THAT(r.out, HasSubstr("result          PASS")) << dump(r);
    EXPECT_THAT(r.out, HasSubstr("op product, format string")) << dump(r);
    // More sockets than a Unix datagram queue holds (net.unix.max_dgram_qlen, 10 by default):
    // a full queue makes send() fail with EAGAIN, and the generator must wait for room
    // (EPOLLOUT) rather than for a timeout.
    const auto many = loadgen({"-c", "32", "-d", "0.5", "-w", "0", "-t", "1000", "--json", path});
    ASSERT_EQ(exit_code(many), 0) << dump(many);
    const auto j = parse_json_or_fail(many);
    expect_consistent(j, many);
    EXPECT_GT(num(j, "measured", "ok"), 0);
    EXPECT_EQ(num(j, "measured", "timeouts"), 0) << dump(many);
    EXPECT_EQ(num(j, "measured", "send_errors"), 0) << dump(many);
  }
  std::filesystem::remove_all(dir);
}

TEST(LoadgenRun, JsonTargetNamesAUnixPathThatIsNotAsciiAgain) {
  // A UTF-8 name and a name with a byte that is not UTF-8: the JSON string gives back exactly
  // the address's text form (its \xHH escapes), which names the same socket again.
  auto dir = testing::TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  for (const std::string name : {"r\xC3\xA9sultats.sock", "bad-\xFF.sock"}) {
    const std::string path = "unix:" + dir->path() + "/" + name;
    auto server = start_server({path});
    ASSERT_FALSE(server.address.empty()) << path;
    const auto r = loadgen({"-c", "1", "-d", "0.2", "-w", "0", "--json", path});
    ASSERT_EQ(exit_code(r), 0) << dump(r);
    const auto target = parse_json_or_fail(r).at("target").get<std::string>();
    EXPECT_EQ(target, server.address) << dump(r);
    const auto again = Address::parse(target);
    const auto given = Address::parse(path);
    ASSERT_TRUE(again && given) << target;
    EXPECT_EQ(*again, *given) << target;
  }
}

TEST(LoadgenRun, OpenLoopAccountsForEveryScheduledRequest) {
  auto server = start_server({"::1", "0"});
  ASSERT_FALSE(server.address.empty());
  const auto r = loadgen({"-c", "4", "-d", "1", "-w", "0.2", "--rate", "2000", "--json", "::1",
                          port_of(server.address)});
  ASSERT_EQ(exit_code(r), 0) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_EQ(j.at("mode").get<std::string>(), "open");
  // 2000/s for 1 s: every slot of the schedule is either sent or counted "behind". How many
  // fall behind depends on the machine's load (a run beside another test suite saw 25 %); the
  // rate loadgen keeps is a benchmark's figure (bench/), so the test asks only for half of the
  // slots sent, and for nearly every request sent on loopback answered.
  const double sent = num(j, "measured", "sent");
  EXPECT_NEAR(sent + num(j, "measured", "behind"), 2000, 100) << dump(r);
  EXPECT_GE(sent, 1000) << dump(r);
  EXPECT_GE(num(j, "measured", "ok"), 0.95 * sent) << dump(r);
}

TEST(LoadgenRun, SockperfModeAgainstCalcServerIsNotRight) {
  // Our server reads a 14-byte sockperf message as a calc request with a misaligned payload
  // and sends an error reply (P-6, P-8): a sockperf client must not count that as right.
  auto server = start_server({"::1", "0"});
  ASSERT_FALSE(server.address.empty());
  const auto r = loadgen({"--sockperf", "-c", "2", "-d", "0.3", "-w", "0", "-t", "50", "--json",
                          "::1", port_of(server.address)});
  EXPECT_EQ(exit_code(r), 1) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_EQ(num(j, "measured", "ok"), 0);
  EXPECT_GT(num(j, "measured", "malformed") + num(j, "measured", "wrong"), 0) << dump(r);
  EXPECT_FALSE(j.at("first_failure").is_null());
}

// ---- Against fakes ----

TEST(LoadgenRun, WrongAnswersAreCountedAndFailTheRun) {
  // P-9: a peer that answers sum+1 in a perfectly well-formed reply.
  auto peer = FakePeer::start([](std::uint64_t) { return PeerAction::plus_one; });
  ASSERT_TRUE(peer);
  const auto r =
      loadgen({"-c", "4", "-d", "0.5", "-w", "0", "--json", "::1", std::to_string(peer->port())});
  ASSERT_EQ(exit_code(r), 1) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_GT(num(j, "measured", "wrong"), 0);
  EXPECT_EQ(num(j, "measured", "ok"), 0);
  // After a wrong reply the socket is replaced, so the next request goes out from a new port.
  EXPECT_EQ(num(j, "measured", "sockets_replaced"), num(j, "measured", "wrong"));
  ASSERT_TRUE(j.at("first_failure").is_string());
  EXPECT_THAT(j.at("first_failure").get<std::string>(), HasSubstr("expected"));
  EXPECT_FALSE(j.at("pass").get<bool>());
  // The text report says so too.
  const auto text =
      loadgen({"-c", "1", "-d", "0.2", "-w", "0", "::1", std::to_string(peer->port())});
  EXPECT_EQ(exit_code(text), 1) << dump(text);
  EXPECT_THAT(text.out, HasSubstr("result          FAIL")) << dump(text);
  EXPECT_THAT(text.out, HasSubstr("first failure")) << dump(text);
}

TEST(LoadgenRun, DroppedRequestsTimeOutAndTheRestStayRight) {
  // P-12: every third datagram is dropped; the generator resends the same request.
  auto peer = FakePeer::start(
      [](std::uint64_t n) { return n % 3 == 2 ? PeerAction::drop : PeerAction::correct; });
  ASSERT_TRUE(peer);
  const std::vector<std::string> args = {
      "-c", "4", "-d", "1", "-w", "0", "-t", "20", "--json", "::1", std::to_string(peer->port())};
  const auto r = loadgen(args);
  ASSERT_EQ(exit_code(r), 0) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_GT(num(j, "measured", "ok"), 0);
  EXPECT_GT(num(j, "measured", "timeouts"), 0);
  EXPECT_EQ(num(j, "measured", "wrong"), 0);
  EXPECT_EQ(num(j, "measured", "malformed"), 0);
  EXPECT_GT(num(j, "measured", "sockets_replaced"), 0);
  // A timeout's wait is in the latency: the slowest ok reply waited at least one timeout.
  EXPECT_GE(num(j, "latency_us", "max"), 20'000);
  // With a limit on timeouts the same run fails.
  auto limited = args;
  limited.insert(limited.begin(), {"--max-timeouts", "0"});
  const auto strict = loadgen(limited);
  EXPECT_EQ(exit_code(strict), 1) << dump(strict);
}

TEST(LoadgenRun, LateSecondRepliesAreNeverTakenForTheNextRequest) {
  // P-12: every third reply comes 40 ms late, after the 20 ms timeout, so the request has
  // been sent again and both tries get an answer. The second answer must not be counted as
  // the reply to the socket's next request: the socket is replaced, the late reply lands on a
  // closed port.
  auto peer = FakePeer::start(
      [](std::uint64_t n) { return n % 3 == 2 ? PeerAction::late : PeerAction::correct; },
      milliseconds(40));
  ASSERT_TRUE(peer);
  const auto r = loadgen(
      {"-c", "4", "-d", "1", "-w", "0", "-t", "20", "--json", "::1", std::to_string(peer->port())});
  ASSERT_EQ(exit_code(r), 0) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_GT(num(j, "measured", "timeouts"), 0);
  EXPECT_GT(num(j, "measured", "ok"), 0);
  EXPECT_EQ(num(j, "measured", "wrong"), 0) << dump(r);
  EXPECT_EQ(num(j, "measured", "stray"), 0) << dump(r);
  // The late replies did come, to the quarantined sockets, and were right for their request.
  EXPECT_GT(num(j, "measured", "late") + num(j, "warmup", "late"), 0) << dump(r);
  EXPECT_EQ(num(j, "measured", "late_bad"), 0) << dump(r);
}

TEST(LoadgenRun, NobodyListeningFailsWithoutAnyOkReply) {
  const auto port = free_udp_port(Family::v6);
  ASSERT_NE(port, 0);
  const auto r = loadgen(
      {"-c", "2", "-d", "0.3", "-w", "0", "-t", "50", "--json", "::1", std::to_string(port)});
  ASSERT_EQ(exit_code(r), 1) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_EQ(num(j, "measured", "ok"), 0);
  EXPECT_GT(num(j, "measured", "timeouts"), 0);
  EXPECT_GT(num(j, "measured", "recv_errors") + num(j, "measured", "send_errors"), 0);
}

// ---- Against sockperf ----

// The sockperf program found on PATH, or "" when there is none.
std::string sockperf_path() { return testing::find_program("sockperf").value_or(""); }

// Sends ping-pong messages until the sockperf server answers one (bounded).
bool sockperf_answers(std::uint16_t port) {
  auto s = DatagramSocket::connect(Address::loopback(Family::v4, port));
  if (!s) return false;
  std::array<std::byte, loadgen::sockperf::kHeaderSize> msg{};
  std::array<std::byte, 64> reply{};
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  for (std::uint64_t seq = 1; std::chrono::steady_clock::now() < deadline; ++seq) {
    loadgen::sockperf::encode(loadgen::sockperf::request_header(seq), msg);
    (void)s->send(msg);
    if (s->wait_readable(100)) {
      const auto r = s->recv_from(reply, nullptr);
      if (r.outcome == RecvOutcome::received &&
          loadgen::sockperf::check_reply({reply.data(), r.held}, r.truncated(), seq) ==
              loadgen::Verdict::ok) {
        return true;
      }
    }
  }
  return false;
}

TEST(LoadgenRun, SockperfModeAgainstRealSockperfServer) {
  const std::string sockperf = sockperf_path();
  if (sockperf.empty()) GTEST_SKIP() << "sockperf is not installed (Debian package sockperf)";
  const auto port = free_udp_port(Family::v4);
  ASSERT_NE(port, 0);
  auto started =
      Process::start(sockperf, {"server", "-i", "127.0.0.1", "-p", std::to_string(port)});
  ASSERT_TRUE(started) << started.error().message();
  const std::unique_ptr<Process> sp = std::move(*started);
  ASSERT_TRUE(sockperf_answers(port)) << "sockperf server never answered; its output:\n"
                                      << sp->out() << sp->err();
  const auto r = loadgen({"--sockperf", "-c", "4", "-d", "1", "-w", "0.2", "--json", "--server-pid",
                          std::to_string(sp->pid()), "127.0.0.1", std::to_string(port)});
  ASSERT_EQ(exit_code(r), 0) << dump(r);
  const auto j = parse_json_or_fail(r);
  expect_consistent(j, r);
  EXPECT_EQ(j.at("protocol").get<std::string>(), "sockperf");
  EXPECT_GT(num(j, "measured", "ok"), 0);
  EXPECT_EQ(num(j, "measured", "wrong"), 0);
  EXPECT_EQ(num(j, "measured", "malformed"), 0);
  EXPECT_TRUE(j.at("server_cpu").is_object());
  sp->terminate();
}

// ---- Usage ----

TEST(LoadgenUsage, BadArgumentsExitWithStatus2) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"::1"},
      {"::1", "10000", "extra"},
      {"::1", "0"},
      {"::1", "70000"},
      {"--concurrency", "0", "::1", "10000"},
      {"--concurrency", "x", "::1", "10000"},
      {"--duration", "0", "::1", "10000"},
      {"--duration", "-1", "::1", "10000"},
      {"--warmup", "abc", "::1", "10000"},
      {"--rate", "0", "::1", "10000"},
      {"--timeout", "0", "::1", "10000"},
      {"--op", "/", "::1", "10000"},
      {"--format", "hex", "::1", "10000"},
      {"--count", "0", "::1", "10000"},
      {"--count", "65", "::1", "10000"},
      {"--count", "5-3", "::1", "10000"},
      {"--count", "1-", "::1", "10000"},
      {"--seed", "-1", "::1", "10000"},
      {"--server-pid", "4194304", "::1", "10000"},
      {"--max-timeouts", "many", "::1", "10000"},
      {"--no-such-option", "::1", "10000"},
      {"--concurrency"},
      {"unix:"},
  };
  for (const auto& args : cases) {
    std::string joined;
    for (const auto& a : args) joined += " '" + a + "'";
    const auto r = run_program(kLoadgen, args, kPatience);
    EXPECT_EQ(exit_code(r), 2) << "loadgen" << joined << dump(r);
    EXPECT_THAT(r.err, HasSubstr("loadgen: ")) << "loadgen" << joined << dump(r);
    EXPECT_TRUE(r.out.empty()) << "loadgen" << joined << dump(r);
  }
}

TEST(LoadgenUsage, HelpListsEveryOption) {
  const auto r = run_program(kLoadgen, {"--help"}, kPatience);
  ASSERT_EQ(exit_code(r), 0) << dump(r);
  for (const char* flag : {"--concurrency", "--duration", "--warmup", "--rate", "--timeout", "--op",
                           "--format", "--count", "--seed", "--sockperf", "--server-pid", "--json",
                           "--max-timeouts", "--help", "--version", "Exit status"}) {
    EXPECT_THAT(r.out, HasSubstr(flag)) << flag;
  }
}

}  // namespace
}  // namespace sockcalc::loadgen_test
