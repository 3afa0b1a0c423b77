// SPDX-License-Identifier: MIT
// server_metrics/server_metrics.hpp -- internal to the server program (sockcalc_server_metrics).
// The server's metrics as one Prometheus text: every counter of server::Stats per worker (and
// per cause for the error replies), each socket's kernel drops and receive buffer, build info,
// start time, workers (docs/SERVICE.md has the list). Made at scrape time, on the endpoint's
// thread: it reads the workers' relaxed counters and asks the kernel; the workers never wait.
#pragma once

#include <string>

#include "sockcalc/server/engine.hpp"

namespace sockcalc::metrics {

struct ServerInfo {
  double start_time_seconds = 0;  // when the server started, seconds since the Unix epoch
};

/// The text of a scrape of `server` (a bound server: running, or not yet or no longer).
std::string server_metrics(const server::Server& server, const ServerInfo& info);

}  // namespace sockcalc::metrics
