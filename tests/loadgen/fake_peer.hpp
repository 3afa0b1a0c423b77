// SPDX-License-Identifier: MIT
// tests/loadgen/fake_peer.hpp -- internal to tests/loadgen.
// FakePeer: a misbehaving calc server on [::1]:0, run by its own thread, that answers each
// request as a policy says: right, wrong by one, not at all, or late. Replies are built with
// the codec. Created and destroyed by one test thread; the counters may be read from it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace sockcalc::loadgen_test {

enum class PeerAction {
  correct,   // the right result (protocol::compute)
  plus_one,  // a well-formed success reply carrying the right result + 1
  drop,      // no reply
  late,      // the right result, after the peer's delay
};

class FakePeer {
 public:
  /// `policy(n)` decides for the n-th request received (0-based, retransmissions included).
  using Policy = std::function<PeerAction(std::uint64_t n)>;

  /// Binds [::1]:0 and starts the thread; nullptr when the socket cannot be bound.
  static std::unique_ptr<FakePeer> start(
      Policy policy, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;
  ~FakePeer();  // stops and joins the thread

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint64_t received() const { return received_.load(); }

 private:
  struct Impl;
  explicit FakePeer(std::unique_ptr<Impl> impl);
  void serve();

  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::thread thread_;
};

}  // namespace sockcalc::loadgen_test
