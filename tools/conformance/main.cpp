// SPDX-License-Identifier: MIT
// tools/conformance/main.cpp -- the `conformance` program: parse the command line, run the
// server checks against a live server or the client checks against a client program, print
// the PASS/FAIL table or JSON. Single-threaded; the checks are src/conformance.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "cli.hpp"
#include "options.hpp"
#include "sockcalc/conformance/checks.hpp"
#include "sockcalc/conformance/client_checks.hpp"
#include "sockcalc/conformance/report.hpp"
#include "sockcalc/core/cpus.hpp"
#include "sockcalc/grade/class_report.hpp"
#include "sockcalc/grade/class_run.hpp"

namespace {

using namespace sockcalc;
using std::chrono::milliseconds;

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitCannotRun = 3;
constexpr int kExitNotGraded = 1;  // grade mode: a submission could not be graded

constexpr milliseconds kServerTimeout{1000};
constexpr milliseconds kClientTimeout{10000};

// The --help text around the option tables (check_options, grade_options), whose descriptions
// start at kHelpColumn.
constexpr std::size_t kHelpColumn = 20;
constexpr std::string_view kHelp = R"(Usage: %prog% [options] server HOST PORT
  or:  %prog% [options] server unix:PATH
  or:  %prog% [options] client -- CMD [ARGS...]
  or:  %prog% [options] grade SUBMISSION...
Check a calc server or client against every rule of the protocol
(docs/PROTOCOL.md, rules P-1 to P-14) and print a PASS/FAIL table; or grade
a class of submissions in sandboxes and write a class report.

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
  grade SUBMISSION...
                     (as root) for each submission (a directory whose Makefile
                     builds ./server and ./client): copy it to a private work
                     dir, run make, start './server :: 10000' and run the
                     server checks, run the client checks with ./client; each
                     in its own network (loopback only), mount and pid
                     namespaces, as a user id of its own, with the limits
                     below, writing only its work dir and private /tmp; then
                     write report.json, report.xml (JUnit) and report.html

Options:
%options%

A check FAILs when the peer breaks a rule of the spec; it WARNs (and still
passes) where the spec lets a receiver ignore a difference from what our own
programs send (unused bits, the error reason's text). For each failure the
table shows the datagrams exchanged in hex and the rule broken.

Exit status (server and client modes):
  0  every check passed (warnings allowed)
  1  at least one check failed (or was skipped because the server is silent)
  2  usage error
  3  cannot run the checks: no socket, or CMD cannot be started; or the
     report cannot be written to stdout; or HOST cannot be resolved now (no
     answer from the name server)
Exit status (grade mode):
  0  every submission was graded (whether it passed is in the reports)
  1  at least one submission could not be graded (its entry says why)
  2  usage error
  3  cannot grade: not root, a slot's user id is taken, or the reports
     cannot be written

Examples:
  %prog% server ::1 10000
                     check the server on [::1]:10000
  %prog% --json server unix:/tmp/calc.sock
                     check the server on a Unix socket, report in JSON
  %prog% client -- %prog:client%
                     check our own client
  %prog% --timeout 3000 client -- python3 my_client.py
                     check a client written in Python, 3 s a run
  %prog% grade --out report submissions/*
                     grade every submission (as root), reports in report/
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
  grade::GradeOptions grade;  // grade mode; jobs 0: the usable cores
  std::string out = "grade-report";
};

// The options of server and client modes.
std::vector<cli::Option> check_options(Config& c) {
  return {
      {.short_name = 't',
       .name = "timeout",
       .arg = "MS",
       .help = "per check: how long to wait for a reply (server mode,\n"
               "default 1000; the request is sent again at half of it) or\n"
               "for the client to exit (client mode, default 10000; then\n"
               "it is killed by pid and the check fails)",
       .set = cli::set_whole(c.timeout, "timeout", 1, 600'000)},
      {.name = "host",
       .arg = "ADDR",
       .help = "client mode: the numeric address the scripted server binds\n"
               "and the client is given as HOST (default ::1; link-local:\n"
               "fe80::1%INTERFACE)",
       .set = cli::set_text(c.host)},
      {.name = "clients",
       .arg = "N",
       .help = "server mode: sockets in flight at once in the many-clients\n"
               "check (default 32, 1..1000)",
       .set = cli::set_whole(c.clients, "clients", 1, 1000)},
      {.name = "json",
       .help = "print one JSON document instead of the table (schema\n"
               "sockcalc-conformance/1, docs/CONFORMANCE.md)",
       .set = cli::set_flag(c.json)},
      {.short_name = 'v',
       .name = "verbose",
       .help = "also show the datagrams of the checks that passed",
       .set = cli::set_flag(c.verbose)},
  };
}

// The options of grade mode.
std::vector<cli::Option> grade_options(Config& c) {
  constexpr std::uint64_t kMiB = 1ULL << 20;
  grade::Limits& l = c.grade.limits;
  const auto mebibytes = [](std::uint64_t& target, std::string_view what, std::uint64_t min) {
    return [&target, what, min](std::string_view v) {
      target = cli::whole_or_die(v, what, min, 65536) * kMiB;
    };
  };
  return {
      {.name = "jobs",
       .arg = "N",
       .help = "grade mode: submissions graded at once (default: the\n"
               "usable cores)",
       .set = cli::set_whole(c.grade.jobs, "jobs", 1, 256)},
      {.name = "out",
       .arg = "DIR",
       .help = "grade mode: where the reports go (default grade-report)",
       .set = cli::set_text(c.out)},
      {.name = "build-timeout",
       .arg = "S",
       .help = "grade mode: seconds make may run (default 60)",
       .set = cli::set_whole(l.build_time, "build-timeout", 1, 3600)},
      {.name = "time-limit",
       .arg = "S",
       .help = "grade mode: seconds for all of one submission (default\n"
               "600; then it is killed and reported as not graded)",
       .set = cli::set_whole(l.total_time, "time-limit", 1, 86400)},
      {.name = "processes",
       .arg = "N",
       .help = "grade mode: processes of one submission (RLIMIT_NPROC,\n"
               "default 64)",
       .set = cli::set_whole(l.processes, "processes", 8, 4096)},
      {.name = "memory",
       .arg = "MIB",
       .help = "grade mode: address space of each of its processes\n"
               "(RLIMIT_AS, default 512)",
       .set = mebibytes(l.memory_bytes, "memory", 16)},
      {.name = "open-files",
       .arg = "N",
       .help = "grade mode: open files per process (RLIMIT_NOFILE,\n"
               "default 256)",
       .set = cli::set_whole(l.open_files, "open-files", 16, 65536)},
      {.name = "disk",
       .arg = "MIB",
       .help = "grade mode: size of its work dir, and of each of its\n"
               "/tmp, /var/tmp, /dev/shm (tmpfs; also RLIMIT_FSIZE;\n"
               "default 64)",
       .set = mebibytes(l.disk_bytes, "disk", 1)},
      {.name = "uid-base",
       .arg = "UID",
       .help = "grade mode: slot i runs as user and group UID+i, which no\n"
               "user of this machine may have (default 2000000000)",
       .set = cli::set_whole(c.grade.uid_base, "uid-base", 1000, 4'000'000'000 - 256)},
  };
}

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
  cli::CommandLine command{.help = kHelp, .column = kHelpColumn, .options = check_options(c)};
  for (cli::Option& o : grade_options(c)) command.options.push_back(std::move(o));
  command.options.push_back({.name = "list",
                             .help = "list the checks of the mode (or of both) and exit",
                             .set = cli::set_flag(c.list)});
  c.positionals = cli::parse_or_exit(command, end, argv);
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

int run_grade(Config c) {
  if (c.have_separator) cli::usage_error("'--' and a command only go with client mode");
  if (c.positionals.size() < 2) cli::usage_error("missing SUBMISSION... after 'grade'");
  const std::vector<std::string> submissions(c.positionals.begin() + 1, c.positionals.end());
  if (c.grade.jobs == 0) c.grade.jobs = static_cast<unsigned>(std::max(1, usable_cpus()));
  if (c.timeout) c.grade.server_timeout = c.grade.client_timeout = *c.timeout;
  if (auto st = grade::can_grade(c.grade); !st) cli::die(st.error().message(), kExitCannotRun);
  const std::string doc = grade::class_json(grade::grade_class(submissions, c.grade), c.grade);
  std::cout << grade::class_summary(doc);
  if (auto st = grade::write_reports(c.out, doc); !st) {
    cli::die(st.error().message(), kExitCannotRun);
  }
  std::cout << "reports: " << c.out << "/report.json, report.xml, report.html\n";
  return grade::all_graded(doc) ? kExitPass : kExitNotGraded;
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
  if (mode == "grade") return run_grade(c);
  if (mode.empty()) {
    cli::usage_error("missing mode: server HOST PORT, client -- CMD, or grade SUBMISSION...");
  }
  cli::usage_error("unknown mode '" + mode + "': server, client or grade");
}
