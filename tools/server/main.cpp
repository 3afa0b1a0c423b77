// SPDX-License-Identifier: MIT
// tools/server/main.cpp -- the `server` program: parse the command line, bind, serve until
// SIGINT or SIGTERM. The work is done by server::Server's workers; the command line is read by
// server_config, the taps (-v, --pcap, --msc) are in taps; this file starts the server, drops
// root (--user) and turns signals into requests.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "log.hpp"
#include "metrics_option.hpp"
#include "msc_option.hpp"
#include "privileges.hpp"
#include "server_config.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/server_metrics/server_metrics.hpp"
#include "sockcalc/socket/activation.hpp"
#include "sockcalc/version.hpp"
#include "taps.hpp"

namespace {

using namespace sockcalc;
using namespace sockcalc::server_program;
using cli::Severity;

// The send buffer of a Unix socket unless --send-buffer says otherwise: the kernel doubles it
// for its bookkeeping, and a small reply costs 768 bytes of it, so 8 MiB hold 10922 replies not
// read yet (docs/SERVICE.md). Past net.core.wmem_max only as root; otherwise capped there.
constexpr int kUnixSendBuffer = 4 << 20;

// One write(2) per line, so that lines from several workers never interleave.
void log_info(const std::string& line) { cli::log_line(Severity::info, line); }

server::Server* g_server = nullptr;
Capture g_capture;
Diagram g_diagram;

void on_stop(int) {
  if (g_server) g_server->request_stop();
}
void on_report(int) {
  if (g_server) g_server->request_report();
}
void on_reload(int) {
  if (g_server) g_server->request_reload();
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

// The taps the command line asks for (-v, --pcap, --msc) and SIGHUP's reload. The diagram's
// file is made now, so that one that cannot be written stops the start, as --pcap does.
void install_taps(Config& c) {
  const bool verbose = c.verbose;
  const bool capturing = !c.pcap_path.empty();
  const bool drawing = !c.msc_path.empty();
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
}

// Once bound, the taps learn the server's address, and the capture opens its file (before root
// is dropped: the file may be where only root writes).
void open_taps(const server::Server& server, const Config& c) {
  g_diagram.local = server.local_address();
  if (c.pcap_path.empty()) return;
  g_capture.local = server.local_address();
  g_capture.path = c.pcap_path;
  if (const Status opened = g_capture.open(); !opened) {
    cli::die(opened.error().message(), kExitFailure);
  }
}

// --metrics: bound before root is dropped (a port below 1024), and before the start line, which
// then follows "metrics on ADDRESS".
std::optional<metrics::HttpEndpoint> start_metrics(const Config& c, const server::Server& server,
                                                   double start_time) {
  if (c.metrics.empty()) return std::nullopt;
  const metrics::ServerInfo info{.start_time_seconds = start_time};
  return cli::start_metrics_or_die(
      c.metrics, [&server, info] { return metrics::server_metrics(server, info); }, kExitFailure);
}

// --msc: the diagram is written once the server has stopped.
void finish_diagram(const Config& c) {
  if (!g_diagram.file) return;
  const std::size_t arcs = g_diagram.file->arcs();
  if (const Status written = g_diagram.file->finish(); !written) {
    cli::log_line(Severity::warning, written.error().message());
  } else {
    log_info("wrote a diagram of " + std::to_string(arcs) + " datagrams to " + c.msc_path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitFailure);
  const double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  Config c = parse(argc, argv);
  c.options.log = log_info;
  if (c.user && ::geteuid() != 0) {
    cli::die("--user needs root: started as uid " + std::to_string(::geteuid()) +
                 ", which cannot change user",
             kExitFailure);
  }
  install_taps(c);
  auto server = make_server(c.positionals, c.options);
  if (!server) cli::die(server.error().message(), kExitFailure);
  open_taps(*server, c);
  const std::optional<metrics::HttpEndpoint> endpoint = start_metrics(c, *server, start_time);
  if (c.user) drop_root_or_die(*server, c);
  g_server = &*server;
  cli::on_signal(SIGINT, on_stop);
  cli::on_signal(SIGTERM, on_stop);
  cli::on_signal(SIGUSR1, on_report);
  cli::on_signal(SIGHUP, on_reload);
  log_info(listening_line(*server, std::max(1, c.options.threads)));

  const Status st = server->run();
  finish_diagram(c);
  log_info("stopped; " + server->stats().to_string());
  if (!st) cli::die(st.error().message(), kExitFailure);
  return 0;
}
