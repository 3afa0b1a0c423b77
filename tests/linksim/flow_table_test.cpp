// SPDX-License-Identifier: MIT
// tests/linksim/flow_table_test.cpp -- unit tests of linksim/flow_table.hpp and timer_heap.hpp:
// LRU order, eviction, idle expiry, timer order (the poller's tests: tests/unit/event_loop_test).
// Single-threaded; explicit time points, loopback sockets only.
#include "sockcalc/linksim/flow_table.hpp"

#include <gtest/gtest.h>

#include <array>

#include "sockcalc/linksim/timer_heap.hpp"

namespace sockcalc::linksim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Address client(std::uint16_t port) { return Address::loopback(Family::v6, port); }

TEST(FlowTable, FindsFlowsByAddressAndId) {
  FlowTable t(4);
  const Clock::time_point t0{};
  Flow& a = t.insert(client(1000), DatagramSocket(), t0);
  Flow& b = t.insert(client(1001), DatagramSocket(), t0);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(t.find(client(1000)), &a);
  EXPECT_EQ(t.find(client(1001)), &b);
  EXPECT_EQ(t.find(client(1002)), nullptr);
  EXPECT_EQ(t.find(Address::loopback(Family::v4, 1000)), nullptr) << "another family";
  EXPECT_EQ(t.find_id(b.id), &b);
  EXPECT_EQ(t.size(), 2u);
}

TEST(FlowTable, EvictsTheLeastRecentlyUsed) {
  FlowTable t(3);
  const Clock::time_point t0{};
  const std::uint64_t a = t.insert(client(1), DatagramSocket(), t0).id;
  t.insert(client(2), DatagramSocket(), t0 + seconds(1));
  t.insert(client(3), DatagramSocket(), t0 + seconds(2));
  EXPECT_TRUE(t.full());
  t.touch(*t.find_id(a), t0 + seconds(3));  // 1 is now the most recent: 2 is the oldest
  auto evicted = t.pop_least_recent();
  ASSERT_TRUE(evicted.has_value());
  EXPECT_EQ(evicted->peer, client(2));
  EXPECT_EQ(t.find(client(2)), nullptr);
  EXPECT_FALSE(t.full());
  EXPECT_EQ(t.pop_least_recent()->peer, client(3));
  EXPECT_EQ(t.pop_least_recent()->peer, client(1));
  EXPECT_FALSE(t.pop_least_recent().has_value());
}

TEST(FlowTable, ExpiresIdleFlowsOldestFirst) {
  FlowTable t(8);
  const Clock::time_point t0{};
  const auto idle = seconds(60);
  t.insert(client(1), DatagramSocket(), t0);
  t.insert(client(2), DatagramSocket(), t0 + seconds(10));
  ASSERT_EQ(t.next_expiry(idle), t0 + seconds(60));
  EXPECT_FALSE(t.pop_expired(t0 + seconds(59), idle).has_value());
  auto first = t.pop_expired(t0 + seconds(60), idle);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->peer, client(1));
  EXPECT_FALSE(t.pop_expired(t0 + seconds(60), idle).has_value());
  EXPECT_EQ(t.next_expiry(idle), t0 + seconds(70));
  t.touch(*t.find(client(2)), t0 + seconds(65));  // activity pushes the expiry back
  EXPECT_EQ(t.next_expiry(idle), t0 + seconds(125));
}

TEST(FlowTable, IdsAreNeverReused) {
  FlowTable t(1);
  const std::uint64_t first = t.insert(client(1), DatagramSocket(), {}).id;
  t.pop_least_recent();
  EXPECT_EQ(t.find_id(first), nullptr);
  const std::uint64_t second = t.insert(client(1), DatagramSocket(), {}).id;
  EXPECT_NE(first, second);
  EXPECT_TRUE(t.remove(second).has_value());
  EXPECT_FALSE(t.remove(second).has_value());
  EXPECT_EQ(t.size(), 0u);
}

TEST(TimerHeap, PopsByDeadlineThenInsertionOrder) {
  TimerHeap<int> h;
  const Clock::time_point t0{};
  h.push(t0 + milliseconds(30), 3);
  h.push(t0 + milliseconds(10), 1);
  h.push(t0 + milliseconds(20), 2);
  h.push(t0 + milliseconds(10), 11);  // same deadline as 1: after it
  EXPECT_EQ(h.next_due(), t0 + milliseconds(10));
  EXPECT_FALSE(h.pop_due(t0 + milliseconds(9)).has_value());
  EXPECT_EQ(h.pop_due(t0 + milliseconds(10)), 1);
  EXPECT_EQ(h.pop_due(t0 + milliseconds(10)), 11);
  EXPECT_FALSE(h.pop_due(t0 + milliseconds(10)).has_value());
  EXPECT_EQ(h.pop_due(t0 + milliseconds(100)), 2);
  EXPECT_EQ(h.pop_due(t0 + milliseconds(100)), 3);
  EXPECT_TRUE(h.empty());
}

TEST(TimerHeap, KeepsOrderOverManyItems) {
  TimerHeap<int> h;
  const Clock::time_point t0{};
  for (int i = 0; i < 1000; ++i) h.push(t0 + milliseconds((i * 7919) % 1000), i);
  Clock::time_point last = t0;
  int count = 0;
  const Clock::time_point end = t0 + seconds(1);
  while (!h.empty()) {
    const Clock::time_point due = h.next_due();
    ASSERT_GE(due, last);
    last = due;
    ASSERT_TRUE(h.pop_due(end).has_value());
    ++count;
  }
  EXPECT_EQ(count, 1000);
}

}  // namespace
}  // namespace sockcalc::linksim
