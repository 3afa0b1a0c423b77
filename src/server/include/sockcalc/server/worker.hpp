// SPDX-License-Identifier: MIT
// server/worker.hpp -- internal to src/server.
// Worker: one serving loop over one socket (borrowed), with its own I/O slots, counters and
// rate limiter. run() belongs to one thread; Control is shared by every worker of a server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "sockcalc/core/waker.hpp"
#include "sockcalc/server/batch_io.hpp"
#include "sockcalc/server/rate_limiter.hpp"
#include "sockcalc/server/stats.hpp"

namespace sockcalc::server {

struct TapRecord;

/// What every worker of one server shares: the stop, report and reload requests and the waker that
/// tells sleeping workers about them. The flags may be set from any thread or a signal handler.
struct Control {
  explicit Control(Waker w) : waker(std::move(w)) {}
  Waker waker;
  std::atomic<bool> stop{false};
  std::atomic<bool> report{false};
  std::atomic<bool> reload{false};
};

/// What an idle worker does until a datagram arrives.
enum class IdleWait {
  /// Sleeps in the receive itself (a blocking socket with a receive timeout): the fewest
  /// syscalls. Only for a socket the server owns: it makes the socket blocking, and stop wakes
  /// the sleepers by shutting it down for reading.
  in_receive,
  /// Sleeps in poll() on the socket and the waker: for a socket the server does not own (one a
  /// service manager passed, which it keeps and hands to the next instance), whose state must
  /// be left as it was found.
  in_poll,
  /// Spins on a non-blocking receive (--busy-poll): the lowest latency, a busy core per worker.
  spin,
};

struct WorkerConfig {
  IoMechanism mechanism = IoMechanism::batch;
  std::size_t batch = 32;
  IdleWait idle = IdleWait::in_receive;
  ReplyFrom reply_from = ReplyFrom::bound_address;
  double rate_limit = 0;
  const std::function<void(const TapRecord&)>* tap = nullptr;  // null or empty: no tap
  std::function<void()> on_report;  // called by the worker that takes a report request
  std::function<void()> on_reload;  // called by the worker that takes a reload request
};

/// The longest an idle worker sleeps in its receive before it looks at the report flag
/// (request_report() from another thread); a stop request wakes it at once.
inline constexpr std::chrono::milliseconds kReportTick{100};

class Worker {
 public:
  Worker(int fd, const WorkerConfig& config, Control& control);

  /// Serves the socket until control.stop is set. Never throws.
  void run();

  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  RecvWait prepare_idle_wait();  // how receives wait, after readying the socket for it
  bool wait_readable();          // sleeps until the socket or the waker is readable
  void check_requests();
  void serve(std::size_t received);
  std::size_t answer_into(const RxSlot& rx, TxSlot& tx);

  int fd_;
  WorkerConfig config_;
  Control& control_;
  std::unique_ptr<DatagramIo> io_;
  std::optional<RateLimiter> limiter_;
  Stats stats_;
};

}  // namespace sockcalc::server
