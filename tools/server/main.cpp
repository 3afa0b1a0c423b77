// SPDX-License-Identifier: MIT
// tools/server/main.cpp -- the `server` program: parse the command line, bind, serve until
// SIGINT or SIGTERM. The work is done by server::Server's workers; this file only configures
// it, drops root (--user) and turns signals into requests.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "log.hpp"
#include "metrics_option.hpp"
#include "msc_option.hpp"
#include "options.hpp"
#include "privileges.hpp"
#include "sockcalc/capture/pcap_writer.hpp"
#include "sockcalc/core/cpus.hpp"
#include "sockcalc/protocol/describe.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/server_metrics/server_metrics.hpp"
#include "sockcalc/socket/activation.hpp"
#include "sockcalc/version.hpp"
#include "trace.hpp"

namespace {

using namespace sockcalc;

constexpr int kExitFailure = 1;
// The send buffer of a Unix socket unless --send-buffer says otherwise: the kernel doubles it
// for its bookkeeping, and a small reply costs 768 bytes of it, so 8 MiB hold 10922 replies not
// read yet (docs/SERVICE.md). Past net.core.wmem_max only as root; otherwise capped there.
constexpr int kUnixSendBuffer = 4 << 20;

// The --help text around the option table (serving_options, reporting_options), whose
// descriptions start at kHelpColumn.
constexpr std::size_t kHelpColumn = 20;
constexpr std::string_view kHelp = R"(Usage: %prog% [options] ADDRESS PORT
  or:  %prog% [options] unix:PATH
  or:  %prog% [options]   (socket activation: serves the socket passed as fd 3)
Answer calc requests (sum or product of 1 to 64 unsigned 32-bit integers) over UDP
or a Unix-domain datagram socket, until SIGINT or SIGTERM.

  ADDRESS           address or host name to listen on: '::' (every IPv6 and
                    IPv4 address, dual stack), '::1', '0.0.0.0', '127.0.0.1', a
                    name; a link-local address with its interface,
                    'fe80::1%eth0'. An IPv6 address may be bracketed, '[::1]',
                    as it is printed
  PORT              UDP port, 0..65535; 0 takes a free port
  unix:PATH         a Unix-domain socket file (removed on exit if it is still
                    the socket this server made); unix:@NAME for an abstract
                    name. A name's bytes outside printable ASCII are printed,
                    and may be written, as \xHH; a backslash as \\

Options:
%options%

Socket activation: started with no ADDRESS by a service manager (systemd) that
passes one bound datagram socket (LISTEN_FDS=1, LISTEN_PID=the server's pid),
the server serves that socket, fd 3, with all its workers; it refuses a stream
socket, an unbound one, or more than one socket (exit 1). Without a passed
socket, ADDRESS is required. docs/SERVICE.md has the systemd units.

One line on stderr tells where the server listens, with the real port, the
version and the worker count. SIGUSR1 logs the counters; they are logged on exit
too. SIGHUP (a service manager's reload) is logged and reopens the --pcap file;
the server goes on serving. The log is one line per event on stderr, each
starting with "%prog%: ", no colour, no timestamp (a journal adds its own).
Under systemd's journal ($JOURNAL_STREAM names stderr) a line starts with its
severity instead, "<3>" (error), "<4>" (warning), "<6>" (info) or "<7>" (-v
trace), and journalctl adds the name. A byte a peer chose (in its Unix name) that is not
printable ASCII is written \xHH, so no peer can break or colour a line. A line
that cannot be written (stderr closed, or its reader gone) is dropped; the
server goes on serving. So does a failed --pcap write (a full disk): said
once, it ends the capture, not the service.

Exit status: 0 after SIGINT/SIGTERM, 1 when it cannot start, 2 usage error.

Examples:
  %prog% :: 10000   every address, IPv6 and IPv4, UDP port 10000
  %prog% --socket-mode 0660 unix:/run/calc/calc.sock
                    a socket file only its owner and group may use
)";

using cli::Severity;

// One write(2) per line, so that lines from several workers never interleave.
void log(Severity severity, const std::string& line) { cli::log_line(severity, line); }
void log_info(const std::string& line) { log(Severity::info, line); }

server::Server* g_server = nullptr;

void on_stop(int) {
  if (g_server) g_server->request_stop();
}
void on_report(int) {
  if (g_server) g_server->request_report();
}
void on_reload(int) {
  if (g_server) g_server->request_reload();
}

struct Config {
  std::vector<std::string> positionals;
  server::ServerOptions options;
  bool verbose = false;
  std::string pcap_path;
  std::string msc_path;               // --msc
  std::optional<cli::Identity> user;  // --user (--group replaces its gid)
  std::optional<gid_t> group;
  std::vector<Address> metrics;  // --metrics: where the Prometheus endpoint listens (or none)
};

// The --pcap capture: opened once the local address is known, written by the workers' tap,
// replaced by a new file on SIGHUP when the old one was moved away. `mutex` keeps a worker's
// record from meeting the swap (PcapWriter itself serialises the writes).
struct Capture {
  std::mutex mutex;
  std::optional<capture::PcapWriter> writer;
  std::string path;
  Address local;
  dev_t device = 0;  // the file this writer writes, to tell whether it is still at `path`
  ino_t inode = 0;

  Status open() {
    auto opened = capture::PcapWriter::open(path, capture::link_for(local));
    if (!opened) return opened.error();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      device = st.st_dev;
      inode = st.st_ino;
    }
    const std::lock_guard lock(mutex);
    if (writer) static_cast<void>(writer->close());  // the old file: its records are all out
    writer.emplace(std::move(*opened));
    failed.store(false);
    return Ok{};
  }

  // SIGHUP: a file still at `path` is kept (reopening would truncate it); a file moved away
  // (logrotate) or removed is closed, and a new one begins at `path` with its own pcap header.
  void reopen() {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_dev == device && st.st_ino == inode) {
      log_info("capture " + path + " is still in place: kept");
      return;
    }
    if (const Status st_open = open(); !st_open) {
      const std::lock_guard lock(mutex);
      failed.store(true);
      log(Severity::warning, st_open.error().message() + "; the capture stops here");
      return;
    }
    log_info("capture " + path + " reopened: a new file");
  }

  void record(const server::TapRecord& r) {
    const std::lock_guard lock(mutex);
    if (!writer || failed.load(std::memory_order_relaxed)) return;
    const auto now = std::chrono::system_clock::now();
    // On a wildcard address, the server's side is the address the request was sent to.
    const Address side =
        r.local != nullptr && !r.local->empty() ? r.local->address(local.port()) : local;
    Status written = Ok{};
    if (r.event == server::TapEvent::received) {
      written = writer->write_truncated(r.peer, side, r.bytes, r.wire_length, now);
    } else if (r.event == server::TapEvent::sent) {
      written = writer->write(side, r.peer, r.bytes, now);
    }
    // A failed write (a full disk) ends the capture, not the service: said once, by the first
    // worker that sees it (the writer refuses every later record).
    if (!written && !failed.exchange(true)) {
      log(Severity::warning, written.error().message() + "; the capture stops here");
    }
  }
  std::atomic<bool> failed{false};
};
Capture g_capture;

// The --msc diagram: each request and reply as an arc between the client and the server's
// side (the address the request was sent to), a reply the kernel refused as a lost arc, a
// request left unanswered as a box. Written by the workers' tap; MscFile locks.
struct Diagram {
  std::optional<cli::MscFile> file;
  Address local;

  void record(const server::TapRecord& r) {
    using server::TapEvent;
    const std::string side = cli::entity_of(
        r.local != nullptr && !r.local->empty() ? r.local->address(local.port()) : local);
    const std::string peer = cli::entity_of(r.peer);
    if (r.event == TapEvent::unanswerable || r.event == TapEvent::rate_limited) {
      file->mark(side, "no reply to " + peer +
                           (r.event == TapEvent::rate_limited ? ": over its rate limit"
                                                              : ": the sender has no address"));
      return;
    }
    msc::Datagram arc;
    arc.when = msc::Clock::now();
    const bool received = r.event == TapEvent::received;
    arc.from = received ? peer : side;
    arc.to = received ? side : peer;
    arc.role = received ? msc::Role::request : msc::Role::reply;
    arc.bytes.assign(r.bytes.begin(), r.bytes.end());
    arc.wire_length = r.wire_length;
    if (r.event == TapEvent::send_failed) {
      arc.fate = msc::Fate::lost;
      arc.note = std::string("not sent: ") + std::strerror(r.error);
    }
    file->add(std::move(arc));
  }
};
Diagram g_diagram;

// The -v trace of one tap record, on stderr: a datagram left unanswered is a warning.
void log_datagram(const server::TapRecord& r) {
  using server::TapEvent;
  std::string line;
  Severity severity = Severity::warning;
  switch (r.event) {
    case TapEvent::received:
      line = cli::trace_line("from", r.peer, r.bytes, r.wire_length,
                             protocol::describe_request(r.bytes, r.wire_length));
      severity = Severity::debug;
      break;
    case TapEvent::sent:
      line = cli::trace_line("to", r.peer, r.bytes, r.wire_length,
                             protocol::describe_reply(r.bytes, r.format));
      severity = Severity::debug;
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
  log(severity, line);
}

server::Engine parse_engine_or_die(std::string_view text) {
  if (text == "batch") return server::Engine::batch;
  if (text == "simple") return server::Engine::simple;
  cli::usage_error("invalid engine '" + std::string(text) + "': must be batch or simple");
}

// --socket-mode: octal permission bits, 0..0777 (no set-id or sticky bit: they mean nothing
// on a socket).
mode_t parse_mode_or_die(std::string_view text) {
  constexpr std::size_t kMaxDigits = 4;  // "0660"
  const auto mode = text.size() <= kMaxDigits ? cli::parse_whole(text, 0, 0777, 8) : std::nullopt;
  if (!mode) {
    cli::usage_error("invalid socket mode '" + std::string(text) +
                     "': must be octal permission bits 0..0777, such as 0660");
  }
  return static_cast<mode_t>(*mode);
}

// --socket-group, --group: a group name, or a number.
gid_t parse_group_or_die(std::string_view text) {
  const auto gid = cli::lookup_group(std::string(text));
  if (!gid) cli::usage_error("unknown group '" + std::string(text) + "'");
  return *gid;
}

// --user: a user name, or a number.
cli::Identity parse_user_or_die(std::string_view text) {
  const auto user = cli::lookup_user(std::string(text));
  if (!user) cli::usage_error("unknown user '" + std::string(text) + "'");
  return *user;
}

// The options of how the server serves: workers, engine, buffers, socket file, rate limit.
std::vector<cli::Option> serving_options(Config& c) {
  server::ServerOptions& o = c.options;
  SocketOptions& socket = c.options.socket;
  return {
      {.short_name = 't',
       .name = "threads",
       .arg = "N",
       .help = "workers (default: one per CPU this process may use: its\n"
               "affinity mask, as taskset sets it, and its cgroup's CPU\n"
               "quota, rounded up). Over UDP each has its own SO_REUSEPORT\n"
               "socket; a Unix socket is shared",
       .set = cli::set_whole(o.threads, "threads", 1, 256)},
      {.name = "engine",
       .arg = "E",
       .help = "'batch' (default): recvmmsg/sendmmsg, up to --batch\n"
               "datagrams a call; 'simple': the course's loop, one recvfrom\n"
               "and one sendto per datagram",
       .set = [&o](std::string_view v) { o.engine = parse_engine_or_die(v); }},
      {.name = "batch",
       .arg = "N",
       .help = "datagrams per recvmmsg/sendmmsg call, 1..1024 (default 32)",
       .set = cli::set_whole(o.batch, "batch", 1, 1024)},
      {.name = "busy-poll",
       .help = "workers spin instead of sleeping: the lowest latency, at\n"
               "the price of one busy core per worker",
       .set = cli::set_flag(o.busy_poll)},
      {.name = "recv-buffer",
       .arg = "BYTES",
       .help = "each socket's receive buffer, 4096..1073741824 (default:\n"
               "the system's, net.core.rmem_default: 256 small\n"
               "requests); above net.core.rmem_max only for root. Room\n"
               "for bursts of requests",
       .set = cli::set_whole(socket.recv_buffer, "receive buffer", 4096, 1 << 30)},
      {.name = "send-buffer",
       .arg = "BYTES",
       .help = "each socket's send buffer, 4096..1073741824 (default: the\n"
               "system's, net.core.wmem_default; 4194304 for a Unix socket,\n"
               "which stays charged with every reply a client has not read\n"
               "yet: room for ~10000 of them); above net.core.wmem_max only\n"
               "for root",
       .set = cli::set_whole(socket.send_buffer, "send buffer", 4096, 1 << 30)},
      {.name = "socket-mode",
       .arg = "MODE",
       .help = "unix:PATH only: the socket file's permissions, in octal\n"
               "(0660: the owner and the group may connect, no one else).\n"
               "Default: as the umask gives",
       .set = [&socket](std::string_view v) { socket.file_mode = parse_mode_or_die(v); }},
      {.name = "socket-group",
       .arg = "GROUP",
       .help = "unix:PATH only: the socket file's group, a name or a number\n"
               "(the server must be root or a member). Default: the\n"
               "server's",
       .set = [&socket](std::string_view v) { socket.file_group = parse_group_or_die(v); }},
      {.name = "rate-limit",
       .arg = "N",
       .help = "serve at most N requests a second per source IP address\n"
               "and worker (token bucket, bursts of N); the rest are\n"
               "dropped unanswered and counted. Sources share 65536 hashed\n"
               "buckets a worker: a collision only makes the limit\n"
               "stricter. Default: no limit",
       .set = cli::set_whole(o.rate_limit, "rate limit", 1, 100'000'000)},
  };
}

// The options of its identity (--user, --group: checked together once all are read) and of
// what it tells: metrics, trace, capture, diagram.
std::vector<cli::Option> reporting_options(Config& c) {
  return {
      {.name = "user",
       .arg = "USER",
       .help = "started as root: bind, open --pcap, then run as USER (a\n"
               "name or a number) and its group, with no supplementary\n"
               "groups, before the first datagram; exit 1 if that fails",
       .set = [&c](std::string_view v) { c.user = parse_user_or_die(v); }},
      {.name = "group",
       .arg = "GROUP",
       .help = "with --user: run as GROUP (a name or a number) instead of\n"
               "USER's own group",
       .set = [&c](std::string_view v) { c.group = parse_group_or_die(v); }},
      {.name = "metrics",
       .arg = "ENDPOINT",
       .help = "serve the counters in Prometheus' text format over HTTP\n"
               "(GET /metrics) on ENDPOINT, a TCP ADDRESS:PORT:\n"
               "'[::1]:9120', '127.0.0.1:0' (0 takes a free port, printed\n"
               "in the line \"metrics on ADDRESS\"), ':9120' (every\n"
               "address). Read when scraped, on a thread of its own\n"
               "(docs/SERVICE.md)",
       .set =
           [&c](std::string_view v) { c.metrics = cli::metrics_address_or_die(v, kExitFailure); }},
      {.short_name = 'v',
       .name = "verbose",
       .help = "log every request and reply: peer, bytes in hex, meaning",
       .set = cli::set_flag(c.verbose)},
      {.name = "pcap",
       .arg = "FILE",
       .help = "write every datagram received and sent to FILE, a pcap\n"
               "capture Wireshark opens (no capture rights needed;\n"
               "docs/WIRESHARK.md). SIGHUP starts a new FILE once the\n"
               "old one was moved away (log rotation)",
       .set = cli::set_text(c.pcap_path)},
      {.name = "msc",
       .arg = "FILE",
       .help = "write every request and reply to FILE as a time-sequence\n"
               "diagram, mscgen input (docs/DIAGRAMS.md), when the server\n"
               "stops; at most 2000 arcs, a last row counts the rest",
       .set = cli::set_text(c.msc_path)},
  };
}

Config parse(int argc, char** argv) {
  Config c;
  c.options.threads = usable_cpus();
  c.options.log = log_info;
  cli::CommandLine command{.help = kHelp,
                           .column = kHelpColumn,
                           .spelling = cli::Spelling::long_only,
                           .options = serving_options(c)};
  for (cli::Option& o : reporting_options(c)) command.options.push_back(std::move(o));
  c.positionals = cli::parse_or_exit(command, argc, argv);
  if (c.group && !c.user) cli::usage_error("--group needs --user");
  if (c.user && c.group) c.user->gid = *c.group;
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
  const bool file_options = options.socket.file_mode || options.socket.file_group;
  if (pos.empty() && file_options) {
    cli::usage_error(
        "--socket-mode and --socket-group need unix:PATH; a passed socket's file "
        "belongs to the service manager (SocketMode=, SocketGroup=)");
  }
  if (pos.empty()) return server::Server::adopt(passed_socket_or_die(), std::move(options));
  const bool unix_socket = is_unix_spec(pos[0]);
  if (file_options && (!unix_socket || pos[0].starts_with("unix:@"))) {
    cli::usage_error("--socket-mode and --socket-group apply to a unix:PATH socket file, not to '" +
                     pos[0] + "'");
  }
  // A Unix socket stays charged with every reply its clients have not read yet: the system's
  // default (~277 small replies) lets a few careless clients stop it (docs/SERVICE.md).
  if (unix_socket && options.socket.send_buffer == 0) {
    options.socket.send_buffer = kUnixSendBuffer;
  }
  if (pos.size() > (unix_socket ? 1u : 2u))
    cli::usage_error("unexpected argument '" + pos.back() + "'");
  const auto candidates =
      cli::resolve_or_die(pos[0], pos.size() > 1 ? &pos[1] : nullptr, Purpose::bind, kExitFailure);
  return server::Server::bind(candidates, std::move(options));
}

// --user: the socket file this server made becomes the user's (its group: --socket-group's, or
// the user's), so that the server can still remove it at exit from a sticky directory such as
// /tmp; then root is dropped for good. Any failure ends the start: never serve as root by
// mistake.
void drop_root_or_die(const server::Server& server, const Config& c) {
  const Address& local = server.local_address();
  if (local.is_unix() && !local.is_abstract()) {
    const gid_t group = c.options.socket.file_group.value_or(c.user->gid);
    if (::chown(local.unix_path().c_str(), c.user->uid, group) != 0) {
      cli::die(errno_error(errno, "cannot give the socket file " + local.to_string() + " to uid " +
                                      std::to_string(c.user->uid))
                   .message(),
               kExitFailure);
    }
  }
  if (const Status dropped = cli::drop_privileges(*c.user); !dropped) {
    cli::die(dropped.error().message() + "; not serving as root", kExitFailure);
  }
}

// The start line: where, which version, how many workers. Scripts read "listening on (\S+)".
std::string listening_line(const server::Server& server, int workers) {
  return "listening on " + server.local_address().to_string() + " (sockcalc " + kVersion + ", " +
         std::to_string(workers) + (workers == 1 ? " worker)" : " workers)");
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitFailure);
  const double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  Config c = parse(argc, argv);

  if (c.user && ::geteuid() != 0) {
    cli::die("--user needs root: started as uid " + std::to_string(::geteuid()) +
                 ", which cannot change user",
             kExitFailure);
  }
  const bool verbose = c.verbose;
  const bool capturing = !c.pcap_path.empty();
  const bool drawing = !c.msc_path.empty();
  const int workers = std::max(1, c.options.threads);
  if (drawing) {
    auto file = cli::MscFile::create(c.msc_path);
    if (!file) cli::die(file.error().message(), kExitFailure);
    g_diagram.file.emplace(c.msc_path, *file);
  }
  if (verbose || capturing || drawing) {
    c.options.tap = [verbose, capturing, drawing](const server::TapRecord& r) {
      if (verbose) log_datagram(r);
      if (capturing) g_capture.record(r);
      if (drawing) g_diagram.record(r);
    };
  }
  c.options.on_reload = [capturing] {
    log_info("SIGHUP: reloading");
    if (capturing) g_capture.reopen();
  };
  auto server = make_server(c.positionals, c.options);
  if (!server) cli::die(server.error().message(), kExitFailure);
  g_diagram.local = server->local_address();
  if (capturing) {
    g_capture.local = server->local_address();
    g_capture.path = c.pcap_path;
    if (const Status opened = g_capture.open(); !opened) {
      cli::die(opened.error().message(), kExitFailure);
    }
  }
  // Bound before root is dropped (a port below 1024), and before the start line, which then
  // follows "metrics on ADDRESS".
  std::optional<metrics::HttpEndpoint> endpoint;
  if (!c.metrics.empty()) {
    const metrics::ServerInfo info{.start_time_seconds = start_time};
    endpoint.emplace(cli::start_metrics_or_die(
        c.metrics, [&s = *server, info] { return metrics::server_metrics(s, info); },
        kExitFailure));
  }
  if (c.user) drop_root_or_die(*server, c);
  g_server = &*server;
  cli::on_signal(SIGINT, on_stop);
  cli::on_signal(SIGTERM, on_stop);
  cli::on_signal(SIGUSR1, on_report);
  cli::on_signal(SIGHUP, on_reload);
  log_info(listening_line(*server, workers));

  const Status st = server->run();
  if (drawing) {
    const std::size_t arcs = g_diagram.file->arcs();
    if (const Status written = g_diagram.file->finish(); !written) {
      log(Severity::warning, written.error().message());
    } else {
      log_info("wrote a diagram of " + std::to_string(arcs) + " datagrams to " + c.msc_path);
    }
  }
  log_info("stopped; " + server->stats().to_string());
  if (!st) cli::die(st.error().message(), kExitFailure);
  return 0;
}
