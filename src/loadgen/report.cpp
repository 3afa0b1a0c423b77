// SPDX-License-Identifier: MIT
// loadgen/report.cpp -- implementation of loadgen/report.hpp.
#include "sockcalc/loadgen/report.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sockcalc/core/json_text.hpp"
#include "sockcalc/loadgen/sockperf_wire.hpp"

namespace sockcalc::loadgen {
namespace {

using Json = nlohmann::ordered_json;  // the keys in docs/LOADGEN.md's order

constexpr double kNanosPerMicro = 1000.0;
constexpr double kMicrosPerSecond = 1e6;

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string micros(std::uint64_t nanos) {
  return fixed(static_cast<double>(nanos) / kNanosPerMicro, 1);
}

// `value` rounded to `decimals` places, for the JSON: as many as the text report shows, or as
// a measurement deserves (the figure is a double; no reader gains from 15 digits of noise).
double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

double micros_value(std::uint64_t nanos) {
  return rounded(static_cast<double>(nanos) / kNanosPerMicro, 1);
}

std::string_view to_string(OpMix op) {
  switch (op) {
    case OpMix::sum:
      return "sum";
    case OpMix::product:
      return "product";
    case OpMix::mix:
      return "mix";
  }
  return "?";
}

std::string_view to_string(FormatMix format) {
  switch (format) {
    case FormatMix::integer:
      return "int";
    case FormatMix::string:
      return "string";
    case FormatMix::mix:
      return "mix";
  }
  return "?";
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// CPU microseconds per event; 0 when there was none.
double per_event_us(double cpu_seconds, std::uint64_t events) {
  return events ? cpu_seconds * kMicrosPerSecond / static_cast<double>(events) : 0.0;
}

double share(double part, double whole) { return whole > 0 ? part / whole : 0.0; }

std::string tally_text(const Tally& t) {
  std::ostringstream o;
  o << "sent " << t.sent << "  ok " << t.ok << "  wrong " << t.wrong << "  error replies "
    << t.error_replies << "  malformed " << t.malformed << "  unanswered " << t.unanswered
    << "\n                timeouts " << t.timeouts << "  retransmits " << t.retransmits
    << "  behind " << t.behind << "  stray " << t.stray << "  send errors " << t.send_errors
    << "  send blocked " << t.send_blocked << "  recv errors " << t.recv_errors
    << "\n                sockets replaced " << t.sockets_replaced << "  late replies " << t.late
    << "  late bad replies " << t.late_bad;
  return o.str();
}

Json tally_json(const Tally& t) {
  return {{"sent", t.sent},
          {"ok", t.ok},
          {"wrong", t.wrong},
          {"error_replies", t.error_replies},
          {"malformed", t.malformed},
          {"unanswered", t.unanswered},
          {"timeouts", t.timeouts},
          {"retransmits", t.retransmits},
          {"behind", t.behind},
          {"stray", t.stray},
          {"send_errors", t.send_errors},
          {"send_blocked", t.send_blocked},
          {"recv_errors", t.recv_errors},
          {"sockets_replaced", t.sockets_replaced},
          {"late", t.late},
          {"late_bad", t.late_bad}};
}

Json latency_json(const LatencyHistogram& h) {
  return {{"count", h.count()},
          {"min", micros_value(h.min())},
          {"mean", rounded(h.mean() / kNanosPerMicro, 1)},
          {"p50", micros_value(h.percentile(0.5))},
          {"p90", micros_value(h.percentile(0.9))},
          {"p99", micros_value(h.percentile(0.99))},
          {"p999", micros_value(h.percentile(0.999))},
          {"max", micros_value(h.max())},
          {"relative_error", rounded(LatencyHistogram::kMaxRelativeError, 4)}};
}

Json cpu_json(const Config& config, const Report& report) {
  Json cpu;
  const CpuTimes& self = report.self_cpu;
  cpu["loadgen_cpu"] = {
      {"user_s", rounded(self.user, 6)},
      {"system_s", rounded(self.system, 6)},
      {"us_per_request", rounded(per_event_us(self.total(), report.measured.ok), 3)}};
  cpu["server_cpu"] = nullptr;
  if (report.server_cpu) {
    const CpuTimes& s = *report.server_cpu;
    cpu["server_cpu"] = {{"pid", config.server_pid},
                         {"user_s", rounded(s.user, 3)},
                         {"system_s", rounded(s.system, 3)},
                         {"us_per_reply", rounded(per_event_us(s.total(), report.measured.ok), 3)},
                         {"user_share", rounded(share(s.user, s.total()), 3)},
                         {"system_share", rounded(share(s.system, s.total()), 3)}};
  }
  return cpu;
}

std::string count_of(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::vector<std::string> failures(const Report& report, const PassCriteria& criteria) {
  std::vector<std::string> why;
  const Tally& w = report.warmup;
  const Tally& m = report.measured;
  if (const auto n = w.wrong + m.wrong) why.push_back(count_of(n, "wrong reply", "wrong replies"));
  if (const auto n = w.error_replies + m.error_replies)
    why.push_back(count_of(n, "error reply", "error replies"));
  if (const auto n = w.malformed + m.malformed)
    why.push_back(count_of(n, "malformed reply", "malformed replies"));
  if (const auto n = w.late_bad + m.late_bad) {
    why.push_back(count_of(n, "bad late reply", "bad late replies"));
  }
  if (m.ok == 0) why.emplace_back("no ok reply in the measured phase");
  const auto timeouts = w.timeouts + m.timeouts;
  if (criteria.max_timeouts && timeouts > *criteria.max_timeouts) {
    why.push_back(count_of(timeouts, "timeout", "timeouts") + ", more than --max-timeouts " +
                  std::to_string(*criteria.max_timeouts));
  }
  return why;
}

std::string format_text(const Config& config, const Report& report, const PassCriteria& criteria) {
  std::ostringstream o;
  const bool calc = config.protocol == Protocol::calc;
  o << "loadgen: " << (calc ? "calc" : "sockperf") << " server " << report.target.to_string()
    << ", "
    << (config.rate > 0 ? "open loop at " + fixed(config.rate, 0) + " requests/s" : "closed loop")
    << ", K=" << config.concurrency << ", " << fixed(seconds(config.duration), 2) << " s after "
    << fixed(seconds(config.warmup), 2) << " s of warm-up, timeout "
    << fixed(seconds(config.timeout) * 1e3, 0) << " ms\n";
  if (calc) {
    const auto& w = config.workload;
    o << "requests        op " << to_string(w.op) << ", format " << to_string(w.format) << ", "
      << w.min_count << "-" << w.max_count << " integers, seed " << w.seed << ", " << w.pool_size
      << " pre-encoded\n";
  } else {
    o << "requests        sockperf ping-pong messages of " << sockperf::kHeaderSize << " bytes\n";
  }
  o << "requests/s      " << fixed(report.requests_per_second(), 0)
    << "  (ok replies per second over " << fixed(report.measured_s, 3) << " s)\n";
  o << "measured        " << tally_text(report.measured) << "\n";
  o << "warm-up         " << tally_text(report.warmup) << "\n";
  const auto& h = report.latency;
  o << "latency (us)    p50 " << micros(h.percentile(0.5)) << "  p90 " << micros(h.percentile(0.9))
    << "  p99 " << micros(h.percentile(0.99)) << "  p99.9 " << micros(h.percentile(0.999))
    << "  max " << micros(h.max()) << "  (" << h.count() << " ok replies, from first send)\n";
  const CpuTimes& self = report.self_cpu;
  o << "loadgen CPU     " << fixed(per_event_us(self.total(), report.measured.ok), 2)
    << " us per ok reply (user " << fixed(self.user, 2) << " s, system " << fixed(self.system, 2)
    << " s)\n";
  if (report.server_cpu) {
    const CpuTimes& s = *report.server_cpu;
    o << "server CPU      " << fixed(per_event_us(s.total(), report.measured.ok), 2)
      << " us per ok reply (user " << fixed(s.user, 2)
      << " s = " << fixed(100 * share(s.user, s.total()), 0) << " %, system " << fixed(s.system, 2)
      << " s = " << fixed(100 * share(s.system, s.total()), 0) << " %; pid " << config.server_pid
      << ")\n";
  } else if (config.server_pid > 0) {
    o << "server CPU      unknown: " << report.server_cpu_error << "\n";
  }
  if (!report.first_failure.empty()) o << "first failure   " << report.first_failure << "\n";
  const auto why = failures(report, criteria);
  o << "result          " << (why.empty() ? "PASS" : "FAIL");
  for (std::size_t i = 0; i < why.size(); ++i) o << (i ? ", " : ": ") << why[i];
  o << "\n";
  return o.str();
}

std::string format_json(const Config& config, const Report& report, const PassCriteria& criteria) {
  const bool calc = config.protocol == Protocol::calc;
  Json j;
  j["target"] = report.target.to_string();
  j["protocol"] = calc ? "calc" : "sockperf";
  j["mode"] = config.rate > 0 ? "open" : "closed";
  j["concurrency"] = config.concurrency;
  j["rate"] = rounded(config.rate, 3);
  j["duration_s"] = rounded(seconds(config.duration), 6);
  j["warmup_s"] = rounded(seconds(config.warmup), 6);
  j["timeout_ms"] = rounded(seconds(config.timeout) * 1e3, 3);
  if (calc) {
    const auto& w = config.workload;
    j["op"] = to_string(w.op);
    j["format"] = to_string(w.format);
    j["count_min"] = w.min_count;
    j["count_max"] = w.max_count;
    j["seed"] = w.seed;
    j["pool_size"] = w.pool_size;
  }
  j["measured_s"] = rounded(report.measured_s, 6);
  j["requests_per_second"] = rounded(report.requests_per_second(), 1);
  j["measured"] = tally_json(report.measured);
  j["warmup"] = tally_json(report.warmup);
  j["latency_us"] = latency_json(report.latency);
  j.update(cpu_json(config, report));
  j["first_failure"] = nullptr;
  if (!report.first_failure.empty()) j["first_failure"] = report.first_failure;
  const auto why = failures(report, criteria);
  j["pass"] = why.empty();
  j["failures"] = why;
  return json_text(j);
}

std::string format_progress(const Progress& p) {
  std::ostringstream o;
  o << fixed(p.elapsed_s, 0) << " s" << (p.warming_up ? " (warm-up)" : "") << "  "
    << fixed(p.ok_per_second, 0) << " ok/s  ok " << p.measured.ok << "  wrong " << p.measured.wrong
    << "  errors " << p.measured.error_replies << "  malformed " << p.measured.malformed
    << "  timeouts " << p.measured.timeouts;
  return o.str();
}

}  // namespace sockcalc::loadgen
