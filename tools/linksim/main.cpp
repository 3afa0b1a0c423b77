// SPDX-License-Identifier: MIT
// tools/linksim/main.cpp -- the `linksim` program: parse the command line into RelayOptions,
// print every effective parameter and the seed, relay until SIGINT or SIGTERM, print a summary.
// Single-threaded; the work is done by linksim::Relay.
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "log.hpp"
#include "metrics_option.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/linksim/relay.hpp"
#include "sockcalc/metrics/tool_metrics.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "trace.hpp"

namespace {

using namespace sockcalc;
using cli::Severity;
using linksim::Direction;

constexpr int kExitFailure = 1;

constexpr const char* kHelp =
    R"(Usage: %prog% [options] LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT
Relay UDP datagrams between calc clients and a server, losing, duplicating,
reordering, delaying, corrupting and cutting them on purpose.

  LISTEN_ADDR    address or name clients send to: '::1', '127.0.0.1', '::'
                 (IPv6 and IPv4, dual stack), 'localhost', ...
  LISTEN_PORT    UDP port, 0..65535; 0 takes a free port (printed at start)
  SERVER_ADDR    the server's address or name (its first address is used);
                 either address may be link-local with its interface,
                 'fe80::1%eth0', and an IPv6 one bracketed, '[::1]'
  SERVER_PORT    the server's UDP port, 1..65535

Faults (PCT: a percentage 0..100, decimals allowed; MS: milliseconds 0..60000).
Each applies to the directions chosen by the last --direction before it:
      --direction DIR    forward (client -> server), reverse (server -> client)
                         or both (the default)
  -l, --loss PCT         drop the datagram (default 0)
      --dup PCT          send it twice; the copy gets its own jitter (default 0)
      --reorder PCT      hold it back until the next datagram of the same
                         client and direction has gone, or --reorder-hold
                         passed (default 0)
  -d, --delay MS         delay every datagram (default 0)
  -j, --jitter MS        add a uniform 0..MS more to each copy (default 0)
  -e, --corrupt PCT      xor one random byte with a random non-zero mask (the
                         course's error rate; default 0)
  -c, --cut PCT          truncate to a random shorter length, 0..size-1
                         (default 0)
Faults are drawn in the order loss, cut, corrupt, dup, reorder, delay.

Other options:
  -s, --seed N           seed of the random decisions, 0..2^64-1 (default: a
                         random one, printed so that a run can be replayed)
      --reorder-hold MS  longest hold of a reordered datagram, 1..60000
                         (default 100)
      --idle-timeout S   close a client's flow after S seconds without
                         traffic, 0.001..86400, decimals allowed (default 60)
      --max-flows N      clients relayed at once, 1..1000000; a new client
                         evicts the least recently active one (default 1024)
      --max-held N       copies waiting (delayed or reordered) at once,
                         1..10000000; more are dropped and counted (default
                         10000)
      --max-held-bytes N
                         bytes of those copies, 1..2^32 (default 67108864)
      --poll             use poll(2) instead of epoll
      --pcap FILE        write every datagram received and sent, on both
                         sides, to FILE, a pcap capture Wireshark reads (no
                         root needed)
      --metrics ENDPOINT
                         serve the counters in Prometheus' text format over
                         HTTP (GET /metrics) on ENDPOINT, a TCP ADDRESS:PORT:
                         '[::1]:9122', '127.0.0.1:0' (0 takes a free port,
                         printed in the line "metrics on ADDRESS"), ':9122'
                         (every address)
  -v, --verbose          log every datagram: direction, client, bytes in hex,
                         meaning, decision; and every flow created or closed
  -h, --help             show this help and exit
  -V, --version          show the version and exit

At start, %prog% prints each direction's faults, its other settings and the
seed, then the address it listens on. Every client address gets its own
upstream socket to the server, so each reply goes back to the client that
asked. SIGINT or SIGTERM stops it: it prints its counters per direction and
exits 0. Exit status 1: cannot start; 2: usage.

Course link_sim options: -l loss, -d delay, -j jitter, -e corruption (error
rate), -c cut, -s seed.

Examples:
  %prog% --seed 7 -l 30 --dup 10 -j 20 ::1 0 ::1 10000
                         30 % loss, 10 % duplicates and 0..20 ms of jitter each
                         way, between a free port and a server on port 10000
)";

linksim::Relay* g_relay = nullptr;

void on_stop(int) {
  if (g_relay) g_relay->request_stop();
}

struct Config {
  linksim::RelayOptions relay;
  std::optional<std::uint64_t> seed;
  bool verbose = false;
  std::string pcap_path;
  std::vector<Address> metrics;  // --metrics: where the Prometheus endpoint listens (or none)
  std::vector<std::string> positionals;
};

// The --pcap capture: every datagram as it crossed one of linksim's sockets. Written by the
// relay's thread only.
std::optional<capture::PcapWriter> g_pcap;

void capture_datagram(const linksim::WireRecord& r) {
  static bool failed = false;  // after a failed write the writer refuses the rest: say it once
  const auto now = std::chrono::system_clock::now();
  const Status st = r.wire_length > r.bytes.size()
                        ? g_pcap->write_truncated(r.from, r.to, r.bytes, r.wire_length, now)
                        : g_pcap->write(r.from, r.to, r.bytes, now);
  if (!st && !failed) {
    failed = true;
    cli::log_line(Severity::warning, st.error().message() + "; the capture stops here");
  }
}

double parse_decimal_or_die(std::string_view text, std::string_view what, double min, double max,
                            std::string_view unit) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < min ||
      value > max) {
    char range[64];
    std::snprintf(range, sizeof range, "%g..%g", min, max);
    cli::usage_error("invalid " + std::string(what) + " '" + std::string(text) + "': must be " +
                     std::string(unit) + " " + range);
  }
  return value;
}

std::uint64_t parse_seed_or_die(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.front() == '-' || ec != std::errc() || ptr != end) {
    cli::usage_error("invalid seed '" + std::string(text) + "': must be 0..18446744073709551615");
  }
  return value;
}

unsigned parse_direction_or_die(std::string_view text) {
  if (text == "forward") return 1u << linksim::as_index(Direction::forward);
  if (text == "reverse") return 1u << linksim::as_index(Direction::reverse);
  if (text == "both") return 3u;
  cli::usage_error("invalid direction '" + std::string(text) +
                   "': must be forward, reverse or both");
}

// Long-only options get codes above the byte range.
enum LongOnly : int {
  kDup = 256,
  kReorder,
  kDirection,
  kReorderHold,
  kIdleTimeout,
  kMaxFlows,
  kMaxHeld,
  kMaxHeldBytes,
  kPoll,
  kPcap,
  kMetrics,
};

// Applies one fault option to every selected direction.
void set_fault(Config& c, unsigned directions, int opt, const char* arg) {
  const auto pct = [arg](std::string_view what) {
    return parse_decimal_or_die(arg, what, 0, linksim::kMaxRate, "a percentage");
  };
  const auto ms = [arg](std::string_view what) {
    return std::chrono::milliseconds(
        cli::parse_number_or_die(arg, what, 0, linksim::kMaxDelay.count()));
  };
  for (Direction d : {Direction::forward, Direction::reverse}) {
    if ((directions & (1u << linksim::as_index(d))) == 0) continue;
    linksim::FaultConfig& f = c.relay.faults[linksim::as_index(d)];
    switch (opt) {
      case 'l':
        f.loss = pct("loss");
        break;
      case kDup:
        f.duplicate = pct("dup");
        break;
      case kReorder:
        f.reorder = pct("reorder");
        break;
      case 'e':
        f.corrupt = pct("corrupt");
        break;
      case 'c':
        f.cut = pct("cut");
        break;
      case 'd':
        f.delay = ms("delay");
        break;
      case 'j':
        f.jitter = ms("jitter");
        break;
      default:
        break;
    }
  }
}

Config parse(int argc, char** argv) {
  static const option kLong[] = {{"loss", required_argument, nullptr, 'l'},
                                 {"dup", required_argument, nullptr, kDup},
                                 {"reorder", required_argument, nullptr, kReorder},
                                 {"delay", required_argument, nullptr, 'd'},
                                 {"jitter", required_argument, nullptr, 'j'},
                                 {"corrupt", required_argument, nullptr, 'e'},
                                 {"cut", required_argument, nullptr, 'c'},
                                 {"direction", required_argument, nullptr, kDirection},
                                 {"seed", required_argument, nullptr, 's'},
                                 {"reorder-hold", required_argument, nullptr, kReorderHold},
                                 {"idle-timeout", required_argument, nullptr, kIdleTimeout},
                                 {"max-flows", required_argument, nullptr, kMaxFlows},
                                 {"max-held", required_argument, nullptr, kMaxHeld},
                                 {"max-held-bytes", required_argument, nullptr, kMaxHeldBytes},
                                 {"poll", no_argument, nullptr, kPoll},
                                 {"pcap", required_argument, nullptr, kPcap},
                                 {"metrics", required_argument, nullptr, kMetrics},
                                 {"verbose", no_argument, nullptr, 'v'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  Config c;
  unsigned directions = 3u;
  std::string dangling_direction;  // a --direction with no fault option after it
  opterr = 0;
  int opt = 0;
  while ((opt = getopt_long(argc, argv, ":l:d:j:e:c:s:vhV", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'l':
      case kDup:
      case kReorder:
      case 'e':
      case 'c':
      case 'd':
      case 'j':
        set_fault(c, directions, opt, optarg);
        dangling_direction.clear();
        break;
      case kDirection:
        directions = parse_direction_or_die(optarg);
        dangling_direction = optarg;
        break;
      case 's':
        c.seed = parse_seed_or_die(optarg);
        break;
      case kReorderHold:
        c.relay.reorder_hold = std::chrono::milliseconds(
            cli::parse_number_or_die(optarg, "reorder hold", 1, linksim::kMaxDelay.count()));
        break;
      case kIdleTimeout:
        c.relay.idle_timeout = std::chrono::milliseconds(std::llround(
            1000 * parse_decimal_or_die(optarg, "idle timeout", 0.001, 86400, "seconds")));
        break;
      case kMaxFlows:
        c.relay.max_flows =
            static_cast<std::size_t>(cli::parse_number_or_die(optarg, "max flows", 1, 1'000'000));
        break;
      case kMaxHeld:
        c.relay.max_held =
            static_cast<std::size_t>(cli::parse_number_or_die(optarg, "max held", 1, 10'000'000));
        break;
      case kMaxHeldBytes:
        c.relay.max_held_bytes = static_cast<std::size_t>(
            cli::parse_number_or_die(optarg, "max held bytes", 1, 4'294'967'296));
        break;
      case kPoll:
        c.relay.poller = linksim::PollerKind::poll;
        break;
      case kMetrics:
        c.metrics = cli::metrics_address_or_die(optarg, kExitFailure);
        break;
      case kPcap:
        c.pcap_path = optarg;
        break;
      case 'v':
        c.verbose = true;
        break;
      default:
        cli::finish_option(opt, kHelp, argv);  // --help, --version, or a usage error: exits
    }
  }
  if (!dangling_direction.empty()) {
    cli::usage_error("'--direction " + dangling_direction +
                     "' is followed by no fault option: it selects the direction of the "
                     "faults after it");
  }
  for (int i = optind; i < argc; ++i) c.positionals.emplace_back(argv[i]);
  return c;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// One flow needs one fd: raise the soft limit towards what --max-flows asks, when allowed.
void raise_fd_limit(std::size_t max_flows) {
  constexpr rlim_t kSpareFds = 64;  // stdio, listening socket, epoll, eventfd, and margin
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const rlim_t want = static_cast<rlim_t>(max_flows) + kSpareFds;
  if (lim.rlim_cur >= want) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? want : std::min(want, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < want) {
    cli::log_line(Severity::warning,
                  "warning: only " + std::to_string(lim.rlim_cur) +
                      " file descriptors allowed: fewer flows than --max-flows " +
                      std::to_string(max_flows) + " fit (the oldest make way)");
  }
}

void trace(const linksim::TraceRecord& r) {
  const bool forward = r.direction == Direction::forward;
  const std::string meaning = forward ? protocol::describe_request(r.bytes, r.wire_length)
                                      : protocol::describe_reply(r.bytes, r.format);
  cli::log_line(Severity::debug, cli::trace_line(forward ? "forward from" : "reverse to", r.peer,
                                                 r.bytes, r.wire_length, meaning) +
                                     " => " + std::string(r.action));
}

void print_parameters(const linksim::RelayOptions& o, std::uint64_t seed, bool seed_given) {
  for (Direction d : {Direction::forward, Direction::reverse}) {
    cli::log_line(Severity::info, std::string(linksim::direction_label(d)) + ": " +
                                      linksim::to_string(o.faults[linksim::as_index(d)]));
  }
  char idle[32];
  std::snprintf(idle, sizeof idle, "%g", static_cast<double>(o.idle_timeout.count()) / 1000.0);
  std::ostringstream line;
  line << "reorder hold " << o.reorder_hold.count() << " ms; flows: at most " << o.max_flows
       << ", idle timeout " << idle << " s; held copies: at most " << o.max_held << " and "
       << o.max_held_bytes << " bytes; poller "
       << (o.poller == linksim::PollerKind::epoll ? "epoll" : "poll");
  cli::log_line(Severity::info, line.str());
  cli::log_line(Severity::info, "seed " + std::to_string(seed) + (seed_given ? "" : " (random)") +
                                    "; replay with --seed " + std::to_string(seed));
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitFailure);
  Config c = parse(argc, argv);
  const auto& pos = c.positionals;
  if (pos.size() < 4) {
    cli::usage_error("missing arguments: give LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT");
  }
  if (pos.size() > 4) cli::usage_error("unexpected argument '" + pos[4] + "'");
  if (is_unix_spec(pos[0]) || is_unix_spec(pos[2])) {
    cli::usage_error(cli::program() + " relays UDP only: give IP addresses or host names");
  }
  c.relay.listen = cli::resolve_or_die(pos[0], &pos[1], Purpose::bind, kExitFailure);
  const auto servers = cli::resolve_or_die(pos[2], &pos[3], Purpose::connect, kExitFailure);
  if (servers.front().port() == 0) cli::usage_error("invalid server port '0'");
  c.relay.server = servers.front();

  const bool seed_given = c.seed.has_value();
  c.relay.seed = seed_given ? *c.seed : random_seed();
  if (c.verbose) {
    c.relay.trace = trace;
    c.relay.log = [](const std::string& line) { cli::log_line(Severity::info, line); };
  }
  if (!c.pcap_path.empty()) {
    auto writer = capture::PcapWriter::open(c.pcap_path, capture::Link::ip);
    if (!writer) cli::die(writer.error().message(), kExitFailure);
    g_pcap.emplace(std::move(*writer));
    c.relay.wire = capture_datagram;
  }
  raise_fd_limit(c.relay.max_flows);
  print_parameters(c.relay, c.relay.seed, seed_given);

  auto relay = linksim::Relay::create(std::move(c.relay));
  if (!relay) cli::die(relay.error().message(), kExitFailure);
  g_relay = &*relay;
  // The loop hands a copy of its counters to a scrape (Relay::snapshot); a second is more than
  // a turn of the loop ever takes.
  std::optional<metrics::HttpEndpoint> endpoint;
  if (!c.metrics.empty()) {
    endpoint.emplace(cli::start_metrics_or_die(
        c.metrics,
        [r = &*relay] { return metrics::linksim_metrics(r->snapshot(std::chrono::seconds(1))); },
        kExitFailure));
  }
  cli::on_signal(SIGINT, on_stop);
  cli::on_signal(SIGTERM, on_stop);
  cli::log_line(Severity::info, "listening on " + relay->local_address().to_string() +
                                    ", forwarding to " + relay->server_address().to_string());

  const Status st = relay->run();
  if (g_pcap) {
    const std::uint64_t records = g_pcap->records();
    if (const Status closed = g_pcap->close(); !closed) {
      cli::log_line(Severity::warning, closed.error().message());
    } else {
      cli::log_line(Severity::info,
                    "wrote " + std::to_string(records) + " datagrams to " + g_pcap->path());
    }
  }
  const linksim::RelayStats& s = relay->stats();
  cli::log_line(Severity::info, "stopped");
  for (Direction d : {Direction::forward, Direction::reverse}) {
    cli::log_line(Severity::info, linksim::summary_line(d, s[d]));
  }
  cli::log_line(Severity::info, linksim::summary_line(s.flows, s.held_now));
  if (!st) cli::die(st.error().message(), kExitFailure);
  return 0;
}
