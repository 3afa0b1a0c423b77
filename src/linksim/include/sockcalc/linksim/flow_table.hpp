// SPDX-License-Identifier: MIT
// linksim/flow_table.hpp -- public.
// FlowTable: the relay's flows (one per client address, each with its own upstream socket), in
// least-recently-used order, bounded, with idle expiry. No I/O and no clock of its own: time is
// passed in. Not thread-safe: owned by the relay's loop thread.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/linksim/fault.hpp"
#include "sockcalc/linksim/timer_heap.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::linksim {

/// A datagram held back by a reorder decision until the next one of its flow and direction.
struct HeldDatagram {
  std::vector<std::byte> bytes;  // already cut and corrupted
  Decision decision;             // its delay and duplicate still apply on release
  std::uint64_t generation = 0;  // tells its hold timer from a stale one
};

/// One client address and everything the relay keeps for it.
struct Flow {
  std::uint64_t id = 0;     // unique for the run, never reused
  Address peer;             // the client
  DatagramSocket upstream;  // connected to the server: its replies belong to this client only
  Address upstream_local;   // upstream's own address, for captures (set when a capture is on)
  /// The address the client sent to, its replies' source: set on a wildcard listening address,
  /// empty otherwise (the listening address is then the only one).
  ReplySource asked;
  Clock::time_point last_active;
  std::array<std::optional<HeldDatagram>, kDirections> held;  // one reorder slot a direction
  /// The format the client's last request asked for (F bit), to describe the replies in -v.
  protocol::Format format = protocol::Format::integer;
};

class FlowTable {
 public:
  /// `capacity` >= 1: the most flows the table holds.
  explicit FlowTable(std::size_t capacity) : capacity_(capacity) {}
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  /// The flow of client `peer`, or nullptr. Does not count as activity.
  Flow* find(const Address& peer);
  /// The flow with this id, or nullptr once it was removed.
  Flow* find_id(std::uint64_t id);

  [[nodiscard]] std::size_t size() const { return lru_.size(); }
  [[nodiscard]] bool full() const { return lru_.size() >= capacity_; }

  /// Adds a new flow for `peer` (which must have none), as the most recently used. The caller
  /// makes room first (pop_least_recent()) when full(); beyond capacity it is still added.
  Flow& insert(const Address& peer, DatagramSocket upstream, Clock::time_point now);

  /// Records activity on `flow` at `now`: it becomes the most recently used.
  void touch(Flow& flow, Clock::time_point now);

  /// Removes and returns the flow with this id, if it is still there.
  std::optional<Flow> remove(std::uint64_t id);

  /// Removes and returns the least recently used flow (for eviction), if any.
  std::optional<Flow> pop_least_recent();

  /// When the least recently used flow goes idle for `idle`, if there is a flow.
  [[nodiscard]] std::optional<Clock::time_point> next_expiry(Clock::duration idle) const;

  /// Removes and returns one flow idle for `idle` or longer at `now`, oldest first.
  std::optional<Flow> pop_expired(Clock::time_point now, Clock::duration idle);

  /// Removes and returns every flow (at shutdown), least recently used first.
  std::vector<Flow> take_all();

 private:
  using List = std::list<Flow>;  // front: most recently used; stable iterators
  static std::string key(const Address& peer);
  Flow take(List::iterator it);

  std::size_t capacity_;
  List lru_;
  std::unordered_map<std::string, List::iterator> by_peer_;
  std::unordered_map<std::uint64_t, List::iterator> by_id_;
  std::uint64_t next_id_ = 1;
};

}  // namespace sockcalc::linksim
