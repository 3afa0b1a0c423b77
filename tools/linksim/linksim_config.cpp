// SPDX-License-Identifier: MIT
// tools/linksim/linksim_config.cpp -- implementation of linksim_config.hpp: the option tables
// that also write `linksim --help`.
#include "linksim_config.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <string_view>
#include <type_traits>

#include "cli.hpp"
#include "metrics_option.hpp"
#include "number.hpp"
#include "options.hpp"

namespace sockcalc::linksim_program {
namespace {

using linksim::Direction;

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

}  // namespace

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

}  // namespace sockcalc::linksim_program
