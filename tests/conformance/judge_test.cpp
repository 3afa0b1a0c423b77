// SPDX-License-Identifier: MIT
// tests/conformance/judge_test.cpp -- internal to tests/conformance.
// The conformance judges and tables without sockets: each rule's verdict on codec-built bytes
// (right ones pass, each mistake fails with its rule), the check lists themselves, the report
// formats. Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sockcalc/conformance/checks.hpp"
#include "sockcalc/conformance/client_checks.hpp"
#include "sockcalc/conformance/judge.hpp"
#include "sockcalc/conformance/report.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "support/datagrams.hpp"

using ::testing::HasSubstr;

namespace sockcalc::conformance {
namespace {

using protocol::Format;
using protocol::Op;
using protocol::Request;
using Bytes = std::vector<std::byte>;
using testing::encode;
using testing::encode_error;
using testing::encode_success;
using testing::make_request;

const Request kCourseSum = make_request(Op::sum, Format::integer, {1, 3, 5, 7, 9});
const Request kCourseProductString = make_request(Op::product, Format::string, {1, 3, 5, 7, 9});

// ---- Server replies ----

TEST(ConformanceJudge, P10RightSuccessRepliesPass) {
  EXPECT_TRUE(judge_success_reply(encode_success(25, Format::integer), kCourseSum, "P-2").passed());
  EXPECT_TRUE(judge_success_reply(encode_success(945, Format::string), kCourseProductString, "P-5")
                  .passed());
}

TEST(ConformanceJudge, P2LittleEndianResultFails) {
  Bytes reply = encode_success(25, Format::integer);
  std::reverse(reply.begin() + 1, reply.end());
  const Verdict v = judge_success_reply(reply, kCourseSum, "P-9");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.rule, "P-2") << v.message;
  EXPECT_THAT(v.message, HasSubstr("little-endian")) << v.message;
}

TEST(ConformanceJudge, P10NulTerminatedStringFails) {
  Bytes reply = encode_success(945, Format::string);
  reply.push_back(std::byte{0});
  const Verdict v = judge_success_reply(reply, kCourseProductString, "P-5");
  EXPECT_EQ(v.rule, "P-10");
  EXPECT_THAT(v.message, HasSubstr("NUL")) << v.message;
}

TEST(ConformanceJudge, P10LeadingZeroFails) {
  Bytes reply = encode_success(945, Format::string);
  reply.insert(reply.begin() + 1, std::byte{'0'});
  const Verdict v = judge_success_reply(reply, kCourseProductString, "P-5");
  EXPECT_EQ(v.rule, "P-10");
  EXPECT_THAT(v.message, HasSubstr("leading zero")) << v.message;
}

TEST(ConformanceJudge, P10UnusedReplyBitsOnlyWarn) {
  Bytes reply = encode_success(25, Format::integer);
  reply[0] = std::byte{0xFF};
  const Verdict v = judge_success_reply(reply, kCourseSum, "P-2");
  EXPECT_EQ(v.status, Status::warn);
  EXPECT_EQ(v.rule, "P-10");
}

TEST(ConformanceJudge, P3ErrorReplyToValidRequestBlamesTheCheckRule) {
  Request r = kCourseSum;
  r.unused = 0xF;
  const Verdict v = judge_success_reply(
      encode_error({protocol::RequestError::unknown_opcode, 120}, 21), r, "P-3");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.rule, "P-3");
  EXPECT_THAT(v.message, HasSubstr("must be ignored")) << v.message;
}

TEST(ConformanceJudge, P9SaturatedResultFails) {
  const Request r = make_request(Op::sum, Format::integer, {4294967295u, 2});
  const Verdict v = judge_success_reply(encode_success(4294967295u, Format::integer), r, "P-9");
  EXPECT_EQ(v.rule, "P-9");
  EXPECT_THAT(v.message, HasSubstr("saturated")) << v.message;
}

TEST(ConformanceJudge, P4OtherOperationFails) {
  const Verdict v = judge_success_reply(encode_success(945, Format::integer), kCourseSum, "P-2");
  EXPECT_EQ(v.rule, "P-4");
}

TEST(ConformanceJudge, P5OtherFormatFails) {
  const Verdict v =
      judge_success_reply(encode_success(945, Format::integer), kCourseProductString, "P-2");
  EXPECT_EQ(v.rule, "P-5") << v.message;
}

TEST(ConformanceJudge, P8RightErrorRepliesPass) {
  for (std::size_t length : {0u, 1u, 2u, 5u, 21u, 261u}) {
    Bytes request(length, std::byte{0x04});  // opcode 2 in every header
    const auto d = protocol::decode_request(request);
    ASSERT_FALSE(d.ok());
    const Verdict v = judge_error_reply(encode_error(*d.fault, length), request, length);
    EXPECT_TRUE(v.passed()) << length << ": " << v.message;
  }
}

TEST(ConformanceJudge, P8ErrorReplyWithSBitFails) {
  const Bytes request = Bytes(21, std::byte{0x04});
  Bytes reply = encode_error({protocol::RequestError::unknown_opcode, 2}, 21);
  reply[0] = std::byte{0x80};
  const Verdict v = judge_error_reply(reply, request, request.size());
  EXPECT_EQ(v.rule, "P-8") << v.message;
}

TEST(ConformanceJudge, P8ErrorReplyLongerThanRequestFails) {
  const Bytes request = {std::byte{0x04}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};
  const Verdict v =
      judge_error_reply(encode_error({protocol::RequestError::unknown_opcode, 2}, 64), request, 5);
  EXPECT_EQ(v.rule, "P-8");
  EXPECT_THAT(v.message, HasSubstr("longer than the 5-byte request")) << v.message;
}

TEST(ConformanceJudge, P8EmptyErrorReplyFails) {
  EXPECT_EQ(judge_error_reply({}, {}, 0).rule, "P-8");
}

TEST(ConformanceJudge, P7ResultForBadRequestFails) {
  const Verdict v =
      judge_error_reply(encode_success(7, Format::integer), Bytes(261, std::byte{0}), 261);
  EXPECT_EQ(v.rule, "P-7") << v.message;
}

TEST(ConformanceJudge, P4ResultForUndefinedOpcodeFails) {
  Bytes request = encode(kCourseSum);
  request[0] = std::byte{0x04};  // opcode 2
  const Verdict v = judge_error_reply(encode_success(25, Format::integer), request, request.size());
  EXPECT_EQ(v.rule, "P-4") << v.message;
  EXPECT_THAT(v.message, HasSubstr("opcode 2 is not defined")) << v.message;
}

TEST(ConformanceJudge, P8OtherErrorHeaderOnlyWarns) {
  const Bytes request = Bytes(21, std::byte{0x04});
  Bytes reply = encode_error({protocol::RequestError::unknown_opcode, 2}, 21);
  reply[0] = std::byte{0x7F};
  EXPECT_EQ(judge_error_reply(reply, request, 21).status, Status::warn);
}

// ---- Client requests and output ----

TEST(ConformanceJudge, RequestChecks) {
  EXPECT_TRUE(judge_request(encode(kCourseSum), kCourseSum).passed());
  EXPECT_EQ(judge_request(encode(kCourseSum), kCourseProductString).rule, "P-4");
  EXPECT_EQ(
      judge_request(encode(make_request(Op::sum, Format::string, {1, 3, 5, 7, 9})), kCourseSum)
          .rule,
      "P-5");
  Request swapped = kCourseSum;
  swapped.operands = protocol::OperandList({1u << 24, 3u << 24, 5u << 24, 7u << 24, 9u << 24});
  EXPECT_EQ(judge_request(encode(swapped), kCourseSum).rule, "P-2");
  EXPECT_EQ(judge_request(encode(make_request(Op::sum, Format::integer, {1, 3})), kCourseSum).rule,
            "P-6");
  Bytes cut = encode(kCourseSum);
  cut.resize(3);
  EXPECT_EQ(judge_request(cut, kCourseSum).rule, "P-6");
}

TEST(ConformanceJudge, P3UnusedRequestBitsOnlyWarn) {
  EXPECT_TRUE(judge_request_unused_bits(encode(kCourseSum)).passed());
  Request r = kCourseSum;
  r.unused = 3;
  EXPECT_TRUE(judge_request(encode(r), kCourseSum).passed());
  const Verdict v = judge_request_unused_bits(encode(r));
  EXPECT_EQ(v.status, Status::warn);
  EXPECT_EQ(v.rule, "P-3");
}

TEST(ConformanceJudge, ResultLine) {
  EXPECT_EQ(result_line("Result: 25\n"), "25");
  EXPECT_EQ(result_line("hello\nResult: 7 \r\n"), "7");
  EXPECT_EQ(result_line("Result:945"), "945");
  EXPECT_EQ(result_line("result: 25\n"), std::nullopt);
  EXPECT_EQ(result_line(""), std::nullopt);
}

ClientRun ended(int code, std::string out) {
  ClientRun r;
  r.started = true;
  r.exited = true;
  r.exit_code = code;
  r.out = std::move(out);
  return r;
}

TEST(ConformanceJudge, ClientOutput) {
  EXPECT_TRUE(judge_client_success(ended(0, "Result: 25\n"), 25, "P-2").passed());
  EXPECT_EQ(judge_client_success(ended(0, "Result: 419430400\n"), 25, "P-10").rule, "P-2");
  EXPECT_EQ(judge_client_success(ended(0, "Result: -1\n"), 4294967295u, "P-2").rule, "P-10");
  EXPECT_EQ(judge_client_success(ended(3, ""), 25, "P-10").status, Status::fail);
  EXPECT_EQ(judge_client_success(ended(0, ""), 25, "P-10").status, Status::fail);
  EXPECT_TRUE(judge_client_failure(ended(1, ""), "P-11", "an error reply").passed());
  EXPECT_EQ(judge_client_failure(ended(1, "Result: 5\n"), "P-11", "x").status, Status::fail);
  EXPECT_EQ(judge_client_failure(ended(0, ""), "P-11", "x").status, Status::fail);
  ClientRun killed = ended(0, "");
  killed.exited = false;
  killed.timed_out = true;
  EXPECT_EQ(judge_client_failure(killed, "P-11", "x").status, Status::fail);
  EXPECT_EQ(judge_client_success(killed, 25, "P-12").status, Status::fail);
}

// ---- The check lists are right by the codec ----

TEST(ConformanceChecks, ServerChecksAreWellFormed) {
  std::set<std::string> ids;
  const std::regex rule("P-([1-9]|1[0-4])");
  for (const ServerCheck& c : server_checks()) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate " << c.id;
    EXPECT_TRUE(std::regex_match(c.rule, rule)) << c.id << ": " << c.rule;
    if (c.kind == ServerCheckKind::success) {
      const auto d = protocol::decode_request(c.datagram);
      ASSERT_TRUE(d.ok()) << c.id;
      EXPECT_EQ(d.request, c.request) << c.id;
    } else if (c.kind == ServerCheckKind::error) {
      EXPECT_FALSE(protocol::decode_request(c.datagram).ok()) << c.id;
    }
  }
  for (const char* id :
       {"course-sum", "empty-datagram", "65-integers", "many-clients", "still-answering"}) {
    EXPECT_TRUE(ids.contains(id)) << id;
  }
  EXPECT_EQ(server_checks().front().id, "course-sum");
  EXPECT_EQ(server_checks().back().id, "still-answering");
}

TEST(ConformanceChecks, ClientChecksAreWellFormed) {
  std::set<std::string> ids;
  for (const ClientCheck& c : client_checks()) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate " << c.id;
    const auto d = protocol::decode_reply(c.reply, c.request.format);
    if (c.expect_success) {
      ASSERT_TRUE(d.ok() && d.reply.success) << c.id;
      EXPECT_EQ(d.reply.value, c.value) << c.id;
      EXPECT_EQ(c.value, protocol::compute(c.request.op, c.request.operands.values())) << c.id;
    } else if (!c.no_server) {
      EXPECT_TRUE(!d.ok() || !d.reply.success) << c.id << " must be an error or malformed";
    }
  }
}

TEST(ConformanceChecks, ClientArgvFollowsTheCourse) {
  const auto argv = client_argv({"./client", "-v"}, kCourseProductString, "::1", 10000);
  const std::vector<std::string> want = {"./client", "-v", "-op", "*", "-s", "::1",
                                         "10000",    "1",  "3",   "5", "7",  "9"};
  EXPECT_EQ(argv, want);
}

// ---- Report ----

// format_json() parsed back; a discarded value when it is not one valid JSON document.
nlohmann::json parse_report(const Report& r) {
  return nlohmann::json::parse(format_json(r), nullptr, /*allow_exceptions=*/false);
}

// A client-mode report of one check whose client is `argv` and printed `out`.
Report client_report(const std::vector<std::string>& argv, const std::string& out) {
  Report r;
  r.mode = "client";
  for (const std::string& a : argv) r.target += (r.target.empty() ? "" : " ") + a;
  CheckOutcome o;
  o.id = "course-sum";
  o.rule = "P-2";
  o.title = "t";
  ClientRun run;
  run.argv = argv;
  run.started = run.exited = true;
  run.exit_code = 0;
  run.out = out;
  o.client = run;
  r.checks = {o};
  return r;
}

TEST(ConformanceReport, JsonKeepsUtf8TextExactly) {
  // A command, its arguments and its output in UTF-8 come back exactly (each byte came back as
  // a character of its own when written \u00XX: "clÃ¯ent").
  const std::vector<std::string> argv = {"./cl\u00efent", "-op", "+", "\u2211 \"x\""};
  const std::string out = "R\xC3\xA9sultat: 25\n\xF0\x9F\x98\x80\r\n";
  const Report r = client_report(argv, out);
  const nlohmann::json j = parse_report(r);
  ASSERT_FALSE(j.is_discarded()) << format_json(r);
  EXPECT_EQ(j.at("target").get<std::string>(), r.target);
  const auto& client = j.at("checks").at(0).at("client");
  EXPECT_EQ(client.at("argv").get<std::vector<std::string>>(), argv);
  EXPECT_EQ(client.at("stdout").get<std::string>(), out);
}

TEST(ConformanceReport, JsonOfBytesThatAreNotUtf8IsValidWithReplacements) {
  // A client may print anything, and be any file name: U+FFFD stands for each bad byte.
  const std::string fffd = "\xEF\xBF\xBD";
  const Report r = client_report({"./c\xFF"}, "\x80\x1b[31m\xC3");
  nlohmann::json j;
  ASSERT_NO_THROW(j = parse_report(r));
  ASSERT_FALSE(j.is_discarded()) << format_json(r);
  EXPECT_EQ(j.at("target").get<std::string>(), "./c" + fffd);
  const auto& client = j.at("checks").at(0).at("client");
  EXPECT_EQ(client.at("argv").at(0).get<std::string>(), "./c" + fffd);
  EXPECT_EQ(client.at("stdout").get<std::string>(), fffd + "\x1b[31m" + fffd);
}

TEST(ConformanceReport, TableAndJsonShowFailures) {
  Report r;
  r.mode = "server";
  r.target = "[::1]:9";
  r.timeout_ms = 300;
  CheckOutcome ok;
  ok.id = "course-sum";
  ok.rule = "P-2";
  ok.title = "t";
  CheckOutcome bad = ok;
  bad.id = "wrap-sum";
  fail(bad, "P-9", "the result is 4294967295");
  bad.datagrams.push_back(request_record(true, encode(kCourseSum)));
  bad.datagrams.push_back(
      reply_record(false, encode_success(25, Format::integer), Format::integer));
  r.checks = {ok, bad};
  EXPECT_FALSE(r.passed());
  const std::string table = format_table(r, false);
  EXPECT_THAT(table, HasSubstr("FAIL   P-2    wrap-sum")) << table;
  EXPECT_THAT(table, HasSubstr("broke P-9: the result is 4294967295")) << table;
  EXPECT_THAT(table, HasSubstr("from server 5 bytes: 0x80 0x0 0x0 0x0 0x19 | result 25")) << table;
  const nlohmann::json j = parse_report(r);
  ASSERT_FALSE(j.is_discarded()) << format_json(r);
  EXPECT_EQ(j.at("schema"), "sockcalc-conformance/1");
  EXPECT_EQ(j.at("result"), "fail");
  const auto& wrap = j.at("checks").at(1);
  EXPECT_EQ(wrap.at("id"), "wrap-sum");
  EXPECT_EQ(wrap.at("broken_rule"), "P-9");
  EXPECT_EQ(wrap.at("datagrams").at(1).at("direction"), "received");
  EXPECT_EQ(wrap.at("datagrams").at(1).at("hex"), "0x80 0x0 0x0 0x0 0x19");
  EXPECT_EQ(wrap.at("client"), nullptr);
}

}  // namespace
}  // namespace sockcalc::conformance
