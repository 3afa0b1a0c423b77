// SPDX-License-Identifier: MIT
// server/worker.hpp -- internal to src/server.
// Worker: one serving loop over one socket (borrowed), with its own I/O slots, counters and
// rate limiter; a receive or wait that keeps failing makes it back off, never spin. run()
// belongs to one thread; Control is shared by every worker of a server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sockcalc/core/waker.hpp"
#include "sockcalc/server/batch_io.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/server/rate_limiter.hpp"
#include "sockcalc/server/stats.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::server {

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
  /// Sleeps in the receive itself (a socket in ReceiveMode::blocking, made so by the server):
  /// the fewest syscalls. Only for a socket the server owns, and stop wakes the sleepers by
  /// shutting it down for reading. On a non-blocking socket the worker sleeps in poll().
  in_receive,
  /// Sleeps in poll() on the socket and the waker: for a socket the server does not own (one a
  /// service manager passed, which it keeps and hands to the next instance), whose state must
  /// be left as it was found.
  in_poll,
  /// Spins on a non-blocking receive (--busy-poll): the lowest latency, a busy core per worker.
  spin,
};

/// A worker's configuration: the server's own options, read where they are (engine, batch,
/// rate_limit, tap, on_reload; never copied field by field), and what the server decides from
/// them and its sockets.
struct WorkerConfig {
  const ServerOptions& options;  // the server's; outlives every worker
  IdleWait idle = IdleWait::in_receive;
  ReplyFrom reply_from = ReplyFrom::bound_address;
  std::function<void()> on_report{};  // called by the worker that takes a report request
  std::function<void(const std::string&)> log{};  // a failure's log line (once per worker)
};

/// The longest an idle worker sleeps in its receive before it looks at the report flag
/// (request_report() from another thread); a stop request wakes it at once.
inline constexpr std::chrono::milliseconds kReportTick{100};

/// After a failed receive or wait (other than EAGAIN, EINTR) a worker sleeps before it tries
/// again, kFirstBackoff at first, twice as long after each failure in a row, kReportTick at most:
/// a persistent error costs a few calls a second instead of a spinning core. A stop request
/// ends the sleep at once.
inline constexpr std::chrono::milliseconds kFirstBackoff{1};
class Worker {
 public:
  /// `socket` must outlive the worker; the server owns it.
  Worker(const DatagramSocket& socket, const WorkerConfig& config, Control& control);

  /// Serves the socket until control.stop is set. Never throws.
  void run();

  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  RecvWait receive_wait();  // how receives wait, from the socket's mode
  bool wait_readable();     // sleeps until the socket or the waker is readable
  bool take_wake();         // drains the waker; passes a stop request on to the other workers
  // Logs the first failure, sleeps `delay` (first grown: kFirstBackoff, doubled, capped).
  void back_off(const char* call, int error, std::chrono::milliseconds& delay);
  void check_requests();
  void serve(std::size_t received);
  std::size_t answer_into(const RxSlot& rx, TxSlot& tx);

  const DatagramSocket& socket_;
  WorkerConfig config_;
  Control& control_;
  std::unique_ptr<DatagramIo> io_;
  std::optional<RateLimiter> limiter_;
  Stats stats_;
  // The last back-off sleep after a failed receive, and after a failed wait: 0 after a success.
  std::chrono::milliseconds recv_backoff_{0};
  std::chrono::milliseconds wait_backoff_{0};
  bool logged_failure_ = false;
};

}  // namespace sockcalc::server
