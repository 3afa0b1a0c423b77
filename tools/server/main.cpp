// tools/server/main.cpp -- the `server` program: parse the command line, bind, serve until
// SIGINT or SIGTERM. The work is done by server::Server's workers; this file only configures
// it and turns signals into requests.
#include <getopt.h>
#include <signal.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capture/pcap_writer.hpp"
#include "cli.hpp"
#include "protocol/describe.hpp"
#include "server/engine.hpp"
#include "socket/activation.hpp"
#include "trace.hpp"

namespace {

using namespace sockcalc;

constexpr int kExitFailure = 1;

constexpr const char* kHelp = R"(Usage: server [options] ADDRESS PORT
       server [options] unix:PATH
       server [options]       (socket activation: serve the socket passed as fd 3)
Answer calc requests (sum or product of 1 to 64 unsigned 32-bit integers) over UDP
or a Unix-domain datagram socket, until SIGINT or SIGTERM.

  ADDRESS        address or host name to listen on: '::' (every IPv6 and IPv4
                 address, dual stack), '::1', '0.0.0.0', '127.0.0.1', a name
  PORT           UDP port, 0..65535; 0 takes a free port
  unix:PATH      a Unix-domain socket file (removed on exit); unix:@NAME for
                 an abstract name

Options:
  -t, --threads N  workers (default: the number of CPUs, %CPUS% here). Over UDP each
                 has its own SO_REUSEPORT socket; a Unix socket is shared
      --engine E   'batch' (default): recvmmsg/sendmmsg, up to --batch datagrams
                 a call; 'simple': the course's loop, one recvfrom and one
                 sendto per datagram
      --batch N    datagrams per recvmmsg/sendmmsg call, 1..1024 (default 32)
      --busy-poll  workers spin instead of sleeping: the lowest latency, at the
                 price of one busy core per worker
      --recv-buffer BYTES
                 each socket's receive buffer, 4096..1073741824 (default: the
                 system's, net.core.rmem_default, ~200 small datagrams); above
                 net.core.rmem_max only for root. Room for bursts of requests
      --rate-limit N
                 serve at most N requests a second per source IP address and
                 worker (token bucket, bursts of N); the rest are dropped
                 unanswered and counted. Default: no limit
  -v, --verbose  log every request and reply: peer, bytes in hex, meaning
      --pcap FILE  write every datagram received and sent to FILE, a pcap
                 capture Wireshark opens (no capture rights needed;
                 docs/WIRESHARK.md)
  -h, --help     show this help and exit
  -V, --version  show the version and exit

Socket activation: started with no ADDRESS by a service manager (systemd) that
passes one bound datagram socket (LISTEN_FDS=1, LISTEN_PID=the server's pid),
the server serves that socket, fd 3, with all its workers; it refuses a stream
socket, an unbound one, or more than one socket (exit 1). Without a passed
socket, ADDRESS is required. docs/SERVICE.md has the systemd units.

One line on stderr tells where the server listens, with the real port.
SIGUSR1 logs the counters; they are logged on exit too. The log is one line per
event on stderr, each starting with "server: ", no colour, no timestamp (a
journal adds its own).

Exit status: 0 after SIGINT/SIGTERM, 1 when it cannot start, 2 usage error.
Example:  server :: 10000
)";

void print_help() {
  std::string text = kHelp;
  const auto at = text.find("%CPUS%");
  text.replace(at, 6, std::to_string(std::thread::hardware_concurrency()));
  std::cout << text;
}

// One write(2) per line, so that lines from several workers never interleave.
void write_line(const std::string& line) {
  const std::string out = "server: " + line + "\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, out.data(), out.size());
}

server::Server* g_server = nullptr;

void on_stop(int) {
  if (g_server) g_server->request_stop();
}
void on_report(int) {
  if (g_server) g_server->request_report();
}

struct Config {
  std::vector<std::string> positionals;
  server::ServerOptions options;
  bool verbose = false;
  std::string pcap_path;
};

// The --pcap capture: opened once the local address is known, written by the workers' tap
// (PcapWriter serialises concurrent writes).
struct Capture {
  std::optional<capture::PcapWriter> writer;
  Address local;

  void record(const server::TapRecord& r) {
    if (!writer) return;
    const auto now = std::chrono::system_clock::now();
    if (r.event == server::TapEvent::received) {
      (void)writer->write_truncated(r.peer, local, r.bytes, r.wire_length, now);
    } else if (r.event == server::TapEvent::sent) {
      (void)writer->write(local, r.peer, r.bytes, now);
    }
  }
};
Capture g_capture;

// The -v trace of one tap record, on stderr.
void log_datagram(const server::TapRecord& r) {
  using server::TapEvent;
  std::string line;
  switch (r.event) {
    case TapEvent::received:
      line = cli::trace_line("from", r.peer, r.bytes, r.wire_length,
                             protocol::describe_request(r.bytes, r.wire_length));
      break;
    case TapEvent::sent:
      line = cli::trace_line("to", r.peer, r.bytes, r.wire_length,
                             protocol::describe_reply(r.bytes, r.format));
      break;
    case TapEvent::send_failed:
      line = "reply to " + r.peer.to_string() + " lost: " + std::strerror(r.error);
      break;
    case TapEvent::unanswerable:
      line = "no reply to " + r.peer.to_string() + ": the sender has no address";
      break;
    case TapEvent::rate_limited:
      line = "no reply to " + r.peer.to_string() + ": over its rate limit";
      break;
  }
  write_line(line);
}

server::Engine parse_engine_or_die(std::string_view text) {
  if (text == "batch") return server::Engine::batch;
  if (text == "simple") return server::Engine::simple;
  cli::usage_error("invalid engine '" + std::string(text) + "': must be batch or simple");
}

Config parse(int argc, char** argv) {
  static const option kLong[] = {{"verbose", no_argument, nullptr, 'v'},
                                 {"threads", required_argument, nullptr, 't'},
                                 {"engine", required_argument, nullptr, 'E'},
                                 {"batch", required_argument, nullptr, 'B'},
                                 {"busy-poll", no_argument, nullptr, 'P'},
                                 {"pcap", required_argument, nullptr, 'C'},
                                 {"rate-limit", required_argument, nullptr, 'R'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"recv-buffer", required_argument, nullptr, 'F'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  Config c;
  c.options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.options.log = write_line;
  opterr = 0;
  int opt = 0;
  while ((opt = getopt_long_only(argc, argv, ":vt:R:hV", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'v':
        c.verbose = true;
        break;
      case 't':
        c.options.threads = static_cast<int>(cli::parse_number_or_die(optarg, "threads", 1, 256));
        break;
      case 'E':
        c.options.engine = parse_engine_or_die(optarg);
        break;
      case 'B':
        c.options.batch =
            static_cast<std::size_t>(cli::parse_number_or_die(optarg, "batch", 1, 1024));
        break;
      case 'C':
        c.pcap_path = optarg;
        break;
      case 'P':
        c.options.busy_poll = true;
        break;
      case 'R':
        c.options.rate_limit =
            static_cast<double>(cli::parse_number_or_die(optarg, "rate limit", 1, 100'000'000));
        break;
      case 'F':
        c.options.socket.recv_buffer =
            static_cast<int>(cli::parse_number_or_die(optarg, "receive buffer", 4096, 1 << 30));
        break;
      case 'h':
        print_help();
        std::exit(0);
      default:
        cli::finish_option(opt, "", argv);  // --version, or a usage error: exits
    }
  }
  for (int i = optind; i < argc; ++i) c.positionals.emplace_back(argv[i]);
  return c;
}

// The socket a service manager passed (socket activation), when no address was given.
// One socket only: a unit with several ListenDatagram= lines would leave all but one of them
// unserved, with clients waiting on them for ever, so it fails at start instead.
DatagramSocket passed_socket_or_die() {
  auto fds = activation::listen_fds();
  if (!fds) cli::die(fds.error().message(), kExitFailure);
  if (fds->empty()) cli::usage_error("missing ADDRESS and PORT (or unix:PATH)");
  if (fds->size() > 1) {
    cli::die("socket activation passed " + std::to_string(fds->size()) +
                 " sockets; this server serves exactly one (one ListenDatagram= line)",
             kExitFailure);
  }
  auto socket = activation::adopt_datagram_socket(fds->front());
  if (!socket) cli::die(socket.error().message(), kExitFailure);
  return std::move(*socket);
}

// Binds the address of the command line, or adopts the socket passed by socket activation.
Result<server::Server> make_server(const std::vector<std::string>& pos,
                                   server::ServerOptions options) {
  if (pos.empty()) return server::Server::adopt(passed_socket_or_die(), std::move(options));
  const bool unix_socket = is_unix_spec(pos[0]);
  if (pos.size() > (unix_socket ? 1u : 2u))
    cli::usage_error("unexpected argument '" + pos.back() + "'");
  const auto candidates =
      cli::resolve_or_die(pos[0], pos.size() > 1 ? &pos[1] : nullptr, Purpose::bind);
  return server::Server::bind(candidates, std::move(options));
}

}  // namespace

int main(int argc, char** argv) {
  cli::set_program("server");
  Config c = parse(argc, argv);

  const bool verbose = c.verbose;
  const bool capturing = !c.pcap_path.empty();
  if (verbose || capturing) {
    c.options.tap = [verbose, capturing](const server::TapRecord& r) {
      if (verbose) log_datagram(r);
      if (capturing) g_capture.record(r);
    };
  }
  auto server = make_server(c.positionals, std::move(c.options));
  if (!server) cli::die(server.error().message(), kExitFailure);
  if (capturing) {
    g_capture.local = server->local_address();
    auto writer = capture::PcapWriter::open(c.pcap_path, capture::link_for(g_capture.local));
    if (!writer) cli::die(writer.error().message(), kExitFailure);
    g_capture.writer.emplace(std::move(*writer));
  }
  g_server = &*server;
  cli::on_signal(SIGINT, on_stop);
  cli::on_signal(SIGTERM, on_stop);
  cli::on_signal(SIGUSR1, on_report);
  write_line("listening on " + server->local_address().to_string());

  const Status st = server->run();
  write_line("stopped; " + server->stats().to_string());
  if (!st) cli::die(st.error().message(), kExitFailure);
  return 0;
}
