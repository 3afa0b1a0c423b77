// SPDX-License-Identifier: MIT
// tools/conformance/main.cpp -- the `conformance` program: parse the command line, run the
// server checks against a live server or the client checks against a client program, print
// the PASS/FAIL table or JSON. Single-threaded; the checks are src/conformance.
#include <getopt.h>

#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "cli.hpp"
#include "sockcalc/conformance/checks.hpp"
#include "sockcalc/conformance/client_checks.hpp"
#include "sockcalc/conformance/report.hpp"

namespace {

using namespace sockcalc;
using std::chrono::milliseconds;

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitCannotRun = 3;

constexpr milliseconds kServerTimeout{1000};
constexpr milliseconds kClientTimeout{10000};

constexpr const char* kHelp = R"(Usage: %prog% [options] server HOST PORT
  or:  %prog% [options] server unix:PATH
  or:  %prog% [options] client -- CMD [ARGS...]
Check a calc server or client against every rule of the protocol
(docs/PROTOCOL.md, rules P-1 to P-14) and print a PASS/FAIL table.

  server HOST PORT   send the server under test requests over UDP (HOST:
                     '::1', '127.0.0.1', a name: its first address;
                     'fe80::1%eth0': a link-local address with its interface;
                     '[::1]') or a Unix-domain socket (unix:PATH, unix:@NAME):
                     the course's examples, each opcode in both formats, unused
                     bits set, wrap-around, 1, 64 and 65 integers, bad lengths,
                     empty datagrams, reply sizes, many clients at once, and
                     whether it still answers after all of them
  client -- CMD ARGS
                     run the client under test once per check, as the course's
                     command line reads: CMD ARGS... -op OP [-s] HOST PORT
                     INT... against a scripted server that answers with chosen
                     bytes (right, unused bits set, error, malformed, the first
                     request ignored, nothing listening); a success must print
                     "Result: N" on stdout and exit 0, anything else must exit
                     non-zero without a result

Options:
  -t, --timeout MS  per check: how long to wait for a reply (server mode,
                    default 1000; the request is sent again at half of it) or
                    for the client to exit (client mode, default 10000; then
                    it is killed by pid and the check fails)
      --host ADDR   client mode: the numeric address the scripted server binds
                    and the client is given as HOST (default ::1; link-local:
                    fe80::1%INTERFACE)
      --clients N   server mode: sockets in flight at once in the many-clients
                    check (default 32, 1..1000)
      --json        print one JSON document instead of the table (schema
                    sockcalc-conformance/1, docs/CONFORMANCE.md)
  -v, --verbose     also show the datagrams of the checks that passed
      --list        list the checks of the mode (or of both) and exit
  -h, --help        show this help and exit
  -V, --version     show the version and exit

A check FAILs when the peer breaks a rule of the spec; it WARNs (and still
passes) where the spec lets a receiver ignore a difference from what our own
programs send (unused bits, the error reason's text). For each failure the
table shows the datagrams exchanged in hex and the rule broken.

Exit status:
  0  every check passed (warnings allowed)
  1  at least one check failed (or was skipped because the server is silent)
  2  usage error
  3  cannot run the checks: no socket, or CMD cannot be started; or the
     report cannot be written to stdout; or HOST cannot be resolved now (no
     answer from the name server)

Examples:
  %prog% server ::1 10000
                     check the server on [::1]:10000
  %prog% --json server unix:/tmp/calc.sock
                     check the server on a Unix socket, report in JSON
  %prog% client -- %prog:client%
                     check our own client
  %prog% --timeout 3000 client -- python3 my_client.py
                     check a client written in Python, 3 s a run
)";

struct Config {
  std::optional<milliseconds> timeout;
  std::string host = "::1";
  std::size_t clients = 32;
  bool json = false;
  bool verbose = false;
  bool list = false;
  std::vector<std::string> positionals;
  std::vector<std::string> command;  // after "--"
  bool have_separator = false;
};

Config parse(int argc, char** argv) {
  // Everything after the first "--" is the client's command line, options included.
  int end = argc;
  Config c;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      end = i;
      c.have_separator = true;
      for (int j = i + 1; j < argc; ++j) c.command.emplace_back(argv[j]);
      break;
    }
  }
  static const option kLong[] = {{"timeout", required_argument, nullptr, 't'},
                                 {"host", required_argument, nullptr, 'H'},
                                 {"clients", required_argument, nullptr, 'c'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"verbose", no_argument, nullptr, 'v'},
                                 {"list", no_argument, nullptr, 'l'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  opterr = 0;
  int opt = 0;
  while ((opt = getopt_long(end, argv, ":t:vhV", kLong, nullptr)) != -1) {
    switch (opt) {
      case 't':
        c.timeout = milliseconds(cli::parse_number_or_die(optarg, "timeout", 1, 600'000));
        break;
      case 'H':
        c.host = optarg;
        break;
      case 'c':
        c.clients = static_cast<std::size_t>(cli::parse_number_or_die(optarg, "clients", 1, 1000));
        break;
      case 'j':
        c.json = true;
        break;
      case 'v':
        c.verbose = true;
        break;
      case 'l':
        c.list = true;
        break;
      default:
        cli::finish_option(opt, kHelp, argv);  // --help, --version, or a usage error: exits
    }
  }
  for (int i = optind; i < end; ++i) c.positionals.emplace_back(argv[i]);
  return c;
}

void list_checks(const std::string& mode) {
  if (mode.empty() || mode == "server") {
    std::cout << "server checks:\n";
    for (const auto& k : conformance::server_checks()) {
      std::cout << "  " << std::left << std::setw(5) << k.rule << " " << k.id << ": " << k.title
                << '\n';
    }
  }
  if (mode.empty() || mode == "client") {
    std::cout << "client checks:\n";
    for (const auto& k : conformance::client_checks()) {
      std::cout << "  " << std::left << std::setw(5) << k.rule << " " << k.id << ": " << k.title
                << '\n';
    }
  }
}

// Prints each row as its check ends (table mode), so that a slow check shows progress; the
// header comes with the first row, so that a run that cannot start prints only its error.
std::function<void(const conformance::CheckOutcome&)> row_printer(const Config& c,
                                                                  std::string header) {
  if (c.json) return {};
  return [header = std::move(header), printed = false](const conformance::CheckOutcome& o) mutable {
    if (!printed) std::cout << header;
    printed = true;
    std::cout << conformance::table_row(o) << std::flush;
    cli::exit_if_stdout_failed();  // nobody reads the table any more: stop the checks
  };
}

int finish(const Config& c, const conformance::Report& report) {
  if (c.json) {
    std::cout << conformance::format_json(report);
  } else {
    std::cout << conformance::table_footer(report, c.verbose);
  }
  return report.passed() ? kExitPass : kExitFail;
}

int run_server(const Config& c) {
  const auto& pos = c.positionals;
  if (pos.size() < 2) cli::usage_error("missing HOST PORT (or unix:PATH) after 'server'");
  const bool unix = is_unix_spec(pos[1]);
  if (pos.size() > (unix ? 2u : 3u)) cli::usage_error("unexpected argument '" + pos.back() + "'");
  const auto candidates = cli::resolve_or_die(pos[1], pos.size() > 2 ? &pos[2] : nullptr,
                                              Purpose::connect, kExitCannotRun);
  const Address target = candidates.front();
  if (!target.is_unix() && target.port() == 0) {
    cli::usage_error("invalid port '0': a server cannot listen there");
  }
  conformance::ServerOptions options;
  options.timeout = c.timeout.value_or(kServerTimeout);
  options.clients = c.clients;
  options.on_check =
      row_printer(c, conformance::table_header("server", target.to_string(),
                                               conformance::server_checks().size(),
                                               static_cast<int>(options.timeout.count())));
  return finish(c, conformance::run_server_checks(target, options));
}

int run_client(const Config& c) {
  if (c.positionals.size() > 1) {
    cli::usage_error("unexpected argument '" + c.positionals[1] +
                     "': put the client's command after '--'");
  }
  if (!c.have_separator || c.command.empty()) {
    cli::usage_error("missing the client's command: conformance client -- CMD [ARGS...]");
  }
  auto host = Address::resolve(c.host, 0, Purpose::bind);
  if (!host && host.error().code == std::errc::resource_unavailable_try_again) {
    cli::die(host.error().message(), kExitCannotRun);  // the name may be fine: not a usage error
  }
  if (!host || is_unix_spec(c.host)) {
    cli::usage_error(
        "invalid --host '" + c.host + "': " +
        (host ? std::string("give a numeric local address such as ::1") : host.error().message()));
  }
  conformance::ClientOptions options;
  options.timeout = c.timeout.value_or(kClientTimeout);
  options.host = c.host;
  std::string command;
  for (const std::string& a : c.command) command += (command.empty() ? "" : " ") + a;
  options.on_check = row_printer(
      c, conformance::table_header("client", command, conformance::client_checks().size(),
                                   static_cast<int>(options.timeout.count())));
  auto report = conformance::run_client_checks(c.command, options);
  if (!report) cli::die(report.error().message(), kExitCannotRun);
  return finish(c, *report);
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitCannotRun);
  const Config c = parse(argc, argv);
  const std::string mode = c.positionals.empty() ? "" : c.positionals[0];
  if (c.list) {
    if (!mode.empty() && mode != "server" && mode != "client") {
      cli::usage_error("unknown mode '" + mode + "': server or client");
    }
    list_checks(mode);
    return kExitPass;
  }
  if (mode == "server") {
    if (c.have_separator) cli::usage_error("'--' and a command only go with client mode");
    return run_server(c);
  }
  if (mode == "client") return run_client(c);
  if (mode.empty()) cli::usage_error("missing mode: server HOST PORT, or client -- CMD");
  cli::usage_error("unknown mode '" + mode + "': server or client");
}
