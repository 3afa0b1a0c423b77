// SPDX-License-Identifier: MIT
// tests/unit/event_loop_test.cpp -- unit tests of event/poller.hpp and event/event_loop.hpp,
// for each poller (epoll, poll): readiness by token, write interest, handlers, an fd unwatched
// by an earlier handler of the same turn, the timerfd wake-up, the waker. Real sockets on ::1;
// every wait bounded. One thread, but for the waker test's notifier.
#include "sockcalc/event/event_loop.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/event/poller.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::event {
namespace {

using namespace std::chrono_literals;

// Long enough for a loaded machine; a passing test never waits that long.
constexpr int kPatienceMs = 5000;
const std::array<std::byte, 1> kOne{std::byte{1}};

DatagramSocket bound() {
  auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : DatagramSocket();
}

// Sends one byte to `to`'s address from a fresh socket.
void poke(const DatagramSocket& to) {
  auto sender = DatagramSocket::connect(*to.local_address());
  ASSERT_TRUE(sender.ok());
  ASSERT_EQ(sender->send(kOne), 0);
}

std::vector<std::uint64_t> tokens(const std::vector<Readiness>& ready) {
  std::vector<std::uint64_t> t;
  for (const Readiness& r : ready) t.push_back(r.token);
  return t;
}

class PollerTest : public ::testing::TestWithParam<PollerKind> {};

TEST_P(PollerTest, ReportsReadableSocketsByToken) {
  auto poller = Poller::create(GetParam());
  ASSERT_TRUE(poller.ok()) << poller.error().message();
  DatagramSocket a = bound();
  DatagramSocket b = bound();
  ASSERT_TRUE((*poller)->add(a.fd(), 7).ok());
  ASSERT_TRUE((*poller)->add(b.fd(), 9).ok());
  EXPECT_FALSE((*poller)->add(a.fd(), 8).ok()) << "the same fd twice";
  EXPECT_EQ((*poller)->size(), 2u);

  std::vector<Readiness> ready;
  ASSERT_TRUE((*poller)->wait(0, ready).ok());
  EXPECT_TRUE(ready.empty());

  poke(b);
  ASSERT_TRUE((*poller)->wait(kPatienceMs, ready).ok());
  EXPECT_EQ(tokens(ready), std::vector<std::uint64_t>{9});
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_TRUE(ready[0].readable);
  EXPECT_FALSE(ready[0].writable);

  (*poller)->remove(b.fd());
  EXPECT_EQ((*poller)->size(), 1u);
  ready.clear();
  ASSERT_TRUE((*poller)->wait(0, ready).ok());
  EXPECT_TRUE(ready.empty()) << "a removed fd is not reported, readable or not";
  (*poller)->remove(b.fd());  // unknown now: ignored
  EXPECT_EQ((*poller)->size(), 1u);
}

TEST_P(PollerTest, ModifyChangesInterestAndToken) {
  auto poller = Poller::create(GetParam());
  ASSERT_TRUE(poller.ok());
  DatagramSocket a = bound();
  ASSERT_TRUE((*poller)->add(a.fd(), 1).ok());
  std::vector<Readiness> ready;
  ASSERT_TRUE((*poller)->wait(0, ready).ok());
  EXPECT_TRUE(ready.empty()) << "an idle socket is writable, but write is not watched";
  ASSERT_TRUE((*poller)->modify(a.fd(), 2, Interest::read_write).ok());
  ASSERT_TRUE((*poller)->wait(kPatienceMs, ready).ok());
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].token, 2u);
  EXPECT_TRUE(ready[0].writable);
  EXPECT_FALSE(ready[0].readable);
  DatagramSocket unwatched = bound();
  EXPECT_FALSE((*poller)->modify(unwatched.fd(), 3, Interest::read).ok());
}

class EventLoopTest : public ::testing::TestWithParam<PollerKind> {
 protected:
  EventLoop make() {
    auto loop = EventLoop::create(GetParam());
    EXPECT_TRUE(loop.ok()) << loop.error().message();
    return std::move(*loop);
  }
};

TEST_P(EventLoopTest, CallsTheHandlerOfAReadyFd) {
  EventLoop loop = make();
  DatagramSocket a = bound();
  DatagramSocket b = bound();
  std::vector<std::string> calls;
  ASSERT_TRUE(loop.watch(a.fd(), Interest::read, [&](Ready) { calls.push_back("a"); }).ok());
  ASSERT_TRUE(loop.watch(b.fd(), Interest::read,
                         [&](Ready r) { calls.push_back(r.readable ? "b readable" : "b"); })
                  .ok());
  EXPECT_FALSE(loop.watch(a.fd(), Interest::read, [](Ready) {}).ok()) << "the same fd twice";
  EXPECT_EQ(loop.size(), 2u);
  poke(b);
  ASSERT_TRUE(loop.run_once(kPatienceMs).ok());
  EXPECT_EQ(calls, std::vector<std::string>{"b readable"});
}

TEST_P(EventLoopTest, AfterWaitRunsBeforeTheHandlers) {
  EventLoop loop = make();
  DatagramSocket a = bound();
  std::vector<std::string> calls;
  ASSERT_TRUE(loop.watch(a.fd(), Interest::read, [&](Ready) { calls.push_back("handler"); }).ok());
  poke(a);
  ASSERT_TRUE(loop.run_once(kPatienceMs, [&] { calls.push_back("after wait"); }).ok());
  EXPECT_EQ(calls, (std::vector<std::string>{"after wait", "handler"}));
}

TEST_P(EventLoopTest, AnFdUnwatchedByAnEarlierHandlerOfTheTurnIsNotDispatched) {
  EventLoop loop = make();
  DatagramSocket a = bound();
  DatagramSocket b = bound();
  int a_calls = 0;
  int b_calls = 0;
  // Whichever runs first unwatches the other: exactly one handler runs, although both are ready.
  ASSERT_TRUE(loop.watch(a.fd(), Interest::read,
                         [&](Ready) {
                           ++a_calls;
                           loop.unwatch(b.fd());
                         })
                  .ok());
  ASSERT_TRUE(loop.watch(b.fd(), Interest::read,
                         [&](Ready) {
                           ++b_calls;
                           loop.unwatch(a.fd());
                         })
                  .ok());
  poke(a);
  poke(b);
  // Both must be ready before the turn: wait until a poll of both reports two.
  auto probe = Poller::create(PollerKind::poll);
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE((*probe)->add(a.fd(), 1).ok() && (*probe)->add(b.fd(), 2).ok());
  std::vector<Readiness> ready;
  for (int i = 0; i < 100 && ready.size() < 2; ++i) {
    ready.clear();
    ASSERT_TRUE((*probe)->wait(50, ready).ok());
  }
  ASSERT_EQ(ready.size(), 2u);
  ASSERT_TRUE(loop.run_once(kPatienceMs).ok());
  EXPECT_EQ(a_calls + b_calls, 1);
  EXPECT_EQ(loop.size(), 1u);
}

TEST_P(EventLoopTest, RehandleAndChange) {
  EventLoop loop = make();
  DatagramSocket a = bound();
  std::vector<std::string> calls;
  ASSERT_TRUE(loop.watch(a.fd(), Interest::read, [&](Ready) { calls.push_back("first"); }).ok());
  loop.rehandle(a.fd(), [&](Ready r) { calls.push_back(r.writable ? "writable" : "second"); });
  ASSERT_TRUE(loop.change(a.fd(), Interest::read_write).ok());
  ASSERT_TRUE(loop.run_once(kPatienceMs).ok());
  EXPECT_EQ(calls, std::vector<std::string>{"writable"});
  ASSERT_TRUE(loop.change(a.fd(), Interest::read).ok());
  calls.clear();
  ASSERT_TRUE(loop.run_once(0).ok());
  EXPECT_TRUE(calls.empty());
}

TEST_P(EventLoopTest, WakeAtEndsTheWait) {
  EventLoop loop = make();
  const auto start = Clock::now();
  ASSERT_TRUE(loop.wake_at(start + 20ms, start).ok());
  // No bound on the wait: only the timer can end it (the test's own timeout would catch a hang).
  ASSERT_TRUE(loop.run_once(-1).ok());
  const auto end = Clock::now();
  EXPECT_GE(end, start + 20ms) << "woke before the time asked";
  // Disarmed: a turn with no wait reports nothing and the next bounded wait runs its course.
  ASSERT_TRUE(loop.wake_at(Clock::time_point::max(), end).ok());
  ASSERT_TRUE(loop.run_once(0).ok());
}

TEST_P(EventLoopTest, AWakeUpInThePastFiresAtOnce) {
  EventLoop loop = make();
  const auto now = Clock::now();
  ASSERT_TRUE(loop.wake_at(Clock::time_point(), now).ok());  // the epoch: long past
  ASSERT_TRUE(loop.run_once(-1).ok());
}

TEST_P(EventLoopTest, TheWakerEndsAWaitFromAnotherThread) {
  EventLoop loop = make();
  std::thread notifier([&loop] { loop.waker().notify(); });
  const Status st = loop.run_once(-1);
  notifier.join();
  ASSERT_TRUE(st.ok());
  // Drained by the loop: the next turn does not return at once because of it.
  const auto start = Clock::now();
  ASSERT_TRUE(loop.run_once(30).ok());
  EXPECT_GE(Clock::now(), start + 30ms);
}

std::string kind_name(const ::testing::TestParamInfo<PollerKind>& p) {
  return p.param == PollerKind::epoll ? "epoll" : "poll";
}
INSTANTIATE_TEST_SUITE_P(Kinds, PollerTest, ::testing::Values(PollerKind::epoll, PollerKind::poll),
                         kind_name);
INSTANTIATE_TEST_SUITE_P(Kinds, EventLoopTest,
                         ::testing::Values(PollerKind::epoll, PollerKind::poll), kind_name);

}  // namespace
}  // namespace sockcalc::event
