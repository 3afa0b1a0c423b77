// SPDX-License-Identifier: MIT
// tools/loadgen/main.cpp -- the `loadgen` program: parse the command line, run the load
// generator (loadgen::run), print the report. The load runs on the main thread; SIGINT ends the
// measured phase early and still prints the report. With --metrics, the endpoint's thread serves
// the latest progress report, handed over under a mutex once a second.
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cmath>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "metrics_option.hpp"
#include "sockcalc/loadgen/generator.hpp"
#include "sockcalc/loadgen/report.hpp"
#include "sockcalc/metrics/tool_metrics.hpp"

namespace {

using namespace sockcalc;

constexpr int kExitFailed = 1;
constexpr int kExitSystem = 3;

constexpr const char* kHelp = R"help(Usage: %prog% [options] HOST PORT
  or:  %prog% [options] unix:PATH
Load a calc server with K concurrent requests (one in flight per socket), check
every reply against the expected result, and report throughput, latency
percentiles and CPU cost.

  HOST PORT      the server: '::1', '127.0.0.1', a name (its first address);
                 a link-local address with its interface, 'fe80::1%eth0'; an
                 IPv6 address may be bracketed, '[::1]', as programs print it
  unix:PATH      a server on a Unix-domain socket (unix:@NAME: abstract name)

Load:
  -c, --concurrency K  sockets, each with one request in flight (default 1,
                       1..4096); the protocol has no request id (P-12)
  -d, --duration S     measured seconds (default 5; decimals allowed)
  -w, --warmup S       seconds of load before measuring, not counted in the
                       figures but checked all the same (default 1; 0 = none)
  -r, --rate R         open loop: R requests/s in total, socket i of K sends at
                       t0 + (n*K + i)/R; a send due while its socket still
                       waits for a reply is skipped and counted as "behind".
                       Default: closed loop (send again as soon as checked)
  -t, --timeout MS     a request unanswered for MS milliseconds counts as a
                       timeout and is sent again, same bytes (default 200)

Requests (calc):
  -o, --op OP          '+' or 'sum', '*', 'x' or 'product', or 'mix' (the
                       default: sums and products)
  -f, --format F       int, string or mix: the result format asked (default mix)
  -n, --count N|A-B    integers per request, or a range drawn uniformly
                       (1..64; default 1-8)
      --seed N         seed of the random operands (default 1)
      --sockperf       speak sockperf 3.x ping-pong instead of calc, to drive
                       `sockperf server` for comparison (14-byte messages;
                       the echoed sequence number and flags are checked)

Report:
      --server-pid PID
                       also report the server's CPU time per reply, from
                       /proc/PID/stat, and its user/system split
      --json           print one JSON object with every figure instead of text
      --max-timeouts N
                       fail (exit 1) on more than N timeouts (default: no
                       limit)
      --metrics ENDPOINT
                       serve the counts in Prometheus' text format over HTTP
                       (GET /metrics) on ENDPOINT, a TCP ADDRESS:PORT, updated
                       every second: '[::1]:9121', '127.0.0.1:0' (0 takes a
                       free port, printed in the line "metrics on ADDRESS")
  -h, --help           show this help and exit
  -V, --version        show the version and exit

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

// Seconds with decimals ("0.5"), in [min, max].
std::chrono::nanoseconds parse_seconds_or_die(std::string_view text, std::string_view what,
                                              double min, double max) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < min ||
      value > max) {
    cli::usage_error("invalid " + std::string(what) + " '" + std::string(text) +
                     "': must be a number of seconds, " + std::to_string(static_cast<long>(min)) +
                     ".." + std::to_string(static_cast<long>(max)));
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(value));
}

double parse_rate_or_die(std::string_view text) {
  constexpr double kMaxRate = 1e8;
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !(value > 0) || value > kMaxRate) {
    cli::usage_error("invalid rate '" + std::string(text) +
                     "': must be requests per second, above 0 and at most 100000000");
  }
  return value;
}

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
  constexpr long kMin = static_cast<long>(wire::kMinOperands);
  constexpr long kMax = static_cast<long>(wire::kMaxOperands);
  if (dash == std::string_view::npos) {
    w.min_count = w.max_count =
        static_cast<std::size_t>(cli::parse_number_or_die(text, "count", kMin, kMax));
    return;
  }
  w.min_count =
      static_cast<std::size_t>(cli::parse_number_or_die(text.substr(0, dash), "count", kMin, kMax));
  w.max_count = static_cast<std::size_t>(
      cli::parse_number_or_die(text.substr(dash + 1), "count", kMin, kMax));
  if (w.min_count > w.max_count) {
    cli::usage_error("invalid count range '" + std::string(text) + "': A must not exceed B");
  }
}

Options parse(int argc, char** argv) {
  enum : int {
    kSeed = 256,
    kSockperf,
    kServerPid,
    kJson,
    kMaxTimeouts,
    kMetrics,
  };
  static const option kLong[] = {{"concurrency", required_argument, nullptr, 'c'},
                                 {"duration", required_argument, nullptr, 'd'},
                                 {"warmup", required_argument, nullptr, 'w'},
                                 {"rate", required_argument, nullptr, 'r'},
                                 {"timeout", required_argument, nullptr, 't'},
                                 {"op", required_argument, nullptr, 'o'},
                                 {"format", required_argument, nullptr, 'f'},
                                 {"count", required_argument, nullptr, 'n'},
                                 {"seed", required_argument, nullptr, kSeed},
                                 {"sockperf", no_argument, nullptr, kSockperf},
                                 {"server-pid", required_argument, nullptr, kServerPid},
                                 {"json", no_argument, nullptr, kJson},
                                 {"max-timeouts", required_argument, nullptr, kMaxTimeouts},
                                 {"metrics", required_argument, nullptr, kMetrics},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  constexpr long kMaxConcurrency = 4096;
  constexpr double kMaxSeconds = 86400;
  constexpr long kMaxTimeoutMs = 60'000;
  Options o;
  auto& c = o.config;
  opterr = 0;
  int opt = 0;
  while ((opt = getopt_long_only(argc, argv, ":c:d:w:r:t:o:f:n:hV", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'c':
        c.concurrency = static_cast<unsigned>(
            cli::parse_number_or_die(optarg, "concurrency", 1, kMaxConcurrency));
        break;
      case 'd':
        c.duration = parse_seconds_or_die(optarg, "duration", 0.001, kMaxSeconds);
        break;
      case 'w':
        c.warmup = parse_seconds_or_die(optarg, "warm-up", 0, kMaxSeconds);
        break;
      case 'r':
        c.rate = parse_rate_or_die(optarg);
        break;
      case 't':
        c.timeout = std::chrono::milliseconds(
            cli::parse_number_or_die(optarg, "timeout", 1, kMaxTimeoutMs));
        break;
      case 'o':
        c.workload.op = parse_op_or_die(optarg);
        break;
      case 'f':
        c.workload.format = parse_format_or_die(optarg);
        break;
      case 'n':
        parse_count_or_die(optarg, c.workload);
        break;
      case kSeed: {
        const auto seed = cli::parse_u32(optarg);
        if (!seed)
          cli::usage_error(std::string("invalid seed '") + optarg + "': must be 0..4294967295");
        c.workload.seed = *seed;
        break;
      }
      case kSockperf:
        c.protocol = loadgen::Protocol::sockperf;
        break;
      case kServerPid:
        c.server_pid =
            static_cast<pid_t>(cli::parse_number_or_die(optarg, "server pid", 1, 4'194'304));
        break;
      case kJson:
        o.json = true;
        break;
      case kMetrics:
        o.metrics = cli::metrics_address_or_die(optarg, kExitSystem);
        break;
      case kMaxTimeouts:
        o.criteria.max_timeouts = static_cast<std::uint64_t>(
            cli::parse_number_or_die(optarg, "max-timeouts", 0, 1'000'000'000'000));
        break;
      default:
        cli::finish_option(opt, kHelp, argv);  // --help, --version, or a usage error: exits
    }
  }
  for (int i = optind; i < argc; ++i) o.positionals.emplace_back(argv[i]);
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
