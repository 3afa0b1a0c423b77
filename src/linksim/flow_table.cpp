// SPDX-License-Identifier: MIT
// linksim/flow_table.cpp -- implementation of linksim/flow_table.hpp.
// A std::list in recency order plus two hash indexes (by client address and by id).
// Not thread-safe: owned by the relay's loop thread.
#include "sockcalc/linksim/flow_table.hpp"

#include <utility>

namespace sockcalc::linksim {

std::string FlowTable::key(const Address& peer) {
  // The raw sockaddr bytes with their real length: two addresses are the same flow exactly
  // when recvfrom() filled them alike.
  return std::string(reinterpret_cast<const char*>(peer.data()), peer.length());
}

Flow* FlowTable::find(const Address& peer) {
  const auto it = by_peer_.find(key(peer));
  return it == by_peer_.end() ? nullptr : &*it->second;
}

Flow* FlowTable::find_id(std::uint64_t id) {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &*it->second;
}

Flow& FlowTable::insert(const Address& peer, DatagramSocket upstream, Clock::time_point now) {
  Flow flow;
  flow.id = next_id_++;
  flow.peer = peer;
  flow.upstream = std::move(upstream);
  flow.last_active = now;
  lru_.push_front(std::move(flow));
  by_peer_[key(peer)] = lru_.begin();
  by_id_[lru_.front().id] = lru_.begin();
  return lru_.front();
}

void FlowTable::touch(Flow& flow, Clock::time_point now) {
  flow.last_active = now;
  const auto it = by_id_.find(flow.id);
  if (it != by_id_.end()) lru_.splice(lru_.begin(), lru_, it->second);
}

Flow FlowTable::take(List::iterator it) {
  by_peer_.erase(key(it->peer));
  by_id_.erase(it->id);
  Flow flow = std::move(*it);
  lru_.erase(it);
  return flow;
}

std::optional<Flow> FlowTable::remove(std::uint64_t id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return take(it->second);
}

std::optional<Flow> FlowTable::pop_least_recent() {
  if (lru_.empty()) return std::nullopt;
  return take(std::prev(lru_.end()));
}

std::optional<Clock::time_point> FlowTable::next_expiry(Clock::duration idle) const {
  if (lru_.empty()) return std::nullopt;
  return lru_.back().last_active + idle;
}

std::optional<Flow> FlowTable::pop_expired(Clock::time_point now, Clock::duration idle) {
  if (lru_.empty() || lru_.back().last_active + idle > now) return std::nullopt;
  return take(std::prev(lru_.end()));
}

std::vector<Flow> FlowTable::take_all() {
  std::vector<Flow> all;
  while (auto flow = pop_least_recent()) all.push_back(std::move(*flow));
  return all;
}

}  // namespace sockcalc::linksim
