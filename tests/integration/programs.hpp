// SPDX-License-Identifier: MIT
// tests/integration/programs.hpp -- internal to tests/integration and tests/stress.
// The shared tests/support helpers, seen from namespace sockcalc::integration, bound to the
// server and client programs of this build. Test thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "support/process.hpp"

namespace sockcalc::integration {

using std::chrono::milliseconds;
using testing::ExitStatus;
using testing::kPatience;
using testing::Process;
using testing::run_program;
using testing::RunResult;
using testing::ServerProcess;
using testing::TempDir;

/// The client program of this build, run to its end.
RunResult run_client(const std::vector<std::string>& args, milliseconds timeout = kPatience);

/// The server program of this build, started as ServerProcess::start does.
Result<std::unique_ptr<ServerProcess>> start_server(const std::vector<std::string>& args,
                                                    milliseconds timeout = kPatience);

}  // namespace sockcalc::integration
