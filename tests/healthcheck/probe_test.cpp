// SPDX-License-Identifier: MIT
// tests/healthcheck/probe_test.cpp -- probes and the checker's loop against real peers on
// loopback: this build's server, a closed port, a socket nobody reads, a peer that answers
// wrong. The loop's backend here only records the live sets it is given (the nftables and
// route backends have their own tests, in namespaces). Test thread, plus the checker's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "sockcalc/healthcheck/checker.hpp"
#include "sockcalc/healthcheck/probe.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/closed_port.hpp"
#include "support/datagrams.hpp"
#include "support/process.hpp"

namespace sockcalc::healthcheck {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using testing::ServerProcess;
using ::testing::StartsWith;

constexpr milliseconds kTimeout{200};

std::unique_ptr<ServerProcess> start_server(const std::string& address, const std::string& port) {
  auto server = ServerProcess::start(SOCKCALC_SERVER_BIN, {"--threads", "1", address, port});
  EXPECT_TRUE(server.ok()) << server.error().message();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(Probe, GoodWhenTheServerAnswersTheSum) {
  auto server = start_server("::1", "0");
  ASSERT_NE(server, nullptr);
  const ProbeOutcome o = probe(server->address(), kTimeout, 4294967295u, 2);
  EXPECT_TRUE(o.good) << o.detail;
  EXPECT_EQ(o.detail, "answered 1");  // wraps modulo 2^32 as the server's sum does
}

TEST(Probe, BadWhenNobodyListens) {
  auto closed = testing::ClosedPort::open(Family::v4);
  ASSERT_TRUE(closed.ok()) << closed.error().message();
  const ProbeOutcome o = probe(closed->address(), kTimeout, 1, 2);
  EXPECT_FALSE(o.good);
  EXPECT_THAT(o.detail, StartsWith("refused"));
}

TEST(Probe, BadWhenNoReplyComesInTime) {
  auto silent = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(silent.ok()) << silent.error().message();
  const auto started = std::chrono::steady_clock::now();
  const ProbeOutcome o = probe(*silent->local_address(), milliseconds(50), 1, 2);
  EXPECT_FALSE(o.good);
  EXPECT_EQ(o.detail, "no reply within 50 ms");
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(50));  // one try, waited
}

// A peer that answers every request once with `reply`, on a thread of its own.
class OneAnswerPeer {
 public:
  explicit OneAnswerPeer(testing::Datagram reply) : reply_(std::move(reply)) {
    auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
    if (!s.ok() || !s->block_receives(std::chrono::milliseconds(100)).ok()) return;
    socket_ = std::move(*s);
    thread_ = std::jthread([this](std::stop_token stop) { serve(stop); });
  }
  [[nodiscard]] Address address() const { return *socket_.local_address(); }

 private:
  void serve(const std::stop_token& stop) const {
    std::vector<std::byte> buffer(2048);
    while (!stop.stop_requested()) {
      Address peer;
      const RecvResult r = socket_.recv_from(buffer, &peer, RecvWait::for_one);
      if (r.outcome == RecvOutcome::received) (void)socket_.send_to(reply_, peer);
    }
  }
  testing::Datagram reply_;
  DatagramSocket socket_;
  std::jthread thread_;
};

TEST(Probe, BadWhenTheAnswerIsWrongOrAnError) {
  OneAnswerPeer wrong(testing::encode_success(8, protocol::Format::integer));
  const ProbeOutcome w = probe(wrong.address(), kTimeout, 3, 4);
  EXPECT_FALSE(w.good);
  EXPECT_EQ(w.detail, "wrong result 8 for 3 + 4");
  OneAnswerPeer error(testing::encode_error({protocol::RequestError::unknown_opcode, 2}, 12));
  const ProbeOutcome e = probe(error.address(), kTimeout, 3, 4);
  EXPECT_FALSE(e.good);
  EXPECT_EQ(e.detail, "error reply");
}

// Records the live sets the checker applies; another thread waits for one.
class RecordingBackend final : public Backend {
 public:
  [[nodiscard]] std::string describe() const override { return "recorder"; }
  Status apply(const std::vector<const Endpoint*>& live) override {
    std::string names;
    for (const Endpoint* e : live) names += (names.empty() ? "" : " ") + e->name;
    const std::lock_guard lock(mutex_);
    sets_.push_back(names);
    changed_.notify_all();
    return Ok{};
  }
  /// Waits until the last set applied is `names`; false after `timeout`.
  bool wait_for(const std::string& names, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return !sets_.empty() && sets_.back() == names; });
  }
  std::vector<std::string> sets() {
    const std::lock_guard lock(mutex_);
    return sets_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> sets_;
};

TEST(CheckerLoop, TakesADeadServerOutAndBringsItBackWhenItAnswersAgain) {
  auto s1 = start_server("::1", "0");
  auto s2 = start_server("127.0.0.1", "0");
  ASSERT_TRUE(s1 && s2);
  const std::string s1_port = s1->port_arg();
  auto recorder_owned = std::make_unique<RecordingBackend>();
  RecordingBackend& recorder = *recorder_owned;
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::move(recorder_owned));
  std::mutex log_mutex;
  std::string log;
  CheckerOptions options;
  options.interval = milliseconds(50);
  options.timeout = milliseconds(40);
  auto checker = Checker::create({{"s1", {s1->address()}}, {"s2", {s2->address()}}},
                                 std::move(backends), options, [&](Level, const std::string& line) {
                                   const std::lock_guard lock(log_mutex);
                                   log += line + "\n";
                                 });
  ASSERT_TRUE(checker.ok()) << checker.error().message();
  std::thread loop([&] { (*checker)->run(); });
  const auto stop_loop = [&] {
    (*checker)->request_stop();
    loop.join();
  };
  EXPECT_TRUE(recorder.wait_for("s1 s2", testing::kPatience));
  ASSERT_TRUE(s1->stop());
  EXPECT_TRUE(recorder.wait_for("s2", testing::kPatience));
  s1 = start_server("::1", s1_port);
  EXPECT_TRUE(s1 && recorder.wait_for("s1 s2", testing::kPatience));
  stop_loop();
  EXPECT_EQ(recorder.sets(), (std::vector<std::string>{"s1 s2", "s2", "s1 s2"}));
  EXPECT_THAT(log, HasSubstr("endpoint s1 ([::1]:" + s1_port + ") down after 3 failed probes: "));
  EXPECT_THAT(log, HasSubstr("endpoint s1 ([::1]:" + s1_port + ") up after 2 good probes"));
  EXPECT_THAT(log, HasSubstr("recorder: live endpoints s2\n"));
}

TEST(CheckerLoop, AServerDeadAtStartIsLeftOutOfTheFirstSet) {
  auto s2 = start_server("127.0.0.1", "0");
  auto closed = testing::ClosedPort::open(Family::v6);
  ASSERT_TRUE(s2 && closed.ok());
  auto recorder_owned = std::make_unique<RecordingBackend>();
  RecordingBackend& recorder = *recorder_owned;
  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::move(recorder_owned));
  CheckerOptions options;
  options.interval = milliseconds(50);
  options.timeout = milliseconds(40);
  auto checker = Checker::create({{"s1", {closed->address()}}, {"s2", {s2->address()}}},
                                 std::move(backends), options, [](Level, const std::string&) {});
  ASSERT_TRUE(checker.ok()) << checker.error().message();
  std::thread loop([&] { (*checker)->run(); });
  EXPECT_TRUE(recorder.wait_for("s2", testing::kPatience));
  (*checker)->request_stop();
  loop.join();
  EXPECT_EQ(recorder.sets().front(), "s2");  // never "s1 s2" first
}

}  // namespace
}  // namespace sockcalc::healthcheck
