// SPDX-License-Identifier: MIT
// tests/examples/examples_test.cpp -- internal to tests/examples.
// Runs the programs of examples/ as processes over IPv6, IPv4 and Unix-domain sockets and
// checks what they print against the library (codec, course_hex, Address). Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integration.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

using protocol::Format;
using protocol::Op;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text));
}

// What the examples send in the course's first steps.
constexpr std::string_view kHello = "hello";

struct Datagram {
  std::string bytes;
  Address from;
};

// One datagram on `sock`, or nothing after `timeout`.
std::optional<Datagram> receive_one(const DatagramSocket& sock, milliseconds timeout) {
  if (!sock.wait_readable(static_cast<int>(timeout.count()))) return std::nullopt;
  std::byte buffer[2500];
  Datagram d;
  const RecvResult r = sock.recv_from(buffer, &d.from);
  if (r.outcome != RecvOutcome::received) return std::nullopt;
  d.bytes.assign(reinterpret_cast<const char*>(buffer), r.held);
  return d;
}

// The text form of the address `sock` is bound to.
std::string local_text(const DatagramSocket& sock) {
  auto a = sock.local_address();
  return a ? a->to_string() : "(getsockname failed: " + a.error().message() + ")";
}

// ---- 01_send_hello: sendto() "hello" to the address given ----

TEST(Example01SendHello, SendsHelloOverIpv6) {
  ASSERT_OK_AND_ASSIGN(DatagramSocket peer, DatagramSocket::bind(Address::loopback(Family::v6, 0)));
  const std::string target = local_text(peer);
  const RunResult r = run_program(SOCKCALC_EXAMPLE_01, {target});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  EXPECT_EQ(r.out, "sent 5 bytes to " + target + "\n") << r.report;
  const auto got = receive_one(peer, kPatience);
  ASSERT_TRUE(got.has_value()) << "nothing arrived at " << target << "\n" << r.report;
  EXPECT_EQ(got->bytes, kHello);  // 5 bytes, no terminating '\0' on the wire
  EXPECT_EQ(got->from.family(), AF_INET6);
}

TEST(Example01SendHello, SendsHelloToAUnixPath) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  ASSERT_OK_AND_ASSIGN(Address path, Address::parse_unix("unix:" + dir.path() + "/peer.sock"));
  ASSERT_OK_AND_ASSIGN(DatagramSocket peer, DatagramSocket::bind(path));
  const RunResult r = run_program(SOCKCALC_EXAMPLE_01, {path.to_string()});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  const auto got = receive_one(peer, kPatience);
  ASSERT_TRUE(got.has_value()) << r.report;
  EXPECT_EQ(got->bytes, kHello);
  // The example's socket never bound: a Unix receiver sees no name to answer (P-13).
  EXPECT_TRUE(got->from.is_unnamed()) << got->from.to_string();
}

TEST(Example01SendHello, RejectsAnAddressItCannotParse) {
  const RunResult r = run_program(SOCKCALC_EXAMPLE_01, {"::1"});  // no [brackets]:port
  EXPECT_TRUE(r.status.exited_with(2)) << r.report;
  EXPECT_EQ(r.out, "") << r.report;
  EXPECT_NE(r.err, "") << r.report;
}

// ---- 02_print_datagrams: bind, then print each datagram in hex with its sender ----

// The lines 02_print_datagrams prints for `bytes` from `sender`, built from the library.
std::string printed(std::string_view bytes, const Address& sender) {
  std::string out = "received " + std::to_string(bytes.size()) + " bytes from " +
                    sender.to_string() + " (a " + std::to_string(sender.length()) +
                    "-byte address):\n" + course_hex(bytes_of(bytes));
  const std::string text = printable_or_empty(bytes_of(bytes));
  if (!text.empty()) out += " ('" + text + "')";
  return out + "\n";
}

// Starts 02_print_datagrams on `local` and returns it with the address it reported.
struct Printer {
  std::unique_ptr<Process> process;
  Address address;
};
std::optional<Printer> start_printer(const std::string& local, const std::string& count,
                                     const std::string& timeout_ms) {
  auto p = Process::start(SOCKCALC_EXAMPLE_02, {local, count, timeout_ms});
  if (!p) return std::nullopt;
  const auto line = (*p)->wait_for_line("listening on ", kPatience);
  if (!line) {
    ADD_FAILURE() << "no 'listening on' line\n" << (*p)->report();
    return std::nullopt;
  }
  auto a = Address::parse(*line);
  if (!a) {
    ADD_FAILURE() << "cannot parse '" << *line << "': " << a.error().message();
    return std::nullopt;
  }
  return Printer{std::move(*p), *a};
}

TEST(Example02PrintDatagrams, PrintsEachDatagramWithItsSenderOverIpv6) {
  auto printer = start_printer("[::1]:0", "2", "5000");
  ASSERT_TRUE(printer.has_value());
  EXPECT_NE(printer->address.port(), 0) << "the real port, not the 0 asked for";
  ASSERT_OK_AND_ASSIGN(DatagramSocket sender,
                       DatagramSocket::bind(Address::loopback(Family::v6, 0)));
  ASSERT_OK_AND_ASSIGN(Address sender_address, sender.local_address());
  // Bytes that are not text too: the course's warning that a buffer is not a string.
  const std::string binary("\x80\x00\x7f\x0a", 4);
  ASSERT_EQ(sender.send_to(bytes_of(kHello), printer->address), 0);
  ASSERT_EQ(sender.send_to(bytes_of(binary), printer->address), 0);

  Process& p = *printer->process;
  ASSERT_TRUE(p.wait_for_exit(kPatience)) << p.report();
  EXPECT_TRUE(p.status().exited_with(0)) << p.report();
  EXPECT_EQ(p.out(), printed(kHello, sender_address) + printed(binary, sender_address))
      << p.report();
}

TEST(Example02PrintDatagrams, ShowsANamedUnixSenderAndTheLengthOfItsAddress) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  auto printer = start_printer("unix:" + dir.path() + "/printer.sock", "1", "5000");
  ASSERT_TRUE(printer.has_value());
  ASSERT_OK_AND_ASSIGN(Address from, Address::parse_unix("unix:" + dir.path() + "/sender.sock"));
  ASSERT_OK_AND_ASSIGN(DatagramSocket sender, DatagramSocket::bind(from));
  ASSERT_OK_AND_ASSIGN(Address sender_address, sender.local_address());
  ASSERT_EQ(sender.send_to(bytes_of(kHello), printer->address), 0);

  Process& p = *printer->process;
  ASSERT_TRUE(p.wait_for_exit(kPatience)) << p.report();
  EXPECT_TRUE(p.status().exited_with(0)) << p.report();
  EXPECT_EQ(p.out(), printed(kHello, sender_address)) << p.report();
  EXPECT_THAT(p.out(), HasSubstr(dir.path() + "/sender.sock")) << p.report();
}

TEST(Example02PrintDatagrams, GivesUpAfterItsTimeoutWithoutADatagram) {
  auto printer = start_printer("127.0.0.1:0", "1", "200");
  ASSERT_TRUE(printer.has_value());
  Process& p = *printer->process;
  ASSERT_TRUE(p.wait_for_exit(kPatience)) << p.report();
  EXPECT_TRUE(p.status().exited_with(1)) << p.report();
  EXPECT_THAT(p.err(), HasSubstr("no datagram within 200 ms")) << p.report();
  EXPECT_EQ(p.out(), "") << p.report();
}

// ---- 03_request_reply: connect, write a calc request, read and decode the reply ----

// What 03_request_reply prints for a sum over `operands` answered correctly.
std::string exchange_output(const std::vector<std::uint32_t>& operands) {
  protocol::Request request;
  for (std::uint32_t v : operands) request.operands.push_back(v);
  std::byte out[wire::kMaxRequestSize];
  const std::size_t size = protocol::encode_request(request, out);
  const std::uint32_t sum = protocol::compute(Op::sum, operands);
  std::byte reply[wire::kMaxSuccessReplySize];
  const std::size_t reply_size = protocol::encode_success_reply(sum, Format::integer, reply);
  return "sent " + std::to_string(size) + " bytes: " + course_hex(std::span(out, size)) +
         "\nreceived " + std::to_string(reply_size) +
         " bytes: " + course_hex(std::span(reply, reply_size)) + "\nsum = " + std::to_string(sum) +
         "\n";
}

TEST(Example03RequestReply, AsksTheServerOverIpv6) {
  ASSERT_OK_AND_ASSIGN(auto server, start_server({"::1", "0"}));
  const std::vector<std::uint32_t> operands = {1, 3, 5, 7, 9};
  const RunResult r =
      run_program(SOCKCALC_EXAMPLE_03, concat({server->address().to_string()}, as_args(operands)));
  EXPECT_TRUE(r.status.exited_with(0)) << r.report << server->report();
  EXPECT_EQ(r.out, exchange_output(operands)) << r.report;
}

TEST(Example03RequestReply, AsksTheServerOverAUnixPathAndWrapsModulo2To32) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string path = "unix:" + dir.path() + "/calc.sock";
  ASSERT_OK_AND_ASSIGN(auto server, start_server({path}));
  const std::vector<std::uint32_t> operands = {4294967295U, 2};  // P-9
  const RunResult r = run_program(SOCKCALC_EXAMPLE_03, concat({path}, as_args(operands)));
  EXPECT_TRUE(r.status.exited_with(0)) << r.report << server->report();
  EXPECT_EQ(r.out, exchange_output(operands)) << r.report;
}

TEST(Example03RequestReply, ReportsARefusedConnectedSocket) {
  // A port nobody listens on: bound, read, released.
  std::uint16_t port = 0;
  {
    ASSERT_OK_AND_ASSIGN(DatagramSocket s, DatagramSocket::bind(Address::loopback(Family::v6, 0)));
    ASSERT_OK_AND_ASSIGN(Address a, s.local_address());
    port = a.port();
  }
  const RunResult r =
      run_program(SOCKCALC_EXAMPLE_03, {Address::loopback(Family::v6, port).to_string(), "1", "2"});
  EXPECT_TRUE(r.status.exited_with(1)) << r.report;
  EXPECT_THAT(r.out, HasSubstr(std::strerror(ECONNREFUSED))) << r.report;
}

// ---- 04_any_family: one function over IPv6, IPv4 and a Unix path ----

TEST(Example04AnyFamily, TheSameFunctionWorksForEveryFamily) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string unix_path = "unix:" + dir.path() + "/any.sock";
  const RunResult r = run_program(SOCKCALC_EXAMPLE_04, {"[::1]:0", "127.0.0.1:0", unix_path});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;

  // Two lines per address: "RECEIVER:" then "  received 5 bytes from SENDER: HEX".
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = r.out.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(r.out.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 6U) << r.report;
  const int families[] = {AF_INET6, AF_INET, AF_UNIX};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string& header = lines[2 * i];
    ASSERT_FALSE(header.empty()) << r.report;
    ASSERT_OK_AND_ASSIGN(Address receiver, Address::parse(header.substr(0, header.size() - 1)));
    EXPECT_EQ(receiver.family(), families[i]) << header;
    if (!receiver.is_unix()) {
      EXPECT_NE(receiver.port(), 0) << header;
    }
    const std::string& body = lines[2 * i + 1];
    EXPECT_EQ(body.rfind("  received 5 bytes from ", 0), 0U) << body;
    EXPECT_THAT(body, HasSubstr(": " + course_hex(bytes_of(kHello)))) << body;
  }
  EXPECT_EQ(lines[4], unix_path + ":");
  EXPECT_THAT(lines[5], HasSubstr("from unix:(unnamed)")) << lines[5];
}

}  // namespace
}  // namespace sockcalc::integration
