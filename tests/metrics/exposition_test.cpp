// SPDX-License-Identifier: MIT
// tests/metrics/exposition_test.cpp -- internal to tests/metrics.
// The Prometheus text format writer: names, escaping, values, and misuse left out. Test thread.
#include "sockcalc/metrics/exposition.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace sockcalc::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Exposition, WritesHelpTypeAndSamplesOfEachFamily) {
  Exposition e;
  e.family("sockcalc_server_replies_total", MetricType::counter, "Replies the kernel accepted.");
  e.sample({{"worker", "0"}}, std::uint64_t{7});
  e.sample({{"worker", "1"}}, std::uint64_t{5});
  e.family("sockcalc_server_workers", MetricType::gauge, "Workers.");
  e.sample(std::uint64_t{2});
  EXPECT_EQ(e.text(),
            "# HELP sockcalc_server_replies_total Replies the kernel accepted.\n"
            "# TYPE sockcalc_server_replies_total counter\n"
            "sockcalc_server_replies_total{worker=\"0\"} 7\n"
            "sockcalc_server_replies_total{worker=\"1\"} 5\n"
            "# HELP sockcalc_server_workers Workers.\n"
            "# TYPE sockcalc_server_workers gauge\n"
            "sockcalc_server_workers 2\n");
  EXPECT_EQ(e.rejected(), 0);
}

TEST(Exposition, EscapesLabelValuesBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("caf\xc3\xa9 \t{}="), "caf\xc3\xa9 \t{}=");  // UTF-8 stays
  Exposition e;
  e.family("x", MetricType::gauge, "h");
  e.sample({{"path", "C:\\dir\n\"q\""}}, 1.0);
  EXPECT_THAT(e.text(), HasSubstr("x{path=\"C:\\\\dir\\n\\\"q\\\"\"} 1\n"));
}

TEST(Exposition, EscapesHelpBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("a \"b\" c\\d\ne"), "a \"b\" c\\\\d\\ne");
  Exposition e;
  e.family("x", MetricType::gauge, "two\nlines");
  EXPECT_THAT(e.text(), HasSubstr("# HELP x two\\nlines\n"));
}

TEST(Exposition, FormatsValuesAsPrometheusParsesThem) {
  EXPECT_EQ(format_value(0.0), "0");
  EXPECT_EQ(format_value(0.5), "0.5");
  EXPECT_EQ(format_value(-2.25), "-2.25");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(1700000000.125), "1700000000.125");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  // Whole counters are written exactly, past float64's 2^53.
  Exposition e;
  e.family("c_total", MetricType::counter, "h");
  e.sample(std::numeric_limits<std::uint64_t>::max());
  EXPECT_THAT(e.text(), HasSubstr("c_total 18446744073709551615\n"));
}

TEST(Exposition, ChecksMetricAndLabelNames) {
  for (const char* good : {"a", "_a", "a:b", "sockcalc_server_replies_total", "A9_:"}) {
    EXPECT_TRUE(valid_metric_name(good)) << good;
  }
  for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "é"}) {
    EXPECT_FALSE(valid_metric_name(bad)) << bad;
  }
  for (const char* good : {"worker", "_x", "error2"}) EXPECT_TRUE(valid_label_name(good)) << good;
  for (const char* bad : {"", "a:b", "__name__", "__x", "2x", "a-b"}) {
    EXPECT_FALSE(valid_label_name(bad)) << bad;
  }
}

TEST(Exposition, LeavesOutInvalidOrRepeatedNamesAndCountsThem) {
  Exposition e;
  e.family("bad-name", MetricType::gauge, "h");
  e.sample(1.0);  // belongs to the rejected family
  e.family("ok", MetricType::gauge, "h");
  e.sample({{"__reserved", "v"}}, 1.0);
  e.sample({{"a", "1"}, {"a", "2"}}, 1.0);
  e.sample({{"a", "1"}}, 3.0);
  e.family("ok", MetricType::counter, "again");  // a family appears once
  e.sample(4.0);
  EXPECT_EQ(e.rejected(), 6);
  EXPECT_EQ(e.text(), "# HELP ok h\n# TYPE ok gauge\nok{a=\"1\"} 3\n");
  EXPECT_THAT(e.text(), Not(HasSubstr("bad-name")));
}

TEST(Exposition, SampleBeforeAnyFamilyIsLeftOut) {
  Exposition e;
  e.sample(1.0);
  EXPECT_EQ(e.text(), "");
  EXPECT_EQ(e.rejected(), 1);
}

}  // namespace
}  // namespace sockcalc::metrics
