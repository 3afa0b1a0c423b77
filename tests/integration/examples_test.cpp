// SPDX-License-Identifier: MIT
// tests/integration/examples_test.cpp -- internal to tests/integration.
// The course's examples, the client's option spellings, wrap-around results and -v traces,
// with the real server and client programs over IPv6 loopback. Test thread only.
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

using protocol::Format;
using protocol::Op;

const std::vector<std::uint32_t> kCourseIntegers = {1, 3, 5, 7, 9};

// A real server on [::1]:0, started for each test.
class IntegCourseExamples : public ::testing::Test {
 protected:
  void SetUp() override { start({"::1", "0"}); }
  void TearDown() override { print_on_failure(server_.get()); }

  void start(const std::vector<std::string>& args) {
    ASSERT_OK_AND_ASSIGN(server_, start_server(args));
  }
  // "::1 PORT" then `rest`.
  std::vector<std::string> target(const std::vector<std::string>& rest) const {
    return concat({"::1", server_->port_arg()}, rest);
  }

  std::unique_ptr<ServerProcess> server_;
};

// P-1, P-4, P-5: the course's first example, sum as a 32-bit integer.
TEST_F(IntegCourseExamples, CourseExampleSumInteger) {
  const RunResult r = run_client(concat({"-op", "+"}, target(as_args(kCourseIntegers))));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_EQ(r.out, "Result: 25\n") << r.report;
  EXPECT_EQ(r.out, expected_output(Op::sum, kCourseIntegers));
  EXPECT_EQ(r.err, "") << r.report;
}

// P-4, P-5: the course's second example, product as a decimal string.
TEST_F(IntegCourseExamples, CourseExampleProductString) {
  const RunResult r = run_client(concat({"-op", "*", "-s"}, target(as_args(kCourseIntegers))));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_EQ(r.out, "Result: 945\n") << r.report;
  EXPECT_EQ(r.out, expected_output(Op::product, kCourseIntegers));
}

// P-9: arithmetic modulo 2^32, in both formats, up to the 64 integers a request may carry.
struct ResultCase {
  const char* name;
  Op op;
  std::vector<std::uint32_t> operands;
};

// Tests are named after the case; print the name, not the bytes.
void PrintTo(const ResultCase& c, std::ostream* os) { *os << c.name; }

// 64 integers spread over the whole range (Knuth's multiplicative hash), odd so that their
// product is not trivially 0.
std::vector<std::uint32_t> spread64() {
  std::vector<std::uint32_t> v;
  for (std::uint32_t i = 1; v.size() < wire::kMaxOperands; ++i) v.push_back((i * 2654435761u) | 1u);
  return v;
}

class IntegResults : public IntegCourseExamples,
                     public ::testing::WithParamInterface<std::tuple<ResultCase, Format>> {};

TEST_P(IntegResults, MatchesCodecCompute) {
  const auto& [c, format] = GetParam();
  std::vector<std::string> args = {"-op", c.op == Op::sum ? "+" : "*"};
  if (format == Format::string) args.emplace_back("-s");
  const RunResult r = run_client(concat(args, target(as_args(c.operands))));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_EQ(r.out, expected_output(c.op, c.operands)) << r.report;
}

INSTANTIATE_TEST_SUITE_P(
    P9, IntegResults,
    ::testing::Combine(
        ::testing::Values(ResultCase{"SumWrapsToZero", Op::sum, {4294967295u, 1}},
                          ResultCase{"ProductWrapsToZero", Op::product, {65536, 65536}},
                          ResultCase{"SumWrapsAbove", Op::sum, {4294967295u, 4294967295u, 7}},
                          ResultCase{"Max64IntegersSum", Op::sum, spread64()},
                          ResultCase{"Max64IntegersProduct", Op::product, spread64()},
                          ResultCase{"SingleMaxValue", Op::product, {4294967295u}}),
        ::testing::Values(Format::integer, Format::string)),
    [](const auto& p) {
      return std::string(std::get<0>(p.param).name) +
             (std::get<1>(p.param) == Format::string ? "String" : "Integer");
    });

// The wrap-around cases above are worth running only if they really wrap.
TEST(IntegResultCases, WrapAroundCasesComputeZero) {
  EXPECT_EQ(protocol::compute(Op::sum, std::vector<std::uint32_t>{4294967295u, 1}), 0u);
  EXPECT_EQ(protocol::compute(Op::product, std::vector<std::uint32_t>{65536, 65536}), 0u);
  EXPECT_EQ(spread64().size(), wire::kMaxOperands);
}

// Every spelling of -op and -s, checked on the wire: a fake server answers only in the format
// the request asked for, so a spelling that did not set F (P-5) gets a malformed reply.
struct Spelling {
  const char* name;
  std::vector<std::string> options;
  Op op;
  Format format;
};

// Tests are named after the case; print the name, not the bytes.
void PrintTo(const Spelling& c, std::ostream* os) { *os << c.name; }

class IntegOptionSpelling : public ::testing::TestWithParam<Spelling> {};

TEST_P(IntegOptionSpelling, SendsTheRequestItNames) {
  const Spelling& s = GetParam();
  const protocol::Request request = make_request(s.op, s.format, kCourseIntegers);
  const std::uint32_t value = protocol::compute(s.op, kCourseIntegers);
  std::unique_ptr<FakeServer> fake;
  ASSERT_OK_AND_ASSIGN(fake,
                       FakeServer::start_v6({FakeStep::send(encode_success(value, s.format))}));
  const RunResult r = run_client(concat(
      concat(s.options, {"--timeout", "3000", "::1", fake->port_arg()}), as_args(kCourseIntegers)));
  fake->stop();
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report << fake->report();
  EXPECT_EQ(r.out, result_line(value)) << r.report;
  const auto got = fake->received();
  ASSERT_EQ(got.size(), 1u) << fake->report();
  EXPECT_EQ(got[0].bytes, encode(request)) << fake->report();
}

INSTANTIATE_TEST_SUITE_P(
    Client, IntegOptionSpelling,
    ::testing::Values(Spelling{"DashOp", {"-op", "+"}, Op::sum, Format::integer},
                      Spelling{"DashDashOp", {"--op", "+"}, Op::sum, Format::integer},
                      Spelling{"DashDashOpEquals", {"--op=+"}, Op::sum, Format::integer},
                      Spelling{"DashO", {"-o", "+"}, Op::sum, Format::integer},
                      Spelling{"DashOpStar", {"-op", "*"}, Op::product, Format::integer},
                      Spelling{"DashS", {"-op", "+", "-s"}, Op::sum, Format::string},
                      Spelling{
                          "DashDashString", {"--string", "-op", "*"}, Op::product, Format::string},
                      Spelling{"DashOStarDashS", {"-o", "*", "-s"}, Op::product, Format::string}),
    [](const auto& p) { return std::string(p.param.name); });

// -v: the server logs each request and reply with the peer and the bytes in the course's hex
// style; the client logs what it sent and received.
class IntegVerbose : public IntegCourseExamples {
 protected:
  void SetUp() override { start({"-v", "::1", "0"}); }
};

TEST_F(IntegVerbose, ServerAndClientTraceTheCourseExample) {
  const protocol::Request request = make_request(Op::sum, Format::integer, kCourseIntegers);
  const Datagram sent = encode(request);
  const Datagram reply =
      encode_success(protocol::compute(Op::sum, kCourseIntegers), Format::integer);
  const std::string server_addr = server_->address().to_string();

  const RunResult r = run_client(concat({"-v", "-op", "+"}, target(as_args(kCourseIntegers))));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
  EXPECT_EQ(r.out, "Result: 25\n") << r.report;
  // The course prints bytes with printf("0x%hhx "): the request starts 0x0 0x0 0x0 0x0 0x1.
  EXPECT_THAT(hex(sent), HasSubstr("0x0 0x0 0x0 0x0 0x1 0x0 0x0 0x0 0x3"));
  EXPECT_THAT(r.err, HasSubstr("client: to " + server_addr + ", 21 bytes: " + hex(sent)))
      << r.report;
  EXPECT_THAT(r.err, HasSubstr("client: from " + server_addr + ", " + std::to_string(reply.size()) +
                               " bytes: " + hex(reply)))
      << r.report;

  // The server's lines name the client's address: the same one in both.
  Process& p = server_->process();
  const auto to_line = p.wait_for_line("server: to ", kPatience);
  ASSERT_TRUE(to_line.has_value()) << server_->report();
  const auto from_line = p.wait_for_line("server: from ", kPatience);
  ASSERT_TRUE(from_line.has_value()) << server_->report();
  const std::string peer = from_line->substr(0, from_line->find(", "));
  EXPECT_TRUE(peer.starts_with("[::1]:")) << server_->report();
  EXPECT_TRUE(from_line->starts_with(peer + ", 21 bytes: " + hex(sent))) << server_->report();
  EXPECT_TRUE(
      to_line->starts_with(peer + ", " + std::to_string(reply.size()) + " bytes: " + hex(reply)))
      << server_->report();
  EXPECT_LT(p.err().find("server: from "), p.err().find("server: to ")) << server_->report();
}

}  // namespace
}  // namespace sockcalc::integration
