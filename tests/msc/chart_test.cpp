// SPDX-License-Identifier: MIT
// msc/chart_test.cpp -- msc::Chart, escape_label, gap_text and RoleRule: the rows a chart
// writes for requests, replies, tries, timeouts, late replies, lost datagrams and gaps; labels
// that hold quotes, backslashes and control bytes, rendered by the real mscgen.
#include "sockcalc/msc/chart.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "msc/mscgen.hpp"
#include "sockcalc/msc/label.hpp"
#include "sockcalc/msc/roles.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "support/process.hpp"

namespace sockcalc::msc {
namespace {

using msc_test::arcs_of;
using msc_test::Row;
using msc_test::rows_of;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kClient = "[::1]:5000";
const std::string kServer = "[::1]:10000";
const Clock::time_point kStart = Clock::time_point(std::chrono::seconds(1'800'000'000));

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(std::byte(v));
  return out;
}

// The course's sum 1 3 5 7 9 as an integer (F = 0), and as a string (F = 1).
const std::vector<std::byte> kSum =
    bytes_of({0x00, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 9});
const std::vector<std::byte> kSumString =
    bytes_of({0x01, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 9});
const std::vector<std::byte> kResult25 = bytes_of({0x80, 0, 0, 0, 25});
const std::vector<std::byte> kResultText25 = bytes_of({0x80, '2', '5'});

Datagram request(milliseconds at, const std::vector<std::byte>& bytes = kSum) {
  Datagram d;
  d.when = kStart + at;
  d.from = kClient;
  d.to = kServer;
  d.bytes = bytes;
  d.wire_length = bytes.size();
  d.role = Role::request;
  return d;
}

Datagram reply(milliseconds at, const std::vector<std::byte>& bytes = kResult25) {
  Datagram d = request(at, bytes);
  std::swap(d.from, d.to);
  d.role = Role::reply;
  return d;
}

const std::string kClientEntity = "client\n" + kClient;
const std::string kServerEntity = "server\n" + kServer;

TEST(MscChart, OneArcPerDatagramLabelledAsTheTraceDescribesIt) {
  Chart chart;
  chart.add(request(milliseconds(0)));
  chart.add(reply(milliseconds(0)));
  EXPECT_THAT(
      arcs_of(chart.render()),
      ElementsAre(Row{kClientEntity, "->", kServerEntity, "sum, integer, 5 integers: 1 3 5 7 9"},
                  Row{kServerEntity, "->", kClientEntity, "result 25"}));
}

TEST(MscChart, AReplyIsReadInTheFormatItsRequestAskedFor) {
  // "25" is a valid string result; read as an integer reply, 3 bytes would be malformed.
  Chart chart;
  chart.add(request(milliseconds(0), kSumString));
  chart.add(reply(milliseconds(1), kResultText25));
  const auto arcs = arcs_of(chart.render());
  ASSERT_EQ(arcs.size(), 2u);
  EXPECT_EQ(arcs[0].label, "sum, string, 5 integers: 1 3 5 7 9");
  EXPECT_EQ(arcs[1].label, "result 25");
}

TEST(MscChart, RetriesAreNumberedAndTheWaitBeforeThemIsATimeout) {
  Chart chart;
  chart.add(request(milliseconds(0)));
  chart.add(request(milliseconds(250)));
  chart.add(reply(milliseconds(251)));
  chart.mark(kStart + milliseconds(252), kClient, "Result: 25");
  const std::vector<Row> rows = rows_of(chart.render());
  ASSERT_EQ(rows.size(), 5u) << chart.render();
  EXPECT_EQ(rows[0].label, "sum, integer, 5 integers: 1 3 5 7 9");
  EXPECT_EQ(rows[1], (Row{kClientEntity, "box", kClientEntity, "timeout: no reply in 250 ms"}));
  EXPECT_EQ(rows[2].label, "sum, integer, 5 integers: 1 3 5 7 9 (try 2)");
  EXPECT_EQ(rows[3].label, "result 25");
  EXPECT_EQ(rows[4], (Row{kClientEntity, "box", kClientEntity, "Result: 25"}));
}

TEST(MscChart, ARetryAfterAReplyIsNoTimeout) {
  // The same request asked again after its answer (a second call): a try, no timeout box.
  Chart chart;
  chart.add(request(milliseconds(0)));
  chart.add(reply(milliseconds(1)));
  chart.add(request(milliseconds(300)));
  const std::vector<Row> rows = rows_of(chart.render());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].label, "sum, integer, 5 integers: 1 3 5 7 9 (try 2)");
}

TEST(MscChart, ASecondReplyToOneRequestIsLate) {
  Chart chart;
  chart.add(request(milliseconds(0)));
  chart.add(request(milliseconds(250)));
  chart.add(reply(milliseconds(260)));
  chart.add(reply(milliseconds(270)));
  const auto arcs = arcs_of(chart.render());
  ASSERT_EQ(arcs.size(), 4u);
  EXPECT_EQ(arcs[2].label, "result 25");
  EXPECT_EQ(arcs[3].label, "result 25 (late: answered already)");
}

TEST(MscChart, ALostDatagramIsALostArcWithItsNote) {
  Chart chart;
  Datagram lost = request(milliseconds(0));
  lost.fate = Fate::lost;
  lost.note = "dropped by linksim";
  chart.add(lost);
  const std::size_t second = chart.add(request(milliseconds(1)));
  chart.annotate(second, "linksim: delay 5 ms");
  const auto arcs = arcs_of(chart.render());
  ASSERT_EQ(arcs.size(), 2u);
  EXPECT_EQ(arcs[0], (Row{kClientEntity, "-x", kServerEntity,
                          "sum, integer, 5 integers: 1 3 5 7 9 (dropped by linksim)"}));
  // A lost request still was a try; its answer never came, so the next one follows a timeout.
  EXPECT_EQ(arcs[1].label, "sum, integer, 5 integers: 1 3 5 7 9 (try 2; linksim: delay 5 ms)");
}

TEST(MscChart, GapsTakeOneMoreRowPerDecadeAndSayTheirLength) {
  const auto spacers = [](milliseconds gap) {
    Chart chart;
    chart.add(request(milliseconds(0)));
    chart.add(reply(gap));
    const std::string text = chart.render();
    std::size_t n = 0;
    for (std::size_t at = text.find("|||"); at != std::string::npos;
         at = text.find("|||", at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(spacers(milliseconds(0)), 0u);
  EXPECT_EQ(spacers(milliseconds(5)), 1u);
  EXPECT_EQ(spacers(milliseconds(50)), 2u);
  EXPECT_EQ(spacers(milliseconds(500)), 3u);
  EXPECT_EQ(spacers(milliseconds(5000)), 4u);
  EXPECT_EQ(spacers(milliseconds(500000)), 4u);

  Chart chart;
  chart.add(request(milliseconds(0)));
  chart.add(reply(milliseconds(250)));
  EXPECT_THAT(chart.render(), HasSubstr("  ||| [label=\"+250 ms\"];\n"));
  EXPECT_EQ(gap_text(std::chrono::microseconds(2400)), "+2.4 ms");
  EXPECT_EQ(gap_text(std::chrono::microseconds(1'250'000)), "+1.25 s");
}

TEST(MscChart, ClientsStandLeftOfTheServerWhoeverAppearsFirst) {
  // A server's own chart: its first row is a reply to a client whose request it did not see.
  Chart chart;
  chart.add(reply(milliseconds(0)));
  chart.add(request(milliseconds(1)));
  const std::string text = chart.render();
  EXPECT_THAT(text, HasSubstr("e0 [label=\"client\\n[::1]:5000\"]"));
  EXPECT_THAT(text, HasSubstr("e1 [label=\"server\\n[::1]:10000\"]"));
}

TEST(MscChart, DrawsAtMostItsLimitAndCountsTheRest) {
  Chart chart(3);
  for (int i = 0; i < 5; ++i) chart.add(request(milliseconds(i)));
  EXPECT_EQ(chart.arcs(), 3u);
  EXPECT_EQ(chart.not_drawn(), 2u);
  EXPECT_EQ(arcs_of(chart.render()).size(), 3u);
  EXPECT_THAT(chart.render(),
              HasSubstr("--- [label=\"2 more datagrams not drawn (at most 3 arcs)\"];"));
}

TEST(MscLabel, EscapesWhatMscgenWouldReadAndEveryControlByte) {
  EXPECT_EQ(escape_label("result 25"), "result 25");
  EXPECT_EQ(escape_label("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escape_label("a\\nb"), "a\\x5cnb");
  EXPECT_EQ(escape_label("line\nbreak"), "line\\x0abreak");
  EXPECT_EQ(escape_label("\x1b[31m"), "\\x1b[31m");
  EXPECT_EQ(escape_label("\xff"), "\\xff");
  EXPECT_EQ(escape_label("ends in \\"), "ends in \\x5c");
}

TEST(MscLabel, MscgenDrawsAHostileNameAsOneLineOfItsEscapedText) {
  const auto mscgen = msc_test::find_mscgen();
  if (!mscgen) GTEST_SKIP() << "mscgen is not installed (Debian: mscgen; make check installs it)";
  auto dir = testing::TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  // A Unix name a client chose: a quote, a backslash before n, a newline, an escape sequence,
  // and a trailing backslash that would otherwise swallow the closing quote.
  const std::string hostile = "unix:@x\"\\n\n\x1b[31m\\";
  Chart chart;
  Datagram d = request(milliseconds(0));
  d.from = hostile;
  chart.add(d);
  const msc_test::Rendering r =
      msc_test::render_svg(*mscgen, dir->path(), "hostile", chart.render());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_THAT(r.texts, ::testing::Contains("unix:@x\"\\x5cn\\x0a\\x1b[31m\\x5c"));
  EXPECT_THAT(r.texts, ::testing::Contains("sum, integer, 5 integers: 1 3 5 7 9"));
  for (const std::string& t : r.texts) EXPECT_THAT(t, Not(HasSubstr("\x1b")));
}

TEST(MscLabel, AChartOfNothingStillRenders) {
  // A server stopped before any request: its file must still be a chart mscgen draws.
  const auto mscgen = msc_test::find_mscgen();
  if (!mscgen) GTEST_SKIP() << "mscgen is not installed (Debian: mscgen; make check installs it)";
  auto dir = testing::TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const msc_test::Rendering r =
      msc_test::render_svg(*mscgen, dir->path(), "empty", Chart().render());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_THAT(r.texts, ElementsAre("no calc datagram"));
}

TEST(MscRoleRule, APortOfAServerDecidesElseTheFirstDatagramOfAPair) {
  RoleRule rule({10000});
  EXPECT_EQ(rule.decide({"[::1]:5000", 5000}, {"[::1]:10000", 10000}), Role::request);
  EXPECT_EQ(rule.decide({"[::1]:10000", 10000}, {"[::1]:5000", 5000}), Role::reply);
  // Neither end on a server port: the first datagram between two ends is the request.
  EXPECT_EQ(rule.decide({"[::1]:7000", 7000}, {"[::1]:7001", 7001}), Role::request);
  EXPECT_EQ(rule.decide({"[::1]:7001", 7001}, {"[::1]:7000", 7000}), Role::reply);
  EXPECT_EQ(rule.decide({"[::1]:7000", 7000}, {"[::1]:7001", 7001}), Role::request);
  // Unix ends have no port.
  EXPECT_EQ(rule.decide({"unix:@c", 0}, {"unix:/s", 0}), Role::request);
  EXPECT_EQ(rule.decide({"unix:/s", 0}, {"unix:@c", 0}), Role::reply);
}

}  // namespace
}  // namespace sockcalc::msc
