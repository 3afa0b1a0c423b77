// SPDX-License-Identifier: MIT
// tests/integration/log_injection_test.cpp -- internal to tests/integration.
// Bytes a peer chooses never reach a log line or a terminal as they are: the server's -v log
// of Unix peers whose names hold newlines and escape sequences, a Unix name given raw on the
// command line and printed escaped, and conformance showing a client's hostile output.
// Test thread only.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"
#include "sockcalc/core/hex.hpp"
#include "support/hostile.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

using protocol::Format;
using protocol::Op;
using testing::Datagram;
using testing::encode;
using testing::make_request;

const std::vector<std::uint32_t> kIntegers = {1, 3, 5, 7, 9};

// What a hostile local peer puts in its name: a newline and a forged counters line, a line
// without the program's prefix, a colour, a terminal title, a carriage return.
const std::string kForgery =
    "\nserver: stopped; received=999 answered=999\nforged\x1b[31mred\x1b]0;title\x07\r";

// The bytes no log line may hold: controls other than the newline that ends it, DEL, and
// everything above ASCII (C1 controls such as the 8-bit CSI).
std::string control_bytes_in(const std::string& text) {
  std::string found;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n') || c >= 0x7f) {
      found += ' ' + course_hex(std::as_bytes(std::span(&ch, 1)));
    }
  }
  return found;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// Sends the course's sum from `peer` to the server and waits for the answer.
void exchange(const DatagramSocket& peer, const Address& server) {
  ASSERT_EQ(peer.send_to(encode(make_request(Op::sum, Format::integer, kIntegers)), server), 0);
  ASSERT_TRUE(peer.wait_readable(static_cast<int>(kPatience.count())));
  std::byte buf[64];
  const auto r = peer.recv_from(buf, nullptr);
  ASSERT_EQ(r.outcome, RecvOutcome::received);
}

TEST(IntegLogInjection, ServerVerboseLogEscapesHostileUnixNames) {
  ASSERT_OK_AND_ASSIGN(const TempDir dir, TempDir::create());
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server,
                       start_server({"-v", "--threads", "1", "unix:" + dir.path() + "/s.sock"}));
  // An abstract name (no file needed), and a path: a file name holds any byte but '/' and NUL.
  const Address abstract_peer = testing::raw_unix_address(
      "sockcalc-evil-" + std::to_string(getpid()) + kForgery, testing::UnixNamespace::abstract);
  const Address path_peer =
      testing::raw_unix_address(dir.path() + "/e" + kForgery, testing::UnixNamespace::path);
  for (const Address& name : {abstract_peer, path_peer}) {
    DatagramSocket peer;
    ASSERT_OK_AND_ASSIGN(peer, DatagramSocket::bind(name));
    exchange(peer, server->address());
  }
  ASSERT_TRUE(server->stop(SIGTERM)) << server->report();
  const std::string& err = server->process().err();

  EXPECT_EQ(control_bytes_in(err), "") << server->report();
  std::size_t stopped = 0;
  for (const std::string& line : lines_of(err)) {
    EXPECT_TRUE(line.starts_with("server: ")) << "a line without the prefix: '" << line << "'";
    if (line.starts_with("server: stopped;")) ++stopped;
  }
  EXPECT_EQ(stopped, 1u) << server->report();
  // Both peers were logged, their names escaped as Address::to_string() writes them.
  EXPECT_THAT(err, HasSubstr("from " + abstract_peer.to_string() + ", 21 bytes"))
      << server->report();
  EXPECT_THAT(err, HasSubstr("to " + path_peer.to_string() + ", 5 bytes")) << server->report();
  EXPECT_THAT(err, HasSubstr("\\x0aserver: stopped; received=999")) << server->report();
}

// A Unix name given raw on the command line is printed escaped on the "listening on" line, and
// that text, pasted, reaches the server.
TEST(IntegLogInjection, RawUnixNamePrintsEscapedAndThePrintedFormReachesTheServer) {
  const std::string name = "sockcalc-raw-" + std::to_string(getpid()) + "\n\x1b[1m";
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_server({"--threads", "1", "unix:@" + name}));
  const std::string printed = server->address().to_string();
  EXPECT_EQ(printed, "unix:@sockcalc-raw-" + std::to_string(getpid()) + "\\x0a\\x1b[1m");
  EXPECT_EQ(server->address(), testing::raw_unix_address(name, testing::UnixNamespace::abstract));
  EXPECT_THAT(server->process().err(), HasSubstr("server: listening on " + printed + " (sockcalc "))
      << server->report();
  const RunResult r = run_client(concat({"-op", "+", printed}, as_args(kIntegers)));
  EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;
}

// conformance shows a client's output (stdout, and its Result: line in a failure sentence):
// a client under test that prints escape sequences must not colour or rewrite the report.
TEST(IntegLogInjection, ConformanceEscapesAClientsOutput) {
  const std::string script =
      "printf 'Result: 2\\033[31m5\\033]0;title\\007\\r\\nforged\\033[2J\\n'; exit 0";
  const RunResult r = run_program(SOCKCALC_CONFORMANCE_BIN,
                                  {"client", "--", "/bin/sh", "-c", script, "sh"}, 4 * kPatience);
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  EXPECT_EQ(control_bytes_in(r.out), "") << r.report;
  EXPECT_EQ(control_bytes_in(r.err), "") << r.report;
  // The output is shown, escaped.
  EXPECT_THAT(r.out, HasSubstr("'Result: 2\\x1b[31m5\\x1b]0;title\\x07'")) << r.report;
  EXPECT_THAT(r.out, HasSubstr("Result: 2\\x1b[31m5\\x1b]0;title\\x07\\x0d")) << r.report;
  EXPECT_THAT(r.out, HasSubstr("forged\\x1b[2J")) << r.report;
}

}  // namespace
}  // namespace sockcalc::integration
