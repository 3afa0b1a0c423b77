// SPDX-License-Identifier: MIT
// tools/linksim/linksim_config.hpp -- the `linksim` program's command line, read into a Config:
// the relay's options (each direction's faults, set by the last --direction before them), the
// seed, and what only the program does (-v, --pcap, --msc, --metrics). Usage errors exit 2 with
// "Try 'linksim --help'." (tools/common/cli).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/linksim/relay.hpp"

namespace sockcalc::linksim_program {

/// The exit status of a linksim that cannot start.
constexpr int kExitFailure = 1;

struct Config {
  linksim::RelayOptions relay;
  std::optional<std::uint64_t> seed;
  bool verbose = false;
  std::string pcap_path;
  std::string msc_path;
  std::vector<Address> metrics;  // --metrics: where the Prometheus endpoint listens (or none)
  std::vector<std::string> positionals;
};

/// Reads the command line; exits 0 after --help or --version, 2 on a usage error.
Config parse(int argc, char** argv);

}  // namespace sockcalc::linksim_program
