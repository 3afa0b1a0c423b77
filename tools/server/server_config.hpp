// SPDX-License-Identifier: MIT
// tools/server/server_config.hpp -- the `server` program's command line: its options, read into
// a Config (the library's ServerOptions plus what only the program does: --user, --metrics,
// --pcap, --msc, -v). Usage errors exit 2 with "Try 'server --help'." (tools/common/cli).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "privileges.hpp"
#include "sockcalc/address/address.hpp"
#include "sockcalc/server/engine.hpp"

namespace sockcalc::server_program {

/// The exit status of a server that cannot start (or stops on an error).
constexpr int kExitFailure = 1;

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

/// Reads the command line (threads default to the CPUs this process may use); exits 0 after
/// --help or --version, 2 on a usage error.
Config parse(int argc, char** argv);

}  // namespace sockcalc::server_program
