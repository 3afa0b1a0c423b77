// SPDX-License-Identifier: MIT
// linksim/relay.hpp -- public.
// Relay: the lossy link between calc clients and a server. It owns the listening socket, one
// upstream socket per client (flow), the timers of late datagrams, and a FaultDecider per
// direction. run() is a single-threaded epoll/poll loop; request_stop() may be called from any
// thread or a signal handler.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/event/poller.hpp"
#include "sockcalc/linksim/fault.hpp"
#include "sockcalc/linksim/stats.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::linksim {

/// The relay runs on the programs' one event loop (event/event_loop.hpp), over epoll or poll(2).
using event::PollerKind;

/// One datagram and what linksim does with it, for -v traces.
struct TraceRecord {
  Direction direction;
  const Address& peer;      // the flow's client: the sender (forward) or the receiver (reverse)
  protocol::Bytes bytes;    // the datagram as received, before any fault
  std::size_t wire_length;  // its real length (may exceed bytes.size() if it was truncated)
  protocol::Format format;  // the format the flow's last request asked for, to read replies
  std::string_view action;  // the decision: "drop", "pass", "cut to 3, delay 12 ms", ...
};

/// One datagram as it crossed one of linksim's sockets, for captures (--pcap): what arrived,
/// before any fault, and each copy that left, after them.
struct WireRecord {
  const Address& from;
  const Address& to;
  protocol::Bytes bytes;    // as held (received) or as sent
  std::size_t wire_length;  // its real length (received: may exceed bytes.size())
  bool received;            // true: as it arrived, before any fault; false: a copy that left
};

/// Defaults match the linksim program's; docs/LINKSIM.md explains each.
struct RelayOptions {
  std::vector<Address> listen;                    // candidates: the first one that binds is used
  Address server;                                 // where every flow's upstream socket is connected
  std::array<FaultConfig, kDirections> faults{};  // indexed by as_index(Direction)
  std::uint64_t seed = 0;
  /// Longest time a reordered datagram waits for the next one of its flow and direction.
  std::chrono::milliseconds reorder_hold{100};
  /// A flow with no datagram either way for this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_flows = 1024;  // beyond it, the least recently used flow is evicted
  /// Bounds on the copies waiting (delayed or held for reordering); beyond them a copy is
  /// dropped and counted as overflow.
  std::size_t max_held = 10'000;
  std::size_t max_held_bytes = 64u << 20;
  PollerKind poller = PollerKind::epoll;
  /// Where the loop reads the time, for every timer (delays, reorder holds, idle expiry): the
  /// steady clock. A test passes a clock it moves itself, so no test waits for a timer to run
  /// out. Called on run()'s thread only.
  std::function<std::chrono::steady_clock::time_point()> clock = std::chrono::steady_clock::now;
  /// Called for every datagram received, with the decision taken; empty on the fast path.
  std::function<void(const TraceRecord&)> trace;
  /// Called for every datagram received and every copy sent, with both ends; empty on the fast
  /// path. A copy the kernel refused is not reported.
  std::function<void(const WireRecord&)> wire;
  /// Called with one line (no newline) for every flow created, expired or evicted and every
  /// socket error; empty by default.
  std::function<void(const std::string&)> log;
};

class Relay {
 public:
  /// Validates the fault configs, binds the listening socket and prepares the loop.
  static Result<Relay> create(RelayOptions options);

  Relay(Relay&&) noexcept;
  Relay& operator=(Relay&&) = delete;
  ~Relay();

  /// Relays until request_stop(). Fails only when the poller fails; socket errors on single
  /// datagrams are counted, never fatal. Call from one thread.
  Status run();

  /// Makes run() return at its next turn. Async-signal-safe.
  void request_stop();

  /// The listening address, with the real port when port 0 was asked.
  [[nodiscard]] const Address& local_address() const;
  [[nodiscard]] const Address& server_address() const;
  [[nodiscard]] const RelayOptions& options() const;

  /// The counters; read from run()'s thread or after run() returned.
  [[nodiscard]] const RelayStats& stats() const;
  /// A copy of the counters for another thread (a --metrics scrape): run()'s loop takes it at
  /// its next turn, woken for it, so the datagram path pays one relaxed load a turn. Waits at
  /// most `patience` (a loop that is not running gives the last copy taken, or zeros).
  [[nodiscard]] RelayStats snapshot(std::chrono::milliseconds patience) const;

 private:
  struct State;
  explicit Relay(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace sockcalc::linksim
