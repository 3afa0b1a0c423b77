// SPDX-License-Identifier: MIT
// tests/integration/programs.cpp -- implementation of tests/integration/programs.hpp.
// The binary paths come from CMake (SOCKCALC_SERVER_BIN, SOCKCALC_CLIENT_BIN).
// Test thread only.
#include "programs.hpp"

namespace sockcalc::integration {

RunResult run_client(const std::vector<std::string>& args, milliseconds timeout) {
  return run_program(SOCKCALC_CLIENT_BIN, args, timeout);
}

Result<std::unique_ptr<ServerProcess>> start_server(const std::vector<std::string>& args,
                                                    milliseconds timeout) {
  return ServerProcess::start(SOCKCALC_SERVER_BIN, args, timeout);
}

}  // namespace sockcalc::integration
