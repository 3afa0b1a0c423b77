// SPDX-License-Identifier: MIT
// tests/loadgen/loadgen_unit_test.cpp -- the load generator's parts without sockets: the
// histogram against a sorted reference, /proc stat parsing, the sockperf header, the request
// pool and reply verdicts (P-8, P-9, P-10, P-11), the report's JSON.
// Single-threaded.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sockcalc/loadgen/cpu_usage.hpp"
#include "sockcalc/loadgen/histogram.hpp"
#include "sockcalc/loadgen/report.hpp"
#include "sockcalc/loadgen/sockperf_wire.hpp"
#include "sockcalc/loadgen/workload.hpp"
#include "sockcalc/protocol/codec.hpp"

using ::testing::HasSubstr;

namespace sockcalc::loadgen {
namespace {

using H = LatencyHistogram;

// ---- Histogram ----

TEST(LoadgenHistogram, BucketsTileTheWholeRangeWithoutGapOrOverlap) {
  EXPECT_EQ(H::bucket_of(0), 0u);
  for (std::size_t i = 0; i + 1 < H::kBucketCount; ++i) {
    const auto lo = H::bucket_lower(i);
    const auto w = H::bucket_width(i);
    ASSERT_EQ(H::bucket_of(lo), i) << "lower bound of bucket " << i;
    ASSERT_EQ(H::bucket_of(lo + w - 1), i) << "upper bound of bucket " << i;
    ASSERT_EQ(H::bucket_lower(i + 1), lo + w) << "bucket " << i + 1 << " does not follow " << i;
    // The precision promise: no bucket is wider than 1/kSubBuckets of its lower bound.
    if (lo >= H::kSubBuckets) {
      ASSERT_LE(w * H::kSubBuckets, lo) << "bucket " << i;
    }
  }
  EXPECT_EQ(H::bucket_of(UINT64_MAX), H::kBucketCount - 1);
  EXPECT_EQ(H::bucket_lower(H::kBucketCount - 1) + (H::bucket_width(H::kBucketCount - 1) - 1),
            UINT64_MAX);
}

TEST(LoadgenHistogram, EmptyReportsZero) {
  H h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LoadgenHistogram, SmallValuesAreExact) {
  H h;
  for (std::uint64_t v = 1; v <= 500; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 250u);
  EXPECT_EQ(h.percentile(0.9), 450u);
  EXPECT_EQ(h.percentile(0.0), 1u);
  EXPECT_EQ(h.percentile(1.0), 500u);
  EXPECT_DOUBLE_EQ(h.mean(), 250.5);
}

// Percentiles of random data against the nearest-rank value of the sorted data: within the
// promised relative error, on three shapes of latency data.
void expect_percentiles_match(std::vector<std::uint64_t> values, const char* shape) {
  H h;
  for (auto v : values) h.record(v);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front()) << shape;
  EXPECT_EQ(h.max(), values.back()) << shape;
  long double sum = 0;
  for (auto v : values) sum += static_cast<long double>(v);
  EXPECT_NEAR(h.mean(), static_cast<double>(sum / values.size()), 1e-6 * h.mean()) << shape;
  for (double q : {0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    rank = std::clamp<std::size_t>(rank, 1, values.size());
    const auto want = static_cast<double>(values[rank - 1]);
    const auto got = static_cast<double>(h.percentile(q));
    EXPECT_LE(std::abs(got - want), want * H::kMaxRelativeError)
        << shape << ": q=" << q << " want " << want << " got " << got;
  }
}

TEST(LoadgenHistogram, PercentilesWithinBoundedRelativeErrorOfSortedReference) {
  std::mt19937_64 rng(20240601);
  constexpr std::size_t kN = 200'000;
  std::vector<std::uint64_t> uniform(kN);
  std::uniform_int_distribution<std::uint64_t> u(20'000, 400'000);  // 20..400 us
  for (auto& v : uniform) v = u(rng);
  expect_percentiles_match(uniform, "uniform");

  std::vector<std::uint64_t> log_uniform(kN);  // 1 ns .. 10 s
  std::uniform_real_distribution<double> e(0.0, 10.0);
  for (auto& v : log_uniform) v = static_cast<std::uint64_t>(std::pow(10.0, e(rng)));
  expect_percentiles_match(log_uniform, "log-uniform");

  std::vector<std::uint64_t> tail(kN);  // mostly ~50 us, 1 % of 200 ms timeouts
  std::lognormal_distribution<double> ln(std::log(50'000.0), 0.3);
  for (auto& v : tail)
    v = rng() % 100 == 0 ? 200'000'000 + rng() % 1'000'000 : static_cast<std::uint64_t>(ln(rng));
  expect_percentiles_match(tail, "long tail");
}

TEST(LoadgenHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  H a;
  H b;
  H all;
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 60);
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  H merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(merged.percentile(q), all.percentile(q));
  merged.reset();
  EXPECT_EQ(merged.count(), 0u);
  EXPECT_EQ(merged.percentile(0.5), 0u);
}

TEST(LoadgenHistogram, ExtremeValuesDoNotOverflow) {
  H h;
  h.record(0);
  h.record(UINT64_MAX);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.percentile(1.0), UINT64_MAX);
  EXPECT_EQ(h.min(), 0u);
}

// ---- CPU accounting ----

TEST(LoadgenCpu, ParsesProcStatAfterTheLastParenthesis) {
  // A command name may hold spaces and ")": fields are counted after the last ")".
  const std::string line =
      "4242 (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 12345 "
      "1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto t = parse_proc_stat(line, 100);
  ASSERT_TRUE(t.has_value());
  EXPECT_DOUBLE_EQ(t->user, 2.50);
  EXPECT_DOUBLE_EQ(t->system, 0.75);
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2 3", 100).has_value());
  EXPECT_FALSE(parse_proc_stat("no parenthesis at all", 100).has_value());
  EXPECT_FALSE(parse_proc_stat(line, 0).has_value());
  const std::string bad = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 2x5 75 0";
  EXPECT_FALSE(parse_proc_stat(bad, 100).has_value());
}

TEST(LoadgenCpu, ReadsThisProcessAndRejectsAMissingOne) {
  const CpuTimes before_self = self_cpu_times();
  auto before = process_cpu_times(getpid());
  ASSERT_TRUE(before.ok()) << before.error().message();
  // Burn CPU until both clocks have moved: /proc counts in ticks (10 ms), so up to ~3 ticks.
  volatile std::uint64_t sink = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  CpuTimes after{};
  while (std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1'000'000; ++i) sink = sink + static_cast<std::uint64_t>(i);
    auto now = process_cpu_times(getpid());
    ASSERT_TRUE(now.ok());
    after = *now;
    if (after.total() >= before->total() + 0.03) break;
  }
  EXPECT_GE(after.total(), before->total() + 0.03);
  EXPECT_GT(self_cpu_times().total(), before_self.total());
  // pid_max on Linux is at most 4194304, so this pid cannot exist.
  auto missing = process_cpu_times(4'194'305);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("/proc/4194305/stat"));
}

// ---- sockperf header ----

TEST(LoadgenSockperf, HeaderIsBigEndianSequenceFlagsLength) {
  std::array<std::byte, sockperf::kHeaderSize> buf{};
  const sockperf::Header h{0x0102030405060708ULL, 0x0a0b, 0x11223344};
  ASSERT_EQ(sockperf::encode(h, buf), sockperf::kHeaderSize);
  const std::array<std::uint8_t, 14> want = {1, 2,    3,    4,    5,    6,    7,
                                             8, 0x0a, 0x0b, 0x11, 0x22, 0x33, 0x44};
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(std::to_integer<int>(buf[i]), want[i]) << i;
  EXPECT_EQ(sockperf::decode(buf), h);
  EXPECT_FALSE(sockperf::decode(protocol::Bytes(buf).first(13)).has_value());
  std::array<std::byte, 13> small{};
  EXPECT_EQ(sockperf::encode(h, small), 0u);
  const auto req = sockperf::request_header(9);
  EXPECT_EQ(req.flags, sockperf::kFlagClient | sockperf::kFlagPong);
  EXPECT_EQ(req.length, sockperf::kHeaderSize);
}

TEST(LoadgenSockperf, ReplyMustEchoSequenceWithOnlyPong) {
  std::array<std::byte, 32> buf{};
  auto reply = [&](sockperf::Header h, std::size_t size) {
    sockperf::encode(h, buf);
    return protocol::Bytes(buf.data(), size);
  };
  const std::uint64_t seq = 77;
  EXPECT_EQ(sockperf::check_reply(reply({seq, sockperf::kFlagPong, 14}, 14), false, seq),
            Verdict::ok);
  EXPECT_EQ(sockperf::check_reply(reply({seq + 1, sockperf::kFlagPong, 14}, 14), false, seq),
            Verdict::wrong);
  // The server must clear CLIENT: our own request echoed back is not an answer.
  EXPECT_EQ(sockperf::check_reply(reply(sockperf::request_header(seq), 14), false, seq),
            Verdict::wrong);
  EXPECT_EQ(sockperf::check_reply(reply({seq, sockperf::kFlagPong, 14}, 13), false, seq),
            Verdict::malformed);
  EXPECT_EQ(sockperf::check_reply(reply({seq, sockperf::kFlagPong, 14}, 15), false, seq),
            Verdict::malformed);
  EXPECT_EQ(sockperf::check_reply(reply({seq, sockperf::kFlagPong, 16}, 14), false, seq),
            Verdict::malformed);
  EXPECT_EQ(sockperf::check_reply(reply({seq, sockperf::kFlagPong, 14}, 14), true, seq),
            Verdict::malformed);
}

// ---- Workload and calc verdicts ----

TEST(LoadgenWorkload, PoolDecodesToItsOwnExpectedResults) {
  Workload w;
  w.min_count = 1;
  w.max_count = 64;
  w.seed = 5;
  w.pool_size = 2000;
  const auto pool = build_pool(w);
  ASSERT_EQ(pool.size(), 2000u);
  std::set<std::size_t> counts;
  int sums = 0;
  int strings = 0;
  for (const auto& p : pool) {
    const auto d = protocol::decode_request(p.datagram());
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.request.op, p.op);
    EXPECT_EQ(d.request.format, p.format);
    EXPECT_EQ(d.request.unused, 0);  // P-3: sent as 0
    EXPECT_EQ(d.request.operands.size(), p.operand_count);
    EXPECT_EQ(protocol::compute(d.request.op, d.request.operands.values()), p.expected);
    counts.insert(p.operand_count);
    sums += p.op == protocol::Op::sum;
    strings += p.format == protocol::Format::string;
  }
  EXPECT_EQ(*counts.begin(), 1u);
  EXPECT_EQ(*counts.rbegin(), 64u);
  EXPECT_GT(sums, 800);  // mix: about half and half
  EXPECT_LT(sums, 1200);
  EXPECT_GT(strings, 800);
  EXPECT_LT(strings, 1200);
  // Same seed, same pool; another seed, another pool.
  const auto again = build_pool(w);
  EXPECT_TRUE(std::equal(pool.begin(), pool.end(), again.begin(), [](const auto& a, const auto& b) {
    return a.size == b.size && a.bytes == b.bytes;
  }));
  w.seed = 6;
  EXPECT_NE(build_pool(w)[0].bytes, pool[0].bytes);
}

TEST(LoadgenWorkload, FixedMixesAndProductsThatRarelyWrapToZero) {
  Workload w;
  w.op = OpMix::product;
  w.format = FormatMix::string;
  w.min_count = w.max_count = 64;
  w.pool_size = 1000;
  int zeros = 0;
  for (const auto& p : build_pool(w)) {
    EXPECT_EQ(p.op, protocol::Op::product);
    EXPECT_EQ(p.format, protocol::Format::string);
    EXPECT_EQ(p.operand_count, 64);
    zeros += p.expected == 0;
  }
  // A server that always answers 0 must not pass: few products of 64 operands are 0 (P-9).
  EXPECT_LT(zeros, 100);
}

TEST(LoadgenWorkload, VerdictsForEveryKindOfReply) {
  Workload w;
  w.pool_size = 64;
  for (const auto& p : build_pool(w)) {
    std::array<std::byte, wire::kRecvBufferSize> buf{};
    auto n = protocol::encode_success_reply(p.expected, p.format, buf);
    EXPECT_EQ(check_calc_reply({buf.data(), n}, false, p, nullptr), Verdict::ok);
    EXPECT_EQ(check_calc_reply({buf.data(), n}, true, p, nullptr), Verdict::malformed);
    n = protocol::encode_success_reply(p.expected + 1, p.format, buf);
    std::uint32_t got = 0;
    EXPECT_EQ(check_calc_reply({buf.data(), n}, false, p, &got), Verdict::wrong);  // P-9
    EXPECT_EQ(got, p.expected + 1);
    // The other format's reply breaks P-10 for this request (a 4-byte integer is not 1..10
    // digits, except by chance, and digits are not exactly 4 bytes except by chance).
    const auto other = p.format == protocol::Format::integer ? protocol::Format::string
                                                             : protocol::Format::integer;
    n = protocol::encode_success_reply(p.expected, other, buf);
    const auto v = check_calc_reply({buf.data(), n}, false, p, nullptr);
    EXPECT_NE(v, Verdict::ok);
    // An error reply no longer than the request (P-8) is an error reply...
    const protocol::RequestFault fault{protocol::RequestError::unknown_opcode, 2};
    n = protocol::encode_error_reply(fault, p.size, buf);
    EXPECT_EQ(check_calc_reply({buf.data(), n}, false, p, nullptr), Verdict::error_reply);
    // ... one longer than the request breaks P-8.
    n = protocol::encode_error_reply(fault, wire::kMaxRequestSize, buf);
    if (n > p.size) {
      EXPECT_EQ(check_calc_reply({buf.data(), n}, false, p, nullptr), Verdict::malformed);
    }
    EXPECT_EQ(check_calc_reply({}, false, p, nullptr), Verdict::malformed);  // P-11: empty
  }
}

TEST(LoadgenWorkload, MismatchDescriptionNamesExpectedAndGot) {
  Workload w;
  w.op = OpMix::sum;
  w.format = FormatMix::integer;
  w.pool_size = 1;
  const auto p = build_pool(w).front();
  std::array<std::byte, 16> buf{};
  const auto n = protocol::encode_success_reply(p.expected + 1, p.format, buf);
  const auto line = describe_calc_mismatch(p, {buf.data(), n}, Verdict::wrong);
  EXPECT_THAT(line, HasSubstr("expected " + std::to_string(p.expected))) << line;
  EXPECT_THAT(line, HasSubstr("got " + std::to_string(p.expected + 1))) << line;
}

// ---- Report ----

// format_json() parsed back; a discarded value when it is not one valid JSON document.
nlohmann::json parse_report(const Config& c, const Report& r, const PassCriteria& criteria) {
  return nlohmann::json::parse(format_json(c, r, criteria), nullptr, /*allow_exceptions=*/false);
}

TEST(LoadgenReport, JsonKeepsUtf8TextAndSurvivesBytesThatAreNot) {
  Config c;
  Report r;
  r.measured.ok = 1;
  // UTF-8 comes back exactly (it came back as "rÃ©sultats" when each byte was a \u00XX).
  r.first_failure = "r\xC3\xA9sultats \"cut\"\n\xF0\x9F\x98\x80";
  nlohmann::json j = parse_report(c, r, {});
  ASSERT_FALSE(j.is_discarded()) << format_json(c, r, {});
  EXPECT_EQ(j.at("first_failure").get<std::string>(), r.first_failure);
  // A byte that is not UTF-8 becomes U+FFFD (core/json_text.hpp), the rest stays.
  r.first_failure = "a\xFF\xC3(b";
  ASSERT_NO_THROW(j = parse_report(c, r, {}));
  ASSERT_FALSE(j.is_discarded()) << format_json(c, r, {});
  EXPECT_EQ(j.at("first_failure").get<std::string>(), "a\xEF\xBF\xBD\xEF\xBF\xBD(b");
}

TEST(LoadgenReport, JsonHasTheDocumentedKeysInOrder) {
  Config c;
  c.server_pid = 1;
  Report r;
  r.server_cpu = CpuTimes{};
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(format_json(c, r, {}));
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  // docs/LOADGEN.md lists them in this order.
  const std::vector<std::string> want = {
      "target",     "protocol",      "mode",       "concurrency",
      "rate",       "duration_s",    "warmup_s",   "timeout_ms",
      "op",         "format",        "count_min",  "count_max",
      "seed",       "pool_size",     "measured_s", "requests_per_second",
      "measured",   "warmup",        "latency_us", "loadgen_cpu",
      "server_cpu", "first_failure", "pass",       "failures"};
  EXPECT_EQ(keys, want);
  for (const char* phase : {"measured", "warmup"}) {
    EXPECT_EQ(j.at(phase).size(), 16u) << phase;
  }
  EXPECT_EQ(j.at("latency_us").size(), 9u);
  EXPECT_EQ(j.at("loadgen_cpu").size(), 3u);
  EXPECT_EQ(j.at("server_cpu").size(), 6u);
  EXPECT_EQ(j.at("server_cpu").at("pid"), 1);
}

TEST(LoadgenReport, FailuresAndJsonAgree) {
  Config c;
  Report r;
  r.measured_s = 2;
  r.measured.sent = r.measured.ok = 10;
  r.latency.record(1000);
  PassCriteria none;
  EXPECT_TRUE(failures(r, none).empty());
  r.warmup.wrong = 1;  // a wrong answer in the warm-up is not hidden
  EXPECT_EQ(failures(r, none).size(), 1u);
  r.warmup.wrong = 0;
  r.measured.timeouts = 3;
  EXPECT_TRUE(failures(r, none).empty());  // timeouts alone pass...
  PassCriteria strict;
  strict.max_timeouts = 2;
  EXPECT_EQ(failures(r, strict).size(), 1u);  // ... unless limited
  const nlohmann::json j = parse_report(c, r, strict);
  ASSERT_FALSE(j.is_discarded()) << format_json(c, r, strict);
  EXPECT_FALSE(j.at("pass").get<bool>());
  EXPECT_EQ(j.at("failures").size(), 1u);
  EXPECT_DOUBLE_EQ(j.at("requests_per_second").get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(j.at("measured").at("timeouts").get<double>(), 3);
  EXPECT_DOUBLE_EQ(j.at("latency_us").at("p50").get<double>(), 1.0);
  EXPECT_TRUE(j.at("server_cpu").is_null());
  r.measured.ok = 0;
  EXPECT_FALSE(failures(r, none).empty());  // no ok reply at all is a failure
}

}  // namespace
}  // namespace sockcalc::loadgen
