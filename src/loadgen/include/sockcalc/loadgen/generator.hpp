// SPDX-License-Identifier: MIT
// loadgen/generator.hpp -- public.
// The load generator: K connected non-blocking sockets, one request in flight on each,
// driven by one epoll loop with a timerfd, every reply checked. run() belongs to the calling
// thread for its whole duration; `stop` may be set from any thread or a signal handler.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/loadgen/cpu_usage.hpp"
#include "sockcalc/loadgen/histogram.hpp"
#include "sockcalc/loadgen/workload.hpp"

namespace sockcalc::loadgen {

enum class Protocol { calc, sockperf };

struct Progress;

struct Config {
  /// The server; the first address that a socket can be connected to is used.
  std::vector<Address> targets;
  Protocol protocol = Protocol::calc;
  Workload workload;  // calc only
  /// K: sockets, each with at most one request in flight (P-12).
  unsigned concurrency = 1;
  std::chrono::nanoseconds warmup = std::chrono::seconds(1);
  std::chrono::nanoseconds duration = std::chrono::seconds(5);
  /// Open loop: requests a second over all sockets, socket i due at t0 + (n * K + i) / rate.
  /// 0 = closed loop (each socket sends its next request as soon as its reply is checked).
  double rate = 0;
  /// A request unanswered for this long counts as a timeout and is sent again, same bytes.
  std::chrono::nanoseconds timeout = std::chrono::milliseconds(200);
  /// When > 0, the server's CPU time is read from /proc/PID/stat.
  pid_t server_pid = 0;
  /// Called about once a second from run()'s thread (e.g. for a progress line).
  std::function<void(const Progress&)> progress;
  /// When set, run() ends the measured phase early (e.g. from a SIGINT handler).
  const std::atomic<bool>* stop = nullptr;
};

/// What happened to the requests of one phase. A request belongs to the phase in which it
/// was first sent; its reply, timeouts and fate are counted there, even when they come later.
struct Tally {
  std::uint64_t sent = 0;   // distinct requests (a retransmission is not a new one)
  std::uint64_t ok = 0;     // replies checked and right
  std::uint64_t wrong = 0;  // well-formed success replies with a wrong value or echo
  std::uint64_t error_replies = 0;
  std::uint64_t malformed = 0;
  std::uint64_t timeouts = 0;     // events: one request can time out several times
  std::uint64_t retransmits = 0;  // datagrams sent again after a timeout
  std::uint64_t unanswered = 0;   // still without a reply when the run ended
  std::uint64_t behind = 0;       // open loop: a send was due while its socket was busy
  std::uint64_t stray = 0;        // datagrams that arrived on a socket with nothing in flight
  std::uint64_t send_errors = 0;  // send() failed (ENOBUFS, ECONNREFUSED, ...): a timeout follows
  /// send() found no room (EAGAIN); the datagram went out once epoll said the socket was
  /// writable. A Unix-domain peer's queue holds only net.unix.max_dgram_qlen datagrams.
  std::uint64_t send_blocked = 0;
  std::uint64_t recv_errors = 0;  // recv() reported an error (e.g. ECONNREFUSED)
  std::uint64_t sockets_replaced = 0;
  /// Second replies to a request already answered, read on its quarantined socket: right
  /// for that request (late), or not (late_bad, a failure).
  std::uint64_t late = 0;
  std::uint64_t late_bad = 0;
  /// sent == ok + wrong + error_replies + malformed + unanswered once a run is over.
  [[nodiscard]] std::uint64_t answered() const { return ok + wrong + error_replies + malformed; }
};

struct Progress {
  double elapsed_s = 0;  // since the start of the run (warm-up included)
  bool warming_up = false;
  double ok_per_second = 0;     // over the last interval
  Tally measured;               // so far
  Tally warmup;                 // the warm-up's requests (all of them once it is over)
  std::uint64_t in_flight = 0;  // requests sent and not answered yet, now
};

struct Report {
  Address target;
  Tally warmup;
  Tally measured;
  /// Length of the measured phase (shorter than asked when stopped early).
  double measured_s = 0;
  /// Latency of every ok reply of the measured phase: from the request's first send to its
  /// checked reply, so a retransmitted request's wait is included.
  LatencyHistogram latency;
  /// CPU time during the measured phase.
  CpuTimes self_cpu;
  std::optional<CpuTimes> server_cpu;
  std::string server_cpu_error;  // why server_cpu is missing when a pid was given
  /// The first mismatch of the run, for the report ("" when none).
  std::string first_failure;

  [[nodiscard]] double requests_per_second() const {
    return measured_s > 0 ? static_cast<double>(measured.ok) / measured_s : 0;
  }
};

/// Runs warm-up, measured phase and drain (at most 2 * timeout, to collect the replies of
/// requests still in flight), then returns the counts. Allocates only before the loop starts,
/// when a socket is replaced, and for the first failure's description. Fails when no socket
/// can be opened or connected, or epoll/timerfd fail.
Result<Report> run(const Config& config);

}  // namespace sockcalc::loadgen
