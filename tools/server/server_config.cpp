// SPDX-License-Identifier: MIT
// tools/server/server_config.cpp -- implementation of server_config.hpp: the option table that
// also writes `server --help`.
#include "server_config.hpp"

#include <string_view>

#include "cli.hpp"
#include "metrics_option.hpp"
#include "number.hpp"
#include "options.hpp"
#include "sockcalc/core/cpus.hpp"

namespace sockcalc::server_program {
namespace {

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

}  // namespace

Config parse(int argc, char** argv) {
  Config c;
  c.options.threads = usable_cpus();
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

}  // namespace sockcalc::server_program
