// SPDX-License-Identifier: MIT
// tools/healthcheck/main.cpp -- the `healthcheck` program: parse the command line into
// endpoints, backends and CheckerOptions, check that every object it will change exists, then
// probe and apply until SIGINT or SIGTERM. The loop is healthcheck::Checker (main thread; its
// probes run on short-lived threads of their own).
#include <signal.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "log.hpp"
#include "options.hpp"
#include "sockcalc/healthcheck/checker.hpp"
#include "sockcalc/healthcheck/ecmp_route.hpp"
#include "sockcalc/healthcheck/nft_service.hpp"

namespace {

using namespace sockcalc;
using cli::Severity;

// Exit statuses (listed in --help and README.md).
constexpr int kExitStopped = 0;
constexpr int kExitCannotStart = 1;

// The --help text around the option tables (change_options, probe_options), whose
// descriptions start at kHelpColumn.
constexpr std::size_t kHelpColumn = 23;
constexpr std::string_view kHelp = R"(Usage: %prog% [options] --nft ENDPOINT...
  or:  %prog% [options] --ecmp PREFIX [--ecmp PREFIX] ENDPOINT...
Probe calc servers with real requests and keep only those that answer in an
nftables virtual service (chosen at random per flow, as Kubernetes' kube-proxy
does) or in an anycast prefix's multipath route (ECMP), or both.

  ENDPOINT       NAME=ADDRESS[,ADDRESS]: a server, its name (its nftables
                 chains are ep6-NAME and ep4-NAME; 1 to 16 letters, digits,
                 '-', '_') and its IPv6 and/or IPv4 address, numeric:
                 's1=fd00:5c:11::2,10.92.11.2'; probes go to the first one

What it changes (at least one):
%options:changes%

Probes (each: one sum request, from a fresh socket, not retransmitted):
%options:probes%

At start each endpoint is up if its first probe is answered, and that set is
applied at once. The program needs CAP_NET_ADMIN in the network namespace it
changes (run it as root on the router, or from its systemd unit).

Exit status:
  0  stopped by SIGINT or SIGTERM (the service and routes stay as they are)
  1  cannot start: the nftables table or one of its chains is missing, no
     permission (CAP_NET_ADMIN), no nf_tables in the kernel, no netlink
  2  usage error: bad option, endpoint, address or prefix; nothing changed

Example (on the router of deploy/scaleout/topology.sh):
  %prog% --nft --ecmp fd00:5c:fe::1/128 --ecmp 10.92.254.1/32 \
      s1=fd00:5c:11::2,10.92.11.2 s2=fd00:5c:12::2,10.92.12.2 \
      s3=fd00:5c:13::2,10.92.13.2
)";

struct Config {
  bool nft = false;
  healthcheck::NftTable table;
  std::vector<healthcheck::Prefix> prefixes;
  std::uint16_t port = 10000;
  healthcheck::CheckerOptions checker;
  std::vector<healthcheck::Endpoint> endpoints;
};

// The options of what the program changes, in the "changes" group of --help.
std::vector<cli::Option> change_options(Config& c) {
  return {
      {.name = "nft",
       .help = "the service of the nftables table (--nft-table): for\n"
               "each family, chain svc6 or svc4 gets one rule 'numgen\n"
               "random mod K vmap' over the live endpoints' chains, in\n"
               "one transaction (deploy/nftables/sockcalc.nft.in); the\n"
               "conntrack entries of a removed endpoint are deleted",
       .set = cli::set_flag(c.nft)},
      {.name = "nft-table",
       .arg = "NAME",
       .help = "the table of family inet holding the service (default\n"
               "sockcalc); implies --nft",
       .set =
           [&c](std::string_view v) {
             c.nft = true;
             c.table.name = std::string(v);
             if (v.empty() || v.find_first_of(" \t;{}\"'") != std::string_view::npos) {
               cli::usage_error("invalid table '" + c.table.name + "': a plain nftables name");
             }
           }},
      {.name = "ecmp",
       .arg = "PREFIX",
       .help = "a multipath route to PREFIX ('fd00:5c:fe::1/128',\n"
               "'10.92.254.1/32') with a nexthop via each live\n"
               "endpoint's address of its family, replaced in one step;\n"
               "withdrawn when no endpoint is live. Repeat for each\n"
               "prefix",
       .set =
           [&c](std::string_view v) {
             auto prefix = healthcheck::parse_prefix(std::string(v));
             if (!prefix) cli::usage_error(prefix.error().message());
             c.prefixes.push_back(*prefix);
           }},
  };
}

// The options of the probes, in the "probes" group of --help.
std::vector<cli::Option> probe_options(Config& c) {
  constexpr std::uint64_t kMaxMs = 60'000;
  return {
      {.short_name = 'p',
       .name = "port",
       .arg = "PORT",
       .help = "the servers' UDP port, 1..65535 (default 10000)",
       .set = cli::set_whole(c.port, "port", 1, 65535)},
      {.short_name = 'i',
       .name = "interval",
       .arg = "MS",
       .help = "time between two rounds of probes, 10..60000 (default\n"
               "200)",
       .set = cli::set_whole(c.checker.interval, "interval", 1, kMaxMs)},
      {.short_name = 't',
       .name = "timeout",
       .arg = "MS",
       .help = "how long a probe waits for its reply, less than\n"
               "--interval (default 150)",
       .set = cli::set_whole(c.checker.timeout, "timeout", 1, kMaxMs)},
      {.name = "fall",
       .arg = "N",
       .help = "failed probes in a row that take an endpoint out,\n"
               "1..100 (default 3: a dead server is out within 750 ms)",
       .set = cli::set_whole(c.checker.thresholds.fall, "fall", 1, 100)},
      {.name = "rise",
       .arg = "N",
       .help = "good probes in a row that bring it back, 1..100\n"
               "(default 2)",
       .set = cli::set_whole(c.checker.thresholds.rise, "rise", 1, 100)},
  };
}

Config parse(int argc, char** argv) {
  Config c;
  cli::CommandLine command{.help = kHelp, .column = kHelpColumn, .options = change_options(c)};
  for (cli::Option& o : command.options) o.group = "changes";
  for (cli::Option& o : probe_options(c)) {
    o.group = "probes";
    command.options.push_back(std::move(o));
  }
  for (const std::string& arg : cli::parse_or_exit(command, argc, argv)) {
    auto endpoint = healthcheck::parse_endpoint(arg, c.port);
    if (!endpoint) cli::usage_error(endpoint.error().message());
    c.endpoints.push_back(*endpoint);
  }
  return c;
}

void check_or_die(const Config& c) {
  if (!c.nft && c.prefixes.empty()) {
    cli::usage_error("nothing to change: give --nft, --ecmp PREFIX, or both");
  }
  if (c.endpoints.empty()) cli::usage_error("missing ENDPOINT: give at least one NAME=ADDRESS");
  if (Status st = healthcheck::validate(c.checker); !st) cli::usage_error(st.error().message());
  for (std::size_t i = 0; i < c.endpoints.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (healthcheck::clash(c.endpoints[i], c.endpoints[j])) {
        cli::usage_error("endpoints " + c.endpoints[j].name + " and " + c.endpoints[i].name +
                         " share a name or an address");
      }
    }
  }
  for (std::size_t i = 0; i < c.prefixes.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (c.prefixes[i].to_string() == c.prefixes[j].to_string()) {
        cli::usage_error("prefix " + c.prefixes[i].to_string() + " given twice");
      }
    }
  }
}

// The backends, each checked before any is changed: a missing table stops the program here.
std::vector<std::unique_ptr<healthcheck::Backend>> backends_or_die(const Config& c) {
  std::vector<std::unique_ptr<healthcheck::Backend>> backends;
  if (c.nft) {
    auto nft = healthcheck::NftService::open(c.table, c.endpoints);
    if (!nft) cli::die(nft.error().message(), kExitCannotStart);
    backends.push_back(std::move(*nft));
  }
  for (const healthcheck::Prefix& p : c.prefixes) {
    auto route = healthcheck::EcmpRoute::open(p, c.endpoints);
    if (!route) cli::die(route.error().message(), kExitCannotStart);
    backends.push_back(std::move(*route));
  }
  return backends;
}

healthcheck::Checker* g_checker = nullptr;

void on_stop(int) {
  if (g_checker != nullptr) g_checker->request_stop();
}

std::string start_line(const Config& c,
                       const std::vector<std::unique_ptr<healthcheck::Backend>>& backends) {
  const auto& t = c.checker.thresholds;
  std::string line = "watching " + std::to_string(c.endpoints.size()) + " endpoint" +
                     (c.endpoints.size() == 1 ? "" : "s") + " every " +
                     std::to_string(c.checker.interval.count()) + " ms (probe timeout " +
                     std::to_string(c.checker.timeout.count()) + " ms, down after " +
                     std::to_string(t.fall) + " failed, up after " + std::to_string(t.rise) +
                     " good); changing";
  for (std::size_t i = 0; i < backends.size(); ++i) {
    line += (i == 0 ? " " : ", ") + backends[i]->describe();
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  cli::start_program(argv[0], kExitCannotStart);
  Config c = parse(argc, argv);
  check_or_die(c);
  auto backends = backends_or_die(c);
  const std::string started = start_line(c, backends);
  auto checker = healthcheck::Checker::create(
      c.endpoints, std::move(backends), c.checker,
      [](healthcheck::Level level, const std::string& line) {
        cli::log_line(level == healthcheck::Level::info ? Severity::info : Severity::warning, line);
      });
  if (!checker) cli::die(checker.error().message(), kExitCannotStart);
  g_checker = checker->get();
  cli::on_signal(SIGINT, on_stop);
  cli::on_signal(SIGTERM, on_stop);
  cli::log_line(Severity::info, started);
  (*checker)->run();
  std::string live;
  for (const healthcheck::Endpoint* e : (*checker)->live()) live += " " + e->name;
  cli::log_line(Severity::info, "stopped; live endpoints" + (live.empty() ? " (none)" : live));
  g_checker = nullptr;
  return kExitStopped;
}
