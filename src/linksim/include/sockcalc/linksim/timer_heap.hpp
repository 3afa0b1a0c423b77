// SPDX-License-Identifier: MIT
// linksim/timer_heap.hpp -- public.
// TimerHeap<T>: items due at a std::chrono::steady_clock time, in a binary min-heap keyed by
// (deadline, insertion order). Not thread-safe: owned by one event loop's thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace sockcalc::linksim {

using Clock = std::chrono::steady_clock;

template <typename T>
class TimerHeap {
 public:
  /// Adds `item`, due at `due`. Items due at the same time come out in the order they went in.
  void push(Clock::time_point due, T item) {
    heap_.push_back(Entry{due, next_seq_++, std::move(item)});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }

  /// The earliest deadline; call only when !empty().
  [[nodiscard]] Clock::time_point next_due() const { return heap_.front().due; }

  /// Removes and returns the earliest item if it is due at or before `now`.
  std::optional<T> pop_due(Clock::time_point now) {
    if (heap_.empty() || heap_.front().due > now) return std::nullopt;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    T item = std::move(heap_.back().item);
    heap_.pop_back();
    return item;
  }

  /// Drops every item.
  void clear() { heap_.clear(); }

 private:
  struct Entry {
    Clock::time_point due;
    std::uint64_t seq;  // breaks ties: first in, first out
    T item;
  };
  // std::push_heap builds a max-heap: "a is later than b" puts the earliest on top.
  static bool later(const Entry& a, const Entry& b) {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace sockcalc::linksim
