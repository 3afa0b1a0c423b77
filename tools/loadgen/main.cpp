// SPDX-License-Identifier: MIT
// tools/loadgen/main.cpp -- the `loadgen` program: parse the command line, run the load
// generator (loadgen::run), print the report. The load runs on the main thread; SIGINT ends the
// measured phase early and still prints the report. With --metrics, the endpoint's thread serves
// the latest progress report, handed over under a mutex once a second.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"
#include "metrics_option.hpp"
#include "options.hpp"
#include "sockcalc/loadgen/generator.hpp"
#include "sockcalc/loadgen/report.hpp"
#include "sockcalc/tool_metrics/tool_metrics.hpp"

namespace {

using namespace sockcalc;

constexpr int kExitFailed = 1;
constexpr int kExitSystem = 3;

// The --help text around the option tables (load_options, ...), whose descriptions start at
// kHelpColumn.
constexpr std::size_t kHelpColumn = 23;
constexpr std::string_view kHelp = R"help(Usage: %prog% [options] HOST PORT
  or:  %prog% [options] unix:PATH
Load a calc server with K concurrent requests (one in flight per socket), check
every reply against the expected result, and report throughput, latency
percentiles and CPU cost.

  HOST PORT      the server: '::1', '127.0.0.1', a name (its first address);
                 a link-local address with its interface, 'fe80::1%eth0'; an
                 IPv6 address may be bracketed, '[::1]', as programs print it
  unix:PATH      a server on a Unix-domain socket (unix:@NAME: abstract name)

Load:
%options:load%

Requests (calc):
%options:requests%

Report:
%options:report%

A progress line is printed on stderr every second when stderr is a terminal.
Latency runs from a request's first send to its checked reply (retransmission
waits included), in a log-linear histogram within 0.2 %.
After a timeout, or a bad reply, the request's socket is replaced by a fresh one
(a new source port) once the request is over, so that a late second reply can
never be taken for the answer to the next request (docs/LOADGEN.md).

Exit status:
  0  every reply checked was right (timeouts alone do not fail the run)
  1  a wrong, error or malformed reply was seen; or no ok reply at all; or more
     timeouts than --max-timeouts
  2  usage error
  3  cannot run: no socket, epoll or timer; or the report cannot be written
     to stdout; or HOST cannot be resolved now (no answer from the name server)

Examples:
  %prog% -c 16 -d 5 ::1 10000
                       16 requests in flight for 5 s to [::1]:10000
  %prog% -c 16 --server-pid "$(pidof %prog:server%)" --json ::1 10000
                       the same, with the server's CPU time, as JSON
  %prog% -c 16 --sockperf 127.0.0.1 11111
                       the same load against `sockperf server -p 11111`
)help";

std::atomic<bool> g_stop{false};

void on_stop(int) { g_stop.store(true, std::memory_order_relaxed); }

struct Options {
  loadgen::Config config;
  loadgen::PassCriteria criteria;
  bool json = false;
  std::vector<std::string> positionals;
  std::vector<Address> metrics;  // --metrics: where the Prometheus endpoint listens (or none)
};

// The latest progress report, for the metrics endpoint's thread.
struct Latest {
  std::mutex mutex;
  loadgen::Progress progress;
};

loadgen::OpMix parse_op_or_die(std::string_view text) {
  if (text == "+" || text == "sum") return loadgen::OpMix::sum;
  if (text == "*" || text == "x" || text == "product") return loadgen::OpMix::product;
  if (text == "mix") return loadgen::OpMix::mix;
  cli::usage_error("invalid operation '" + std::string(text) +
                   "': must be +, sum, *, x, product or mix");
}

loadgen::FormatMix parse_format_or_die(std::string_view text) {
  if (text == "int" || text == "integer") return loadgen::FormatMix::integer;
  if (text == "string") return loadgen::FormatMix::string;
  if (text == "mix") return loadgen::FormatMix::mix;
  cli::usage_error("invalid format '" + std::string(text) + "': must be int, string or mix");
}

void parse_count_or_die(std::string_view text, loadgen::Workload& w) {
  const auto dash = text.find('-');
  constexpr std::uint64_t kMin = wire::kMinOperands;
  constexpr std::uint64_t kMax = wire::kMaxOperands;
  if (dash == std::string_view::npos) {
    w.min_count = w.max_count =
        static_cast<std::size_t>(cli::whole_or_die(text, "count", kMin, kMax));
    return;
  }
  w.min_count =
      static_cast<std::size_t>(cli::whole_or_die(text.substr(0, dash), "count", kMin, kMax));
  w.max_count =
      static_cast<std::size_t>(cli::whole_or_die(text.substr(dash + 1), "count", kMin, kMax));
  if (w.min_count > w.max_count) {
    cli::usage_error("invalid count range '" + std::string(text) + "': A must not exceed B");
  }
}

// The setter of a number of seconds with decimals ("0.5") in [min, max].
cli::Setter set_seconds(std::chrono::nanoseconds& target, std::string_view what, double min) {
  constexpr double kMaxSeconds = 86400;
  return [&target, what, min](std::string_view text) {
    const double seconds = cli::decimal_or_die(text, what, min, kMaxSeconds, "seconds");
    target = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(seconds));
  };
}

// --rate: requests a second, above 0.
double parse_rate_or_die(std::string_view text) {
  constexpr double kMaxRate = 1e8;
  const auto value = cli::parse_decimal_number(text, 0, kMaxRate);
  if (!value || !(*value > 0)) {
    cli::usage_error("invalid rate '" + std::string(text) +
                     "': must be requests per second, above 0 and at most 100000000");
  }
  return *value;
}

// The options of the "load" group of --help.
std::vector<cli::Option> load_options(loadgen::Config& c) {
  constexpr std::uint64_t kMaxConcurrency = 4096;
  constexpr std::uint64_t kMaxTimeoutMs = 60'000;
  return {
      {.short_name = 'c',
       .name = "concurrency",
       .arg = "K",
       .help = "sockets, each with one request in flight (default 1,\n"
               "1..4096); the protocol has no request id (P-12)",
       .set = cli::set_whole(c.concurrency, "concurrency", 1, kMaxConcurrency)},
      {.short_name = 'd',
       .name = "duration",
       .arg = "S",
       .help = "measured seconds (default 5; decimals allowed)",
       .set = set_seconds(c.duration, "duration", 0.001)},
      {.short_name = 'w',
       .name = "warmup",
       .arg = "S",
       .help = "seconds of load before measuring, not counted in the\n"
               "figures but checked all the same (default 1; 0 = none)",
       .set = set_seconds(c.warmup, "warm-up", 0)},
      {.short_name = 'r',
       .name = "rate",
       .arg = "R",
       .help = "open loop: R requests/s in total, socket i of K sends at\n"
               "t0 + (n*K + i)/R; a send due while its socket still\n"
               "waits for a reply is skipped and counted as \"behind\".\n"
               "Default: closed loop (send again as soon as checked)",
       .set = [&c](std::string_view v) { c.rate = parse_rate_or_die(v); }},
      {.short_name = 't',
       .name = "timeout",
       .arg = "MS",
       .help = "a request unanswered for MS milliseconds counts as a\n"
               "timeout and is sent again, same bytes (default 200)",
       .set =
           [&c](std::string_view v) {
             c.timeout =
                 std::chrono::milliseconds(cli::whole_or_die(v, "timeout", 1, kMaxTimeoutMs));
           }},
  };
}

// The options of the "requests" group of --help.
std::vector<cli::Option> request_options(loadgen::Config& c) {
  loadgen::Workload& w = c.workload;
  return {
      {.short_name = 'o',
       .name = "op",
       .arg = "OP",
       .help = "'+' or 'sum', '*', 'x' or 'product', or 'mix' (the\n"
               "default: sums and products)",
       .set = [&w](std::string_view v) { w.op = parse_op_or_die(v); }},
      {.short_name = 'f',
       .name = "format",
       .arg = "F",
       .help = "int, string or mix: the result format asked (default mix)",
       .set = [&w](std::string_view v) { w.format = parse_format_or_die(v); }},
      {.short_name = 'n',
       .name = "count",
       .arg = "N|A-B",
       .help = "integers per request, or a range drawn uniformly\n"
               "(1..64; default 1-8)",
       .set = [&w](std::string_view v) { parse_count_or_die(v, w); }},
      {.name = "seed",
       .arg = "N",
       .help = "seed of the random operands (default 1)",
       .set = cli::set_whole(w.seed, "seed", 0, std::numeric_limits<std::uint32_t>::max())},
      {.name = "sockperf",
       .help = "speak sockperf 3.x ping-pong instead of calc, to drive\n"
               "`sockperf server` for comparison (14-byte messages;\n"
               "the echoed sequence number and flags are checked)",
       .set = [&c](std::string_view) { c.protocol = loadgen::Protocol::sockperf; }},
  };
}

// The options of the "report" group of --help.
std::vector<cli::Option> report_options(Options& o) {
  constexpr std::uint64_t kMaxPid = 4'194'304;  // PID_MAX_LIMIT on 64-bit Linux
  return {
      {.name = "server-pid",
       .arg = "PID",
       .help = "also report the server's CPU time per reply, from\n"
               "/proc/PID/stat, and its user/system split",
       .set = cli::set_whole(o.config.server_pid, "server pid", 1, kMaxPid)},
      {.name = "json",
       .help = "print one JSON object with every figure instead of text",
       .set = cli::set_flag(o.json)},
      {.name = "max-timeouts",
       .arg = "N",
       .help = "fail (exit 1) on more than N timeouts (default: no\n"
               "limit)",
       .set = cli::set_whole(o.criteria.max_timeouts, "max-timeouts", 0, 1'000'000'000'000)},
      {.name = "metrics",
       .arg = "ENDPOINT",
       .help = "serve the counts in Prometheus' text format over HTTP\n"
               "(GET /metrics) on ENDPOINT, a TCP ADDRESS:PORT, updated\n"
               "every second: '[::1]:9121', '127.0.0.1:0' (0 takes a\n"
               "free port, printed in the line \"metrics on ADDRESS\")",
       .set =
           [&o](std::string_view v) { o.metrics = cli::metrics_address_or_die(v, kExitSystem); }},
  };
}

Options parse(int argc, char** argv) {
  Options o;
  cli::CommandLine command{
      .help = kHelp, .column = kHelpColumn, .spelling = cli::Spelling::long_only, .options = {}};
  const std::pair<std::string_view, std::vector<cli::Option>> groups[] = {
      {"load", load_options(o.config)},
      {"requests", request_options(o.config)},
      {"report", report_options(o)}};
  for (const auto& [group, options] : groups) {
    for (cli::Option option : options) {
      option.group = group;
      command.options.push_back(std::move(option));
    }
  }
  o.positionals = cli::parse_or_exit(command, argc, argv);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitSystem);
  Options o = parse(argc, argv);
  const auto& pos = o.positionals;
  if (pos.empty()) cli::usage_error("missing HOST and PORT (or unix:PATH)");
  const bool unix_socket = is_unix_spec(pos[0]);
  if (pos.size() > (unix_socket ? 1u : 2u)) {
    cli::usage_error("unexpected argument '" + pos.back() + "'");
  }
  o.config.targets = cli::resolve_or_die(pos[0], pos.size() > 1 ? &pos[1] : nullptr,
                                         Purpose::connect, kExitSystem);
  if (!unix_socket && o.config.targets.front().port() == 0) {
    cli::usage_error("invalid port '0': the server's port is needed");
  }
  if (o.config.server_pid > 0) {
    if (auto cpu = loadgen::process_cpu_times(o.config.server_pid); !cpu) {
      cli::usage_error("--server-pid " + std::to_string(o.config.server_pid) + ": " +
                       cpu.error().message());
    }
  }

  cli::on_signal(SIGINT, on_stop);
  cli::on_signal(SIGTERM, on_stop);
  o.config.stop = &g_stop;
  const bool progress = isatty(STDERR_FILENO) != 0;
  Latest latest;
  std::optional<metrics::HttpEndpoint> endpoint;
  if (!o.metrics.empty()) {
    endpoint.emplace(cli::start_metrics_or_die(
        o.metrics,
        [&latest] {
          const std::lock_guard lock(latest.mutex);
          return metrics::loadgen_metrics(latest.progress);
        },
        kExitSystem));
  }
  if (progress || endpoint) {
    o.config.progress = [progress, &latest](const loadgen::Progress& p) {
      if (progress) {
        // \r and "erase to end of line": one line rewritten in place.
        std::cerr << "\r" << loadgen::format_progress(p) << "\x1b[K" << std::flush;
      }
      const std::lock_guard lock(latest.mutex);
      latest.progress = p;
    };
  }

  auto report = loadgen::run(o.config);
  if (progress) std::cerr << "\r\x1b[K" << std::flush;
  if (!report) cli::die(report.error().message(), kExitSystem);
  std::cout << (o.json ? loadgen::format_json(o.config, *report, o.criteria)
                       : loadgen::format_text(o.config, *report, o.criteria))
            << std::flush;
  return loadgen::failures(*report, o.criteria).empty() ? 0 : kExitFailed;
}
