// SPDX-License-Identifier: MIT
// tools/linksim/main.cpp -- the `linksim` program: parse the command line into RelayOptions,
// print every effective parameter and the seed, relay until SIGINT or SIGTERM, print a summary.
// Single-threaded; the work is done by linksim::Relay.
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "cli.hpp"
#include "log.hpp"
#include "metrics_option.hpp"
#include "msc_option.hpp"
#include "options.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/linksim/relay.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "sockcalc/tool_metrics/tool_metrics.hpp"
#include "trace.hpp"

namespace {

using namespace sockcalc;
using cli::Severity;
using linksim::Direction;

constexpr int kExitFailure = 1;

// The --help text around the option tables (fault_options, other_options), whose descriptions
// start at kHelpColumn.
constexpr std::size_t kHelpColumn = 25;
constexpr std::string_view kHelp =
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
%options:faults%
Faults are drawn in the order loss, cut, corrupt, dup, reorder, delay.

Other options:
%options:other%

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
  std::string msc_path;
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

// The --msc diagram: every datagram as it reached linksim and as each copy left, with
// linksim as one entity between the clients and the server; a dropped datagram as a lost arc
// from linksim, the other faults noted on the arc that brought the datagram. Written by the
// relay's thread only (the MscFile locks all the same).
struct Diagram {
  std::optional<cli::MscFile> file;
  std::string link;                         // linksim's entity: its listening address
  std::string server;                       // the server's entity
  std::size_t arrived = msc::Chart::kNone;  // the arc of the datagram the next trace is about

  void wire(const linksim::WireRecord& r) {
    msc::Datagram arc;
    arc.when = msc::Clock::now();
    arc.from = r.received ? cli::entity_of(r.from) : link;
    arc.to = r.received ? link : cli::entity_of(r.to);
    const bool from_server = r.received && arc.from == server;
    const bool to_server = !r.received && arc.to == server;
    arc.role = from_server || (!r.received && !to_server) ? msc::Role::reply : msc::Role::request;
    arc.bytes.assign(r.bytes.begin(), r.bytes.end());
    arc.wire_length = r.wire_length;
    const std::size_t index = file->add(std::move(arc));
    if (r.received) arrived = index;
  }

  void decided(const linksim::TraceRecord& r) {
    const bool forward = r.direction == Direction::forward;
    if (r.action == "drop") {
      msc::Datagram arc;
      arc.when = msc::Clock::now();
      arc.from = link;
      arc.to = forward ? server : cli::entity_of(r.peer);
      arc.role = forward ? msc::Role::request : msc::Role::reply;
      arc.bytes.assign(r.bytes.begin(), r.bytes.end());
      arc.wire_length = r.wire_length;
      arc.fate = msc::Fate::lost;
      arc.note = "dropped by linksim";
      file->add(std::move(arc));
    } else if (r.action != "pass") {
      file->annotate(arrived, "linksim: " + std::string(r.action));
    }
    arrived = msc::Chart::kNone;
  }
};
Diagram g_diagram;

unsigned parse_direction_or_die(std::string_view text) {
  if (text == "forward") return 1u << linksim::as_index(Direction::forward);
  if (text == "reverse") return 1u << linksim::as_index(Direction::reverse);
  if (text == "both") return 3u;
  cli::usage_error("invalid direction '" + std::string(text) +
                   "': must be forward, reverse or both");
}

// What reading the command line keeps from one option to the next: the directions the fault
// options apply to (set by the last --direction), and a --direction no fault option followed.
struct FaultScope {
  unsigned directions = 3u;
  std::string dangling;
};

// The setter of a fault option: its value (a percentage, or milliseconds for the durations)
// goes to `field` of every direction `scope` selects.
template <typename T>
cli::Setter fault(Config& c, FaultScope& scope, T linksim::FaultConfig::*field,
                  std::string_view what) {
  return [&c, &scope, field, what](std::string_view text) {
    T value{};
    if constexpr (std::is_same_v<T, double>) {
      value = cli::decimal_or_die(text, what, 0, linksim::kMaxRate, "a percentage");
    } else {
      value = T(cli::whole_or_die(text, what, 0, linksim::kMaxDelay.count()));
    }
    for (Direction d : {Direction::forward, Direction::reverse}) {
      if ((scope.directions & (1u << linksim::as_index(d))) == 0) continue;
      c.relay.faults[linksim::as_index(d)].*field = value;
    }
    scope.dangling.clear();
  };
}

// The fault options, in the "faults" group of --help.
std::vector<cli::Option> fault_options(Config& c, FaultScope& scope) {
  using linksim::FaultConfig;
  return {
      {.name = "direction",
       .arg = "DIR",
       .help = "forward (client -> server), reverse (server -> client)\n"
               "or both (the default)",
       .set =
           [&scope](std::string_view v) {
             scope.directions = parse_direction_or_die(v);
             scope.dangling = std::string(v);
           }},
      {.short_name = 'l',
       .name = "loss",
       .arg = "PCT",
       .help = "drop the datagram (default 0)",
       .set = fault(c, scope, &FaultConfig::loss, "loss")},
      {.name = "dup",
       .arg = "PCT",
       .help = "send it twice; the copy gets its own jitter (default 0)",
       .set = fault(c, scope, &FaultConfig::duplicate, "dup")},
      {.name = "reorder",
       .arg = "PCT",
       .help = "hold it back until the next datagram of the same\n"
               "client and direction has gone, or --reorder-hold\n"
               "passed (default 0)",
       .set = fault(c, scope, &FaultConfig::reorder, "reorder")},
      {.short_name = 'd',
       .name = "delay",
       .arg = "MS",
       .help = "delay every datagram (default 0)",
       .set = fault(c, scope, &FaultConfig::delay, "delay")},
      {.short_name = 'j',
       .name = "jitter",
       .arg = "MS",
       .help = "add a uniform 0..MS more to each copy (default 0)",
       .set = fault(c, scope, &FaultConfig::jitter, "jitter")},
      {.short_name = 'e',
       .name = "corrupt",
       .arg = "PCT",
       .help = "xor one random byte with a random non-zero mask (the\n"
               "course's error rate; default 0)",
       .set = fault(c, scope, &FaultConfig::corrupt, "corrupt")},
      {.short_name = 'c',
       .name = "cut",
       .arg = "PCT",
       .help = "truncate to a random shorter length, 0..size-1\n"
               "(default 0)",
       .set = fault(c, scope, &FaultConfig::cut, "cut")},
  };
}

// The other options, in the "other" group of --help.
std::vector<cli::Option> other_options(Config& c) {
  linksim::RelayOptions& r = c.relay;
  return {
      {.short_name = 's',
       .name = "seed",
       .arg = "N",
       .help = "seed of the random decisions, 0..2^64-1 (default: a\n"
               "random one, printed so that a run can be replayed)",
       .set =
           [&c](std::string_view v) {
             c.seed = cli::whole_or_die(v, "seed", 0, std::numeric_limits<std::uint64_t>::max());
           }},
      {.name = "reorder-hold",
       .arg = "MS",
       .help = "longest hold of a reordered datagram, 1..60000\n"
               "(default 100)",
       .set = cli::set_whole(r.reorder_hold, "reorder hold", 1, linksim::kMaxDelay.count())},
      {.name = "idle-timeout",
       .arg = "S",
       .help = "close a client's flow after S seconds without\n"
               "traffic, 0.001..86400, decimals allowed (default 60)",
       .set =
           [&r](std::string_view v) {
             r.idle_timeout = std::chrono::milliseconds(std::llround(
                 1000 * cli::decimal_or_die(v, "idle timeout", 0.001, 86400, "seconds")));
           }},
      {.name = "max-flows",
       .arg = "N",
       .help = "clients relayed at once, 1..1000000; a new client\n"
               "evicts the least recently active one (default 1024)",
       .set = cli::set_whole(r.max_flows, "max flows", 1, 1'000'000)},
      {.name = "max-held",
       .arg = "N",
       .help = "copies waiting (delayed or reordered) at once,\n"
               "1..10000000; more are dropped and counted (default\n"
               "10000)",
       .set = cli::set_whole(r.max_held, "max held", 1, 10'000'000)},
      {.name = "max-held-bytes",
       .arg = "N",
       .help = "bytes of those copies, 1..2^32 (default 67108864)",
       .set = cli::set_whole(r.max_held_bytes, "max held bytes", 1, 4'294'967'296)},
      {.name = "poll",
       .help = "use poll(2) instead of epoll",
       .set = [&r](std::string_view) { r.poller = linksim::PollerKind::poll; }},
      {.name = "pcap",
       .arg = "FILE",
       .help = "write every datagram received and sent, on both\n"
               "sides, to FILE, a pcap capture Wireshark reads (no\n"
               "root needed)",
       .set = cli::set_text(c.pcap_path)},
      {.name = "msc",
       .arg = "FILE",
       .help = "write the exchanges to FILE as a time-sequence diagram,\n"
               "mscgen input: clients, linksim and the server, lost\n"
               "arcs for the datagrams dropped, each fault noted\n"
               "(docs/DIAGRAMS.md); written when linksim stops",
       .set = cli::set_text(c.msc_path)},
      {.name = "metrics",
       .arg = "ENDPOINT",
       .help = "serve the counters in Prometheus' text format over\n"
               "HTTP (GET /metrics) on ENDPOINT, a TCP ADDRESS:PORT:\n"
               "'[::1]:9122', '127.0.0.1:0' (0 takes a free port,\n"
               "printed in the line \"metrics on ADDRESS\"), ':9122'\n"
               "(every address)",
       .set =
           [&c](std::string_view v) { c.metrics = cli::metrics_address_or_die(v, kExitFailure); }},
      {.short_name = 'v',
       .name = "verbose",
       .help = "log every datagram: direction, client, bytes in hex,\n"
               "meaning, decision; and every flow created or closed",
       .set = cli::set_flag(c.verbose)},
  };
}

Config parse(int argc, char** argv) {
  Config c;
  FaultScope scope;
  cli::CommandLine command{
      .help = kHelp, .column = kHelpColumn, .options = fault_options(c, scope)};
  for (cli::Option& o : command.options) o.group = "faults";
  for (cli::Option& o : other_options(c)) {
    o.group = "other";
    command.options.push_back(std::move(o));
  }
  c.positionals = cli::parse_or_exit(command, argc, argv);
  if (!scope.dangling.empty()) {
    cli::usage_error("'--direction " + scope.dangling +
                     "' is followed by no fault option: it selects the direction of the "
                     "faults after it");
  }
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

void log_trace(const linksim::TraceRecord& r) {
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

// The four positional arguments: where linksim listens and the server it relays to.
void resolve_peers(Config& c) {
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
}

// --pcap and --msc: the files, and the relay's hooks that feed them and -v. Each hook only when
// asked for: without -v, --pcap and --msc the relay's path calls none.
void open_recorders(Config& c) {
  if (!c.pcap_path.empty()) {
    auto writer = capture::PcapWriter::open(c.pcap_path, capture::Link::ip);
    if (!writer) cli::die(writer.error().message(), kExitFailure);
    g_pcap.emplace(std::move(*writer));
  }
  if (!c.msc_path.empty()) {
    auto file = cli::MscFile::create(c.msc_path);
    if (!file) cli::die(file.error().message(), kExitFailure);
    g_diagram.file.emplace(c.msc_path, *file);
    g_diagram.server = cli::entity_of(c.relay.server);
  }
  if (c.verbose || g_diagram.file) {
    c.relay.trace = [verbose = c.verbose](const linksim::TraceRecord& r) {
      if (verbose) log_trace(r);
      if (g_diagram.file) g_diagram.decided(r);
    };
  }
  if (g_pcap || g_diagram.file) {
    c.relay.wire = [](const linksim::WireRecord& r) {
      if (g_pcap) capture_datagram(r);
      if (g_diagram.file) g_diagram.wire(r);
    };
  }
}

// Closes the capture and writes the diagram, saying how many datagrams each holds.
void close_recorders() {
  if (g_pcap) {
    const std::uint64_t records = g_pcap->records();
    if (const Status closed = g_pcap->close(); !closed) {
      cli::log_line(Severity::warning, closed.error().message());
    } else {
      cli::log_line(Severity::info,
                    "wrote " + std::to_string(records) + " datagrams to " + g_pcap->path());
    }
  }
  if (g_diagram.file) {
    const std::size_t arcs = g_diagram.file->arcs();
    if (const Status written = g_diagram.file->finish(); !written) {
      cli::log_line(Severity::warning, written.error().message());
    } else {
      cli::log_line(Severity::info, "wrote a diagram of " + std::to_string(arcs) +
                                        " datagrams to " + g_diagram.file->path());
    }
  }
}

void log_summary(const linksim::RelayStats& s) {
  cli::log_line(Severity::info, "stopped");
  for (Direction d : {Direction::forward, Direction::reverse}) {
    cli::log_line(Severity::info, linksim::summary_line(d, s[d]));
  }
  cli::log_line(Severity::info, linksim::summary_line(s.flows, s.held_now));
}

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitFailure);
  Config c = parse(argc, argv);
  resolve_peers(c);

  const bool seed_given = c.seed.has_value();
  c.relay.seed = seed_given ? *c.seed : random_seed();
  if (c.verbose) {
    c.relay.log = [](const std::string& line) { cli::log_line(Severity::info, line); };
  }
  open_recorders(c);
  raise_fd_limit(c.relay.max_flows);
  print_parameters(c.relay, c.relay.seed, seed_given);

  auto relay = linksim::Relay::create(std::move(c.relay));
  if (!relay) cli::die(relay.error().message(), kExitFailure);
  g_relay = &*relay;
  if (g_diagram.file) {
    g_diagram.link = cli::entity_of(relay->local_address());
    g_diagram.file->name(g_diagram.link, "linksim");
  }
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
  close_recorders();
  log_summary(relay->stats());
  if (!st) cli::die(st.error().message(), kExitFailure);
  return 0;
}
