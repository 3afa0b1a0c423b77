// SPDX-License-Identifier: MIT
// tools/linksim/main.cpp -- the `linksim` program: read the command line into RelayOptions
// (linksim_config), print every effective parameter and the seed, relay until SIGINT or SIGTERM,
// print a summary. Single-threaded; the work is done by linksim::Relay.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "linksim_config.hpp"
#include "log.hpp"
#include "metrics_option.hpp"
#include "msc_option.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/linksim/relay.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "sockcalc/tool_metrics/tool_metrics.hpp"
#include "trace.hpp"

namespace {

using namespace sockcalc;
using namespace sockcalc::linksim_program;
using cli::Severity;
using linksim::Direction;

linksim::Relay* g_relay = nullptr;

void on_stop(int) {
  if (g_relay) g_relay->request_stop();
}

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
