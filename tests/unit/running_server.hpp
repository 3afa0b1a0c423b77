// SPDX-License-Identifier: MIT
// tests/unit/running_server.hpp -- internal to tests/unit.
// RunningServer: a real server::Server serving on its own thread until stop() or destruction.
// Owned by the test's thread; the server's own threads are the engine's business.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>
#include <utility>

#include "sockcalc/server/engine.hpp"

namespace sockcalc::testing {

class RunningServer {
 public:
  /// How long stop() waits for run() to return before it aborts the whole test program.
  static constexpr int kStopWaitMs = 2000;

  explicit RunningServer(server::Server s) : server_(std::move(s)) {
    std::packaged_task<Status()> task([this] { return server_.run(); });
    done_ = task.get_future();
    thread_ = std::thread(std::move(task));
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;
  ~RunningServer() { (void)stop(); }

  /// Asks the server to stop and waits (at most kStopWaitMs) for run() to return.
  Status stop() {
    if (!thread_.joinable()) return status_;
    server_.request_stop();
    if (done_.wait_for(std::chrono::milliseconds(kStopWaitMs)) != std::future_status::ready) {
      // A server deaf to its stop request would hang the whole run: fail loudly instead.
      std::fprintf(stderr, "FATAL: run() still running %d ms after request_stop()\n", kStopWaitMs);
      std::abort();
    }
    thread_.join();
    status_ = done_.get();
    return status_;
  }

  [[nodiscard]] const Address& address() const { return server_.local_address(); }
  server::Server& server() { return server_; }
  [[nodiscard]] server::Stats stats() const { return server_.stats(); }

 private:
  server::Server server_;
  Status status_{Ok{}};
  std::future<Status> done_;
  std::thread thread_;
};

}  // namespace sockcalc::testing
