// SPDX-License-Identifier: MIT
// tests/integration/client_replies_test.cpp -- internal to tests/integration.
// The real client against a scripted fake server: the bytes it sends, how it reports error
// and malformed replies, retransmission, timeout and refusal. Test thread only.
#include <gmock/gmock.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "integration.hpp"
#include "support/closed_port.hpp"

namespace sockcalc::integration {
namespace {

using protocol::Format;
using protocol::Op;
using protocol::RequestError;
using protocol::RequestFault;
using testing::ClosedPort;

const std::vector<std::uint32_t> kIntegers = {1, 3, 5, 7, 9};

std::vector<std::string> client_args(Format format, const FakeServer& fake,
                                     const std::vector<std::string>& options = {}) {
  std::vector<std::string> args = {"-op", "+"};
  if (format == Format::string) args.emplace_back("-s");
  args = concat(args, options);
  return concat(concat(args, {"::1", fake.port_arg()}), as_args(kIntegers));
}

// A first wait far longer than a loopback round trip, so that a test expecting one datagram
// does not see a retransmission when the machine is busy.
const std::vector<std::string> kNoRetransmit = {"--timeout", "3000"};

// The reply the real server would give to the course's sum, in `format`.
Datagram good_reply(Format format) {
  return encode_success(protocol::compute(Op::sum, kIntegers), format);
}

// The worked example's request size: 1 header byte and five 4-byte integers (spec).
constexpr std::size_t kExampleRequestSize = 21;

// ---- One scripted reply, one expected outcome ----

struct ReplyCase {
  const char* name;
  Format format;                         // what the client asks for
  std::function<Datagram()> make;        // the fake's reply
  int exit_status;                       // the client's
  std::vector<std::string> err_needles;  // what stderr must say
};

// Tests are named after the case; print the name, not the bytes.
void PrintTo(const ReplyCase& c, std::ostream* os) { *os << c.name; }

class IntegClientReply : public ::testing::TestWithParam<ReplyCase> {};

TEST_P(IntegClientReply, ClientReportsIt) {
  const ReplyCase& c = GetParam();
  const Datagram reply = c.make();
  std::unique_ptr<FakeServer> fake;
  ASSERT_OK_AND_ASSIGN(fake, FakeServer::start_v6({FakeStep::send(reply)}));
  const RunResult r = run_client(client_args(c.format, *fake, kNoRetransmit));
  fake->stop();
  EXPECT_TRUE(r.status.exited_with(c.exit_status)) << "reply " << hex(reply) << "\n"
                                                   << r.report << fake->report();
  for (const std::string& needle : c.err_needles) {
    EXPECT_THAT(r.err, ::testing::HasSubstr(needle)) << "stderr lacks '" << needle << "'\n"
                                                     << r.report << fake->report();
  }
  if (c.exit_status == kClientOk) {
    EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;
  } else {
    EXPECT_EQ(r.out, "") << r.report;
  }
  // One request, one reply, no retransmission once a reply came (P-1).
  EXPECT_EQ(fake->received().size(), 1u) << fake->report();
}

const RequestFault kUnknownOpcode2{RequestError::unknown_opcode, 2};

Datagram with_byte(Datagram d, std::size_t index, std::uint8_t value) {
  d.at(index) = std::byte{value};
  return d;
}

Datagram resized(Datagram d, std::size_t size) {
  d.resize(size);
  return d;
}

INSTANTIATE_TEST_SUITE_P(
    Client, IntegClientReply,
    ::testing::Values(
        // P-8: an error reply's reason is shown.
        ReplyCase{"ErrorReplyShowsReason_P8",
                  Format::integer,
                  [] { return encode_error(kUnknownOpcode2, kExampleRequestSize); },
                  kClientErrorReply,
                  {"unknown opcode 2", reason_text(kUnknownOpcode2), "[::1]:"}},
        ReplyCase{"ErrorReplyNoReason_P8",
                  Format::integer,
                  [] { return encode_error(kUnknownOpcode2, 1); },
                  kClientErrorReply,
                  {"no reason"}},
        ReplyCase{
            "ErrorReplyNotPrintable_P8",
            Format::string,
            [] { return with_byte(encode_error(kUnknownOpcode2, kExampleRequestSize), 1, 0x01); },
            kClientErrorReply,
            {"not printable"}},
        // P-11: malformed replies.
        ReplyCase{"IntegerReplyOf3Bytes_P11",
                  Format::integer,
                  [] { return resized(good_reply(Format::integer), 3); },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"IntegerReplyOf3PayloadBytes_P11",
                  Format::integer,
                  [] { return resized(good_reply(Format::integer), 4); },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"IntegerReplyOf5PayloadBytes_P11",
                  Format::integer,
                  [] { return resized(good_reply(Format::integer), 6); },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"StringReplyWithNul_P11",
                  Format::string,
                  [] { return with_byte(good_reply(Format::string), 1, 0x00); },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"StringReplyWithTrailingNul_P11",
                  Format::string,
                  [] {
                    Datagram d = good_reply(Format::string);
                    d.push_back(std::byte{0});
                    return d;
                  },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"StringReplyWithLeadingZero_P11",
                  Format::string,
                  [] { return with_byte(good_reply(Format::string), 1, '0'); },
                  kClientMalformed,
                  {"malformed", "leading"}},
        ReplyCase{"StringReplyEmpty_P11",
                  Format::string,
                  [] { return resized(good_reply(Format::string), 1); },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"StringReplyTooLarge_P11",
                  Format::string,
                  [] {
                    // "4294967295" with its last digit raised: 4294967296 does not fit.
                    Datagram d = encode_success(4294967295u, Format::string);
                    d.back() = std::byte{'6'};
                    return d;
                  },
                  kClientMalformed,
                  {"malformed"}},
        ReplyCase{"EmptyDatagram_P11",
                  Format::integer,
                  [] { return Datagram{}; },
                  kClientMalformed,
                  {"malformed"}},
        // P-10: the reply's 7 unused bits are ignored.
        ReplyCase{"IntegerReplyUnusedBitsSet_P10",
                  Format::integer,
                  [] { return with_byte(good_reply(Format::integer), 0, 0xFF); },
                  kClientOk,
                  {}},
        ReplyCase{"StringReplyUnusedBitsSet_P10",
                  Format::string,
                  [] { return with_byte(good_reply(Format::string), 0, 0xFF); },
                  kClientOk,
                  {}}),
    [](const auto& p) { return std::string(p.param.name); });

// The scripted replies really are what their names say.
TEST(IntegClientReplyCases, CasesBreakTheRulesTheyName) {
  EXPECT_EQ(reason_text(kUnknownOpcode2), "unknown opcode 2");
  EXPECT_TRUE(protocol::decode_reply(good_reply(Format::integer), Format::integer).ok());
  EXPECT_TRUE(protocol::decode_reply(good_reply(Format::string), Format::string).ok());
  EXPECT_EQ(good_reply(Format::integer).size(), 5u);
  EXPECT_EQ(good_reply(Format::string).size(), 3u);  // "25"
  EXPECT_FALSE(
      protocol::decode_reply(resized(good_reply(Format::integer), 3), Format::integer).ok());
  EXPECT_FALSE(
      protocol::decode_reply(with_byte(good_reply(Format::string), 1, '0'), Format::string).ok());
}

// ---- The request on the wire ----

// P-2, P-3, P-4, P-5: the bytes of the spec's worked examples, as the codec builds them.
TEST(IntegClientWire, SendsTheWorkedExampleBytes) {
  for (const Format format : {Format::integer, Format::string}) {
    for (const Op op : {Op::sum, Op::product}) {
      const std::uint32_t value = protocol::compute(op, kIntegers);
      std::unique_ptr<FakeServer> fake;
      ASSERT_OK_AND_ASSIGN(fake,
                           FakeServer::start_v6({FakeStep::send(encode_success(value, format))}));
      std::vector<std::string> args = concat({"-op", op == Op::sum ? "+" : "*"}, kNoRetransmit);
      if (format == Format::string) args.emplace_back("-s");
      const RunResult r =
          run_client(concat(concat(args, {"::1", fake->port_arg()}), as_args(kIntegers)));
      fake->stop();
      EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report << fake->report();
      EXPECT_EQ(r.out, result_line(value)) << r.report;
      const auto got = fake->received();
      ASSERT_EQ(got.size(), 1u) << fake->report();
      EXPECT_EQ(got[0].bytes, encode(make_request(op, format, kIntegers))) << fake->report();
      EXPECT_EQ(got[0].wire_length, kExampleRequestSize) << fake->report();
      // P-3: our client sends the unused high nibble as 0.
      EXPECT_EQ(std::to_integer<std::uint8_t>(got[0].bytes.at(0)) & wire::kRequestUnusedMask, 0)
          << fake->report();
    }
  }
}

// ---- Loss, silence, refusal ----

// P-12: the first datagram is lost; the client retransmits the same bytes and gets its result.
TEST(IntegClientRetransmit, DroppedFirstDatagramStillSucceeds) {
  std::unique_ptr<FakeServer> fake;
  ASSERT_OK_AND_ASSIGN(fake, FakeServer::start_v6({FakeStep::ignore(),
                                                   FakeStep::send(good_reply(Format::integer))}));
  const RunResult r = run_client(client_args(Format::integer, *fake, {"--timeout", "50"}));
  fake->stop();
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report << fake->report();
  EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;
  // Two tries; a third only if the answer to the second was slower than the next timeout.
  const auto got = fake->received();
  ASSERT_GE(got.size(), 2u) << fake->report();
  const Datagram request = encode(make_request(Op::sum, Format::integer, kIntegers));
  for (const Received& d : got) {
    EXPECT_EQ(d.bytes, request) << fake->report();
    // One socket per request (P-12): every try comes from the same source.
    EXPECT_EQ(d.peer, got[0].peer) << fake->report();
  }
}

// No reply at all: 1 + 2 retries, then exit 4 with a message naming the server and the tries.
TEST(IntegClientRetransmit, NoReplyAfterAllTries) {
  std::unique_ptr<FakeServer> fake;
  ASSERT_OK_AND_ASSIGN(fake, FakeServer::start_v6({}));
  const RunResult r =
      run_client(client_args(Format::integer, *fake, {"--timeout", "30", "--retries", "2"}));
  fake->stop();
  EXPECT_TRUE(r.status.exited_with(kClientNoReply)) << r.report << fake->report();
  EXPECT_EQ(r.out, "") << r.report;
  const std::string expected = "no reply from [::1]:" + fake->port_arg() + " after 3 tries";
  EXPECT_THAT(r.err, ::testing::HasSubstr(expected)) << "stderr lacks '" << expected << "'\n"
                                                     << r.report;
  const auto got = fake->received();
  ASSERT_EQ(got.size(), 3u) << fake->report();
  for (const Received& d : got) {
    EXPECT_EQ(d.bytes, encode(make_request(Op::sum, Format::integer, kIntegers))) << fake->report();
  }
}

// Nothing listens on the port: the ICMP "port unreachable" ends the call at once, exit 4.
TEST(IntegClientRefused, NothingListening) {
  auto closed = ClosedPort::open(Family::v6);
  ASSERT_TRUE(closed) << closed.error().message();
  const std::uint16_t port = closed->port();
  // A generous timeout: only a refusal, not the retransmission timer, can end this quickly.
  const RunResult r = run_client(
      {"-op", "+", "--timeout", "60000", "::1", std::to_string(port), "1", "2"}, 2 * kPatience);
  EXPECT_TRUE(r.status.exited_with(kClientNoReply)) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr("connection refused")) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr("[::1]:" + std::to_string(port))) << r.report;
}

TEST(IntegClientRefused, NothingListeningIpv4) {
  auto closed = ClosedPort::open(Family::v4);
  ASSERT_TRUE(closed) << closed.error().message();
  const std::uint16_t port = closed->port();
  const RunResult r = run_client(
      {"-op", "+", "--timeout", "60000", "127.0.0.1", std::to_string(port), "1"}, 2 * kPatience);
  EXPECT_TRUE(r.status.exited_with(kClientNoReply)) << r.report;
  EXPECT_THAT(r.err, ::testing::HasSubstr("connection refused")) << r.report;
}

}  // namespace
}  // namespace sockcalc::integration
