// SPDX-License-Identifier: MIT
// tests/conformance/conformance_run_test.cpp -- internal to tests/conformance.
// The conformance program of this build, run as a process: our server and client pass every
// check; each deliberately wrong server (wrong_server --mistake) and client (wrong_client
// --mistake) is caught by exactly the checks that should catch it; usage, JSON, bounds.
// Test thread only; every process is stopped by its pid.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sockcalc/address/address.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/process.hpp"

using ::testing::HasSubstr;

namespace sockcalc::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Ids = std::set<std::string>;

// Waits for wrong peers, short so that the suite stays fast: a wrong server's reply is there
// at once or never; wrong_client gives up after 1.8 s at most (its own timeouts).
const std::string kServerWait = "600";
const std::string kClientWait = "3000";
// How long a whole conformance run may take before the test kills it.
constexpr milliseconds kRunLimit{30000};

RunResult conformance(const std::vector<std::string>& args, milliseconds limit = kRunLimit) {
  return run_program(SOCKCALC_CONFORMANCE_BIN, args, limit);
}

// Each table row's status by check id: "FAIL   P-2    course-sum   ...".
std::map<std::string, std::string> rows(const std::string& out) {
  static const std::regex row(R"(^(PASS|FAIL|WARN|SKIP) +(P-[0-9]+) +(\S+) )");
  std::map<std::string, std::string> m;
  std::size_t pos = 0;
  while (pos < out.size()) {
    const std::size_t end = std::min(out.find('\n', pos), out.size());
    const std::string line = out.substr(pos, end - pos);
    std::smatch match;
    if (std::regex_search(line, match, row)) m[match[3]] = match[1];
    pos = end + 1;
  }
  return m;
}

Ids with_status(const std::map<std::string, std::string>& r, const std::string& status) {
  Ids ids;
  for (const auto& [id, s] : r) {
    if (s == status) ids.insert(id);
  }
  return ids;
}

std::string join(const Ids& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : " ") + id;
  return s;
}

std::unique_ptr<ServerProcess> start(const std::string& program,
                                     const std::vector<std::string>& args) {
  auto s = ServerProcess::start(program, args);
  if (!s) ADD_FAILURE() << s.error().message();
  return s ? std::move(*s) : nullptr;
}

// ---- Our own programs pass everything ----

// On ::1 alone, reply-source cannot ask another address (::ffff:127.0.0.2 is not served): it is
// skipped, and the table says why, instead of passing.
TEST(ConformanceRun, OurServerPassesEveryCheckOverIPv6) {
  auto server = start(SOCKCALC_SERVER_BIN, {"::1", "0"});
  ASSERT_NE(server, nullptr);
  const RunResult r = conformance({"server", "::1", server->port_arg()});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  const auto table = rows(r.out);
  EXPECT_GE(table.size(), 35u) << r.report;
  EXPECT_EQ(with_status(table, "PASS").size(), table.size() - 1) << r.report;
  EXPECT_EQ(join(with_status(table, "SKIP")), "reply-source") << r.report;
  EXPECT_THAT(r.out, HasSubstr("cannot be tested this way")) << r.report;
  EXPECT_THAT(r.out, HasSubstr("0 failed, 0 warnings, 1 skipped: PASS")) << r.report;
}

// P-14: a server on the wildcard answers 127.0.0.2 and ::ffff:127.0.0.2 from those addresses
// (issue 10 §1: before the fix, from 127.0.0.1, and reply-source failed).
TEST(ConformanceRun, OurWildcardServerRepliesFromTheAddressAsked) {
  for (const char* engine : {"simple", "batch"}) {
    auto server = start(SOCKCALC_SERVER_BIN, {"--engine", engine, "::", "0"});
    ASSERT_NE(server, nullptr);
    for (const char* target : {"127.0.0.1", "::1"}) {
      const RunResult r = conformance({"server", target, server->port_arg()});
      EXPECT_TRUE(r.status.exited_with(0)) << engine << " " << target << "\n" << r.report;
      auto table = rows(r.out);
      EXPECT_EQ(table["reply-source"], "PASS") << engine << " " << target << "\n" << r.report;
      EXPECT_EQ(with_status(table, "PASS").size(), table.size()) << r.report;
    }
  }
}

TEST(ConformanceRun, OurServerPassesOverIPv4AndUnix) {
  auto v4 = start(SOCKCALC_SERVER_BIN, {"127.0.0.1", "0"});
  ASSERT_NE(v4, nullptr);
  const RunResult r4 = conformance({"server", "127.0.0.1", v4->port_arg()});
  EXPECT_TRUE(r4.status.exited_with(0)) << r4.report;

  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string spec = "unix:" + dir->path() + "/calc.sock";
  auto unix_server = start(SOCKCALC_SERVER_BIN, {spec});
  ASSERT_NE(unix_server, nullptr);
  const RunResult ru = conformance({"server", spec});
  EXPECT_TRUE(ru.status.exited_with(0)) << ru.report;
  EXPECT_THAT(ru.out, HasSubstr("conformance: server " + spec)) << ru.report;
  EXPECT_EQ(rows(ru.out)["reply-source"], "SKIP") << ru.report;
  EXPECT_THAT(ru.out, HasSubstr("not applicable: a Unix-domain socket")) << ru.report;
}

TEST(ConformanceRun, OurClientPassesEveryCheck) {
  const RunResult r = conformance({"client", "--", SOCKCALC_CLIENT_BIN});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  const auto table = rows(r.out);
  EXPECT_GE(table.size(), 25u) << r.report;
  EXPECT_EQ(with_status(table, "PASS").size(), table.size()) << r.report;
}

// ---- Wrong servers: each mistake fails exactly the checks that show it ----

struct ServerMistake {
  const char* name;
  Ids failing;   // exactly these checks FAIL
  Ids mentions;  // the rules broken, as the failure sentences name them ("broke P-2")
};
void PrintTo(const ServerMistake& m, std::ostream* os) { *os << m.name; }

// "little-endian" -> "little_endian": gtest names allow no '-'.
template <typename Mistake>
std::string test_name(const ::testing::TestParamInfo<Mistake>& param) {
  std::string n = param.param.name;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

class ConformanceWrongServer : public ::testing::TestWithParam<ServerMistake> {};

TEST_P(ConformanceWrongServer, IsCaught) {
  const ServerMistake& m = GetParam();
  auto server = start(SOCKCALC_WRONG_SERVER_BIN, {"--mistake", m.name});
  ASSERT_NE(server, nullptr);
  const RunResult r = conformance({"--timeout", kServerWait, "server", "::1", server->port_arg()});
  const Ids failed = with_status(rows(r.out), "FAIL");
  EXPECT_EQ(join(failed), join(m.failing)) << r.report;
  EXPECT_TRUE(r.status.exited_with(m.failing.empty() ? 0 : 1)) << r.report;
  for (const std::string& rule : m.mentions) {
    EXPECT_THAT(r.out, HasSubstr("broke " + rule + ":")) << rule << "\n" << r.report;
  }
  if (!m.failing.empty()) {
    // Each failure shows the bytes exchanged (in the course's hex style: judge_test).
    EXPECT_THAT(r.out, HasSubstr("to server   ")) << r.report;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, ConformanceWrongServer,
    ::testing::Values(
        ServerMistake{"none", {}, {}},
        ServerMistake{"little-endian",
                      {"course-sum", "product-integer", "byte-order", "unused-bits-sum",
                       "unused-bits-product", "wrap-sum", "wrap-product-max", "one-integer",
                       "64-integers", "many-clients", "still-answering"},
                      {"P-2"}},
        ServerMistake{"nul-terminated",
                      {"course-product-string", "sum-string", "unused-bits-sum-string",
                       "unused-bits-product-string", "wrap-sum-string", "wrap-product-string",
                       "64-integers-product-string", "string-zero", "string-max", "many-clients",
                       "retransmission"},
                      {"P-10"}},
        ServerMistake{"unmasked-opcode",
                      {"unused-bits-sum", "unused-bits-sum-string", "unused-bits-product",
                       "unused-bits-product-string"},
                      {"P-3"}},
        ServerMistake{"no-opcode-error",
                      {"opcode-2", "opcode-3", "opcode-4", "opcode-5", "opcode-6", "opcode-7",
                       "opcode-2-short"},
                      {"P-4"}},
        ServerMistake{"partial-sum", {"65-integers", "1000-integers"}, {"P-7"}},
        ServerMistake{
            "error-s-bit",
            {"empty-datagram", "header-only", "misaligned-2", "misaligned-6", "misaligned-258",
             "65-integers", "1000-integers", "opcode-2", "opcode-3", "opcode-4", "opcode-5",
             "opcode-6", "opcode-7", "opcode-2-short", "opcode-7-header-only"},
            {"P-8"}},
        ServerMistake{"long-error",
                      {"empty-datagram", "header-only", "misaligned-2", "misaligned-6",
                       "opcode-2-short", "opcode-7-header-only"},
                      {"P-8"}},
        ServerMistake{"silent-empty", {"empty-datagram", "one-reply-each"}, {"P-7"}},
        ServerMistake{"leading-zeros",
                      {"course-product-string", "sum-string", "unused-bits-sum-string",
                       "unused-bits-product-string", "wrap-sum-string", "wrap-product-string",
                       "64-integers-product-string", "string-zero", "string-max", "many-clients",
                       "retransmission"},
                      {"P-10"}},
        ServerMistake{"saturating",
                      {"wrap-sum", "wrap-sum-string", "wrap-product", "wrap-product-string",
                       "wrap-product-max", "64-integers-product-string"},
                      {"P-9"}},
        // Bound to `::`, it answers ::1 from ::1, and ::ffff:127.0.0.2 from 127.0.0.1.
        ServerMistake{"wrong-source", {"reply-source"}, {"P-14"}}),
    test_name<ServerMistake>);

// ---- Wrong clients ----

struct ClientMistake {
  const char* name;
  Ids failing;
  Ids mentions;
};
void PrintTo(const ClientMistake& m, std::ostream* os) { *os << m.name; }

class ConformanceWrongClient : public ::testing::TestWithParam<ClientMistake> {};

TEST_P(ConformanceWrongClient, IsCaught) {
  const ClientMistake& m = GetParam();
  const RunResult r = conformance(
      {"--timeout", kClientWait, "client", "--", SOCKCALC_WRONG_CLIENT_BIN, "--mistake", m.name});
  const Ids failed = with_status(rows(r.out), "FAIL");
  EXPECT_EQ(join(failed), join(m.failing)) << r.report;
  EXPECT_TRUE(r.status.exited_with(m.failing.empty() ? 0 : 1)) << r.report;
  for (const std::string& rule : m.mentions) {
    EXPECT_THAT(r.out, HasSubstr("broke " + rule + ":")) << rule << "\n" << r.report;
  }
  if (!m.failing.empty()) {
    EXPECT_THAT(r.out, HasSubstr("from client ")) << r.report;
    EXPECT_THAT(r.out, HasSubstr("command     ")) << r.report;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, ConformanceWrongClient,
    ::testing::Values(
        ClientMistake{"none", {}, {}},
        ClientMistake{"no-retransmission", {"dropped-first-request"}, {"P-12"}},
        ClientMistake{"ignores-status",
                      {"error-reply", "error-reply-digits", "error-reply-unused-bits"},
                      {"P-11"}},
        ClientMistake{
            "unused-bits-matter", {"unused-reply-bits", "unused-reply-bits-string"}, {"P-10"}},
        ClientMistake{"little-endian",
                      {"course-sum", "product-integer", "request-unused-bits",
                       "request-64-integers", "unused-reply-bits", "dropped-first-request"},
                      {"P-2"}},
        ClientMistake{
            "accepts-non-digit", {"malformed-string-non-digit", "malformed-string-nul"}, {"P-11"}}),
    test_name<ClientMistake>);

// Legal variants of what our programs send: warnings, and the run still passes (exit 0).
TEST(ConformanceRun, LegalVariantsOnlyWarn) {
  auto server = start(SOCKCALC_WRONG_SERVER_BIN, {"--mistake", "sets-unused-bits"});
  ASSERT_NE(server, nullptr);
  const RunResult s = conformance({"--timeout", kServerWait, "server", "::1", server->port_arg()});
  EXPECT_TRUE(s.status.exited_with(0)) << s.report;
  const auto server_rows = rows(s.out);
  EXPECT_EQ(with_status(server_rows, "FAIL").size(), 0u) << s.report;
  EXPECT_EQ(server_rows.at("course-sum"), "WARN") << s.report;
  EXPECT_EQ(server_rows.at("opcode-2"), "WARN") << s.report;
  EXPECT_THAT(s.out, HasSubstr("differs from our programs on P-10: ")) << s.report;

  const RunResult c = conformance({"--timeout", kClientWait, "client", "--",
                                   SOCKCALC_WRONG_CLIENT_BIN, "--mistake", "sets-unused-bits"});
  EXPECT_TRUE(c.status.exited_with(0)) << c.report;
  const auto client_rows = rows(c.out);
  EXPECT_EQ(join(with_status(client_rows, "WARN")), "request-unused-bits") << c.report;
  EXPECT_EQ(with_status(client_rows, "FAIL").size(), 0u) << c.report;
}

// "0945": the spec's client rule does not list a leading zero among what to refuse, so a client
// that believes it is warned, not failed (our own client refuses it).
TEST(ConformanceRun, ClientAcceptingLeadingZeroOnlyWarns) {
  const RunResult c = conformance({"--timeout", kClientWait, "client", "--",
                                   SOCKCALC_WRONG_CLIENT_BIN, "--mistake", "accepts-leading-zero"});
  EXPECT_TRUE(c.status.exited_with(0)) << c.report;
  const auto client_rows = rows(c.out);
  EXPECT_EQ(join(with_status(client_rows, "WARN")), "malformed-string-leading-zero") << c.report;
  EXPECT_EQ(with_status(client_rows, "FAIL").size(), 0u) << c.report;
  EXPECT_EQ(client_rows.at("malformed-string-leading-zero"), "WARN") << c.report;
}

// A client that never exits is killed by pid at each check's deadline and fails every check;
// the run stays bounded.
TEST(ConformanceRun, ClientThatNeverExitsIsKilledAndFails) {
  const auto start_time = Clock::now();
  const RunResult r = conformance(
      {"--timeout", "100", "client", "--", SOCKCALC_WRONG_CLIENT_BIN, "--mistake", "hangs"});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  const auto table = rows(r.out);
  EXPECT_EQ(with_status(table, "FAIL").size(), table.size()) << r.report;
  EXPECT_THAT(r.out, HasSubstr("still running at the check's deadline")) << r.report;
  EXPECT_LT(Clock::now() - start_time, std::chrono::seconds(15)) << r.report;
}

// ---- Targets that are not there, usage ----

TEST(ConformanceRun, SilentTargetFailsFastAndSkipsTheRest) {
  // A port nothing listens on: bound, read, closed.
  auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(s);
  const std::string port = std::to_string(s->local_address()->port());
  s = DatagramSocket();
  const auto start_time = Clock::now();
  const RunResult r = conformance({"--timeout", kServerWait, "server", "::1", port});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  auto table = rows(r.out);
  EXPECT_EQ(table["course-sum"], "FAIL") << r.report;
  EXPECT_EQ(with_status(table, "SKIP").size(), table.size() - 1) << r.report;
  EXPECT_LT(Clock::now() - start_time, std::chrono::seconds(5)) << r.report;
}

TEST(ConformanceRun, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"bogus"},
      {"server"},
      {"server", "::1"},
      {"server", "::1", "0"},
      {"server", "::1", "70000"},
      {"--timeout", "0", "server", "::1", "10000"},
      {"--timeout", "x", "server", "::1", "10000"},
      {"client"},
      {"client", "./client"},
      {"client", "--"},
      {"--frobnicate", "server", "::1", "10000"},
  };
  for (const auto& args : bad) {
    const RunResult r = conformance(args);
    EXPECT_TRUE(r.status.exited_with(2)) << r.report;
    EXPECT_THAT(r.err, HasSubstr("conformance: ")) << r.report;
    EXPECT_EQ(r.out, "") << r.report;
  }
}

TEST(ConformanceRun, HelpAndList) {
  const RunResult help = conformance({"--help"});
  EXPECT_TRUE(help.status.exited_with(0)) << help.report;
  for (const char* needle :
       {"server HOST PORT", "client -- CMD", "--timeout", "--json", "Exit status"}) {
    EXPECT_THAT(help.out, HasSubstr(needle)) << needle;
  }
  const RunResult list = conformance({"--list"});
  EXPECT_TRUE(list.status.exited_with(0)) << list.report;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("P-9 +wrap-sum: "))) << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("P-12 +dropped-first-request: "))) << list.out;
}

TEST(ConformanceRun, CommandThatCannotStartExitsThree) {
  const RunResult r = conformance({"client", "--", "/nonexistent/calc-client"});
  EXPECT_TRUE(r.status.exited_with(3)) << r.report;
  EXPECT_THAT(r.err, HasSubstr("cannot start '/nonexistent/calc-client'")) << r.report;
  EXPECT_EQ(r.out, "") << r.report;
}

// ---- JSON ----

// The number of words of `text` separated by spaces.
std::size_t words(const std::string& text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    n += text[i] != ' ' && (i == 0 || text[i - 1] == ' ');
  return n;
}

// Checks the document against docs/CONFORMANCE.md's schema. at() throws on a missing member,
// which fails the test.
void check_json(const std::string& json, const std::string& expect_result,
                const std::string& failing_id, const std::string& failing_rule) {
  const auto d = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(d.is_discarded()) << "not one JSON document:\n" << json;
  EXPECT_EQ(d.at("schema"), "sockcalc-conformance/1");
  EXPECT_TRUE(d.at("mode") == "server" || d.at("mode") == "client") << d.at("mode");
  EXPECT_EQ(d.at("result"), expect_result);
  const auto& s = d.at("summary");
  const auto& checks = d.at("checks");
  EXPECT_EQ(s.at("checks"), checks.size());
  EXPECT_EQ(s.at("checks").get<std::size_t>(),
            s.at("pass").get<std::size_t>() + s.at("warn").get<std::size_t>() +
                s.at("fail").get<std::size_t>() + s.at("skip").get<std::size_t>());
  const std::set<std::string> keys = {"id",          "rule",    "title",     "status",
                                      "broken_rule", "message", "datagrams", "client"};
  const std::set<std::string> statuses = {"pass", "warn", "fail", "skip"};
  bool found = failing_id.empty();
  for (const auto& c : checks) {
    std::set<std::string> have;
    for (const auto& item : c.items()) have.insert(item.key());
    EXPECT_EQ(have, keys) << c;
    EXPECT_TRUE(statuses.contains(c.at("status").get<std::string>())) << c;
    for (const auto& g : c.at("datagrams")) {
      EXPECT_TRUE(g.at("direction") == "sent" || g.at("direction") == "received") << g;
      EXPECT_EQ(g.at("length").get<std::size_t>(), words(g.at("hex").get<std::string>())) << g;
    }
    if (c.at("id") != failing_id) continue;
    found = true;
    EXPECT_EQ(c.at("status"), "fail") << c;
    EXPECT_EQ(c.at("broken_rule"), failing_rule) << c;
    EXPECT_FALSE(c.at("message").get<std::string>().empty()) << c;
    EXPECT_FALSE(c.at("datagrams").empty()) << c;
  }
  EXPECT_TRUE(found) << "no check " << failing_id;
}

TEST(ConformanceRun, JsonForAPassingServer) {
  auto server = start(SOCKCALC_SERVER_BIN, {"::1", "0"});
  ASSERT_NE(server, nullptr);
  const RunResult r = conformance({"--json", "server", "::1", server->port_arg()});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  EXPECT_EQ(r.out.rfind("{\"schema\":\"sockcalc-conformance/1\"", 0), 0u) << r.out;
  check_json(r.out, "pass", "", "");
}

TEST(ConformanceRun, JsonForAFailingServerAndClient) {
  auto server = start(SOCKCALC_WRONG_SERVER_BIN, {"--mistake", "little-endian"});
  ASSERT_NE(server, nullptr);
  const RunResult r =
      conformance({"--json", "--timeout", kServerWait, "server", "::1", server->port_arg()});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  check_json(r.out, "fail", "course-sum", "P-2");

  const RunResult c = conformance({"--json", "--timeout", kClientWait, "client", "--",
                                   SOCKCALC_WRONG_CLIENT_BIN, "--mistake", "ignores-status"});
  EXPECT_TRUE(c.status.exited_with(1)) << c.report;
  check_json(c.out, "fail", "error-reply", "P-11");
}

// A client whose file name is UTF-8, and one whose name has a byte that is not UTF-8: the JSON
// names the first exactly, the second with U+FFFD for the bad byte, and stays valid.
TEST(ConformanceRun, JsonNamesAClientWhateverItsFileName) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string fffd = "\xEF\xBF\xBD";
  const std::vector<std::pair<std::string, std::string>> names = {
      {"cl\u00efent", "cl\u00efent"}, {"client-\xFF", "client-" + fffd}};
  for (const auto& [name, in_json] : names) {
    const std::string link = dir->path() + "/" + name;
    ASSERT_EQ(::symlink(SOCKCALC_CLIENT_BIN, link.c_str()), 0) << link;
    const RunResult r = conformance({"--json", "client", "--", link});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    check_json(r.out, "pass", "", "");
    const auto d = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(d.is_discarded()) << r.out;
    const std::string want = dir->path() + "/" + in_json;
    EXPECT_EQ(d.at("target"), want);
    std::set<std::string> commands;  // every check's argv[0]
    for (const auto& c : d.at("checks")) {
      if (!c.at("client").is_null()) commands.insert(c.at("client").at("argv").at(0));
    }
    EXPECT_EQ(commands, std::set<std::string>{want});
  }
}

}  // namespace
}  // namespace sockcalc::testing
