// SPDX-License-Identifier: MIT
// capture/calc_dissector_test.cpp -- tests/capture: tools/wireshark/calc.lua run by tshark.
// Writes captures of every kind of calc message, good and bad (dissector_cases), over IPv6, IPv4
// and Unix sockets, and compares tshark's fields and expert infos with what the codec says
// (P-3..P-11). Single-threaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capture/dissector_cases.hpp"
#include "capture/tshark.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"

namespace {

using namespace sockcalc::dissector_cases;  // NOLINT(google-build-using-namespace): the cases
using sockcalc::capture_test::lines_of;
using sockcalc::capture_test::run_tshark;
using sockcalc::capture_test::ScratchDir;
using sockcalc::capture_test::ToolRun;

// The capture holds a message for every rule the codec can find broken, so that the dissector
// is compared with the codec on each of them.
TEST(CalcCapture, CoversEveryRuleOfTheCodec) {
  std::set<protocol::RequestError> request_errors;
  std::set<protocol::ReplyError> reply_errors;
  bool error_reply = false, success_integer = false, success_string = false;
  for (const Exchange& x : every_kind_of_message()) {
    if (x.request) {
      const auto d = protocol::decode_request(*x.request);
      if (d.fault) request_errors.insert(d.fault->error);
    }
    if (!x.reply || !x.request || x.request->empty()) continue;
    const auto format = static_cast<Format>(byte0(*x.request) & wire::kFormatMask);
    const auto r = protocol::decode_reply(*x.reply, format);
    if (r.error) reply_errors.insert(*r.error);
    if (r.ok() && !r.reply.success) error_reply = true;
    if (r.ok() && r.reply.success)
      (format == Format::integer ? success_integer : success_string) = true;
  }
  EXPECT_EQ(request_errors.size(), 5u);  // empty .. too_many_operands
  EXPECT_EQ(reply_errors.size(), 7u);    // empty .. out_of_range
  EXPECT_TRUE(error_reply && success_integer && success_string);
}

class CalcDissector : public ::testing::Test {
 protected:
  void SetUp() override {
    tshark_ = sockcalc::capture_test::find_tshark();
    if (!tshark_) GTEST_SKIP() << "tshark is not installed (make check installs it)";
    ASSERT_FALSE(dir_.path().empty());
  }

  ToolRun tshark_fields(const std::string& capture, std::vector<std::string> extra) {
    std::vector<std::string> args{
        "-X", std::string("lua_script:") + CALC_LUA_PATH, "-T", "fields", "-E", "separator=|"};
    for (const char* field : kFields) {
      args.push_back("-e");
      args.push_back(field);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tshark(*tshark_, dir_.path(), capture, args);
  }

  // Runs tshark and compares every line with `expected`, naming the frame on a mismatch.
  void expect_rows(const std::string& capture, const Capture& expected,
                   std::vector<std::string> extra = {}) {
    const ToolRun run = tshark_fields(capture, std::move(extra));
    ASSERT_TRUE(run.started) << run.error;
    ASSERT_FALSE(run.timed_out);
    EXPECT_EQ(run.exit_status, 0);
    EXPECT_EQ(run.err, "") << "tshark wrote on stderr";
    const auto got = lines_of(run.out);
    EXPECT_EQ(got.size(), expected.rows.size()) << run.out;
    for (std::size_t i = 0; i < std::min(got.size(), expected.rows.size()); ++i) {
      EXPECT_EQ(got[i], expected.rows[i]) << "frame " << i + 1 << ": " << expected.labels[i];
    }
  }

  std::optional<std::string> tshark_;
  ScratchDir dir_;
};

TEST_F(CalcDissector, EveryKindOfMessageOverIpv6AndIpv4) {
  const auto exchanges = every_kind_of_message();
  const std::string path = dir_.file("calc.pcap");
  auto w = PcapWriter::open(path);
  ASSERT_TRUE(w.ok()) << w.error().message();
  const Address server6 = addr("[::1]:" + std::to_string(wire::kCoursePort));
  Capture all = write_exchanges(
      *w, exchanges, [](std::size_t i) { return addr("[::1]:" + std::to_string(40000 + i)); },
      server6);
  // A dual-stack server on `::`: IPv4 clients appear as ::ffff:127.0.0.1 (odd ones) or as
  // AF_INET addresses (even ones); both are written as IPv4.
  const Address server_any = addr("[::]:" + std::to_string(wire::kCoursePort));
  Capture v4 = write_exchanges(
      *w, exchanges,
      [](std::size_t i) {
        return addr((i % 2 ? "[::ffff:127.0.0.1]:" : "127.0.0.1:") + std::to_string(41000 + i));
      },
      server_any);
  ASSERT_TRUE(w->close().ok());
  // Renumber the IPv4 half after the IPv6 half (frame numbers and request_in).
  const std::size_t offset = all.rows.size();
  for (std::size_t i = 0; i < v4.rows.size(); ++i) {
    std::vector<std::string> cols = split(v4.rows[i], '|');
    cols[0] = std::to_string(std::stoul(cols[0]) + offset);
    if (!cols[7].empty()) cols[7] = std::to_string(std::stoul(cols[7]) + offset);
    all.rows.push_back(join(cols, "|"));
    all.labels.push_back(v4.labels[i] + " over IPv4");
  }
  expect_rows(path, all);
}

TEST_F(CalcDissector, ExpertInfosHaveTheirSeverities) {
  // In capture order: an unused-bits request (chat) and its good reply, a malformed request
  // (error) and its error reply (note), a good request and its malformed reply (error).
  const std::string path = dir_.file("experts.pcap");
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w.ok());
    const auto kinds = every_kind_of_message();
    std::vector<Exchange> some;
    for (const Exchange& x : kinds) {
      if (x.label == "opcode 2" || x.label == "unused bits set" || x.label == "leading zero") {
        some.push_back(x);
      }
    }
    ASSERT_EQ(some.size(), 3u);
    write_exchanges(
        *w, some, [](std::size_t i) { return addr("[::1]:" + std::to_string(40000 + i)); },
        addr("[::1]:10000"));
  }
  const ToolRun run = run_tshark(
      *tshark_, dir_.path(), path,
      {"-X", std::string("lua_script:") + CALC_LUA_PATH, "-T", "fields", "-E", "separator=|", "-e",
       "frame.number", "-e", "_ws.expert.severity", "-e", "_ws.expert.group"});
  ASSERT_TRUE(run.started) << run.error;
  EXPECT_EQ(run.err, "");
  // Wireshark's codes: severity chat 0x00200000, note 0x00400000, error 0x00800000; groups
  // malformed 0x07000000, protocol 0x09000000, response code 0x03000000.
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{
                                   "1|2097152|150994944",
                                   "2||",
                                   "3|8388608|117440512",
                                   "4|4194304|50331648",
                                   "5||",
                                   "6|8388608|117440512",
                               }))
      << run.out;
}

TEST_F(CalcDissector, UnixCapturesDecodeTheSameWithOrWithoutTheServerPreference) {
  std::vector<Exchange> exchanges;
  for (const Exchange& x : every_kind_of_message()) {
    // The first datagram between two Unix addresses is taken for a request: a reply with no
    // request before it cannot be told apart without the preference (tested over UDP).
    if (x.request) exchanges.push_back(x);
  }
  const std::string path = dir_.file("unix.pcap");
  auto w = PcapWriter::open(path, Link::unix_domain);
  ASSERT_TRUE(w.ok()) << w.error().message();
  const Capture expected = write_exchanges(
      *w, exchanges, [](std::size_t i) { return addr("unix:@calc-client-" + std::to_string(i)); },
      addr("unix:/run/calc.sock"));
  ASSERT_TRUE(w->close().ok());
  expect_rows(path, expected);
  expect_rows(path, expected, {"-o", "calc.unix_server:unix:/run/calc.sock"});
}

TEST_F(CalcDissector, PortPreferenceAndDecodeAs) {
  const std::string path = dir_.file("port.pcap");
  const Datagram request = encode(Op::sum, Format::integer, {1, 3, 5, 7, 9});
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w.ok());
    write_exchanges(
        *w, {{"course example", request, answer(request)}},
        [](std::size_t) { return addr("127.0.0.1:45000"); }, addr("127.0.0.1:20000"));
  }
  const std::string request_line = "1|" + request_row(request);
  const std::string reply_line = "2|" + reply_row(answer(request), Format::integer, 1);
  auto run = tshark_fields(path, {});
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{"1||||||||||||||", "2||||||||||||||"}))
      << "port 20000 is not a calc port by default";
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{"-o", "calc.ports:20000"},
                                             {"-o", "calc.ports:10000,19990-20010"},
                                             {"-d", "udp.port==20000,calc"}}) {
    run = tshark_fields(path, extra);
    EXPECT_EQ(run.err, "");
    EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{request_line, reply_line})) << extra[1];
  }
  // Decode As with the client port: the first datagram seen is still the request.
  run = tshark_fields(path, {"-d", "udp.port==45000,calc"});
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(lines_of(run.out), (std::vector<std::string>{request_line, reply_line}));
}

TEST_F(CalcDissector, DisplayFiltersOnTheFields) {
  const std::string path = dir_.file("filters.pcap");
  {
    auto w = PcapWriter::open(path);
    ASSERT_TRUE(w.ok());
    write_exchanges(
        *w, every_kind_of_message(),
        [](std::size_t i) { return addr("[::1]:" + std::to_string(40000 + i)); },
        addr("[::1]:10000"));
  }
  auto frames_matching = [&](const std::string& filter) {
    const ToolRun run = run_tshark(*tshark_, dir_.path(), path,
                                   {"-X", std::string("lua_script:") + CALC_LUA_PATH, "-Y", filter,
                                    "-T", "fields", "-e", "frame.number"});
    EXPECT_EQ(run.err, "") << filter;
    EXPECT_EQ(run.exit_status, 0) << filter;
    return lines_of(run.out).size();
  };
  const auto kinds = every_kind_of_message();
  std::size_t requests = 0, replies = 0, products = 0, errors = 0, reasons = 0, results_945 = 0;
  for (const Exchange& x : kinds) {
    if (x.reply && reply_value(x) == 945u) ++results_945;
    requests += x.request ? 1 : 0;
    replies += x.reply ? 1 : 0;
    if (x.request && !x.request->empty() &&
        ((byte0(*x.request) & wire::kOpcodeMask) >> wire::kOpcodeShift) == wire::kOpcodeProduct) {
      ++products;
    }
    if (x.reply && !x.reply->empty() && !(byte0(*x.reply) & wire::kStatusMask)) {
      ++errors;
      reasons += x.reply->size() > wire::kHeaderSize ? 1 : 0;
    }
  }
  EXPECT_EQ(frames_matching("calc"), requests + replies);
  EXPECT_EQ(frames_matching("calc.type == \"request\""), requests);
  EXPECT_EQ(frames_matching("calc.type == 1"), replies);
  EXPECT_EQ(frames_matching("calc.opcode == 1"), products);
  EXPECT_EQ(frames_matching("calc.opcode == \"product\""), products);
  EXPECT_EQ(frames_matching("calc.status == 0"), errors);
  EXPECT_EQ(frames_matching("calc.reason"), errors);
  EXPECT_EQ(frames_matching("calc.reason != \"\""), reasons);
  EXPECT_EQ(frames_matching("calc.result == 945"), results_945);
  EXPECT_GE(results_945, 2u);  // course example 2 and the orphan string reply
  EXPECT_GT(frames_matching("calc.unknown_opcode"), 0u);
}

}  // namespace
