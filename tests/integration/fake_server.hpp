// SPDX-License-Identifier: MIT
// tests/integration/fake_server.hpp -- internal to tests/integration.
// FakeServer: a scripted datagram peer for client tests ("ignore the first datagram, answer
// the next with these bytes"), and the datagram builders tests use with it. The script runs
// on the FakeServer's own thread; every public member may be called from the test's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "programs.hpp"
#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/core/waker.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/datagrams.hpp"

namespace sockcalc::integration {

// The datagram builders of tests/support (the project's codec, into vectors a test can mutate).
using testing::Datagram;
using testing::encode;
using testing::encode_error;
using testing::encode_success;
using testing::make_request;

/// protocol::format_reason() as a string: "unknown opcode 2".
std::string reason_text(const protocol::RequestFault& fault);
/// The course's hex dump, "0x80 0x0 0x0 0x0 0x19", for messages.
std::string hex(std::span<const std::byte> bytes);

// ---- FakeServer ----

/// What the fake does with the n-th datagram it receives.
struct FakeStep {
  bool answer = false;
  Datagram reply;  // sent back to the datagram's source when `answer`

  static FakeStep ignore() { return {}; }
  static FakeStep send(Datagram bytes) { return {true, std::move(bytes)}; }
};

/// One datagram the fake received.
struct Received {
  Datagram bytes;               // what the buffer held (the fake's buffer takes 64 KiB)
  std::size_t wire_length = 0;  // its real length (MSG_TRUNC)
  Address peer;
};

class FakeServer {
 public:
  /// Binds `local` (port 0: a free port) and serves `script` on a thread until stop() or
  /// `lifetime` runs out. Datagrams past the end of the script are recorded, not answered.
  static Result<std::unique_ptr<FakeServer>> start(const Address& local,
                                                   std::vector<FakeStep> script,
                                                   milliseconds lifetime = 4 * kPatience);
  /// A fake on ::1 with a free port.
  static Result<std::unique_ptr<FakeServer>> start_v6(std::vector<FakeStep> script);

  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  ~FakeServer();  // stop()

  [[nodiscard]] const Address& address() const { return address_; }
  [[nodiscard]] std::string port_arg() const { return std::to_string(address_.port()); }

  /// Ends the script's thread and records what is still queued on the socket, unanswered:
  /// after a client exited, received() then holds everything it sent. Idempotent.
  void stop();

  /// Waits up to `timeout` until `count` datagrams arrived; returns whether they did.
  bool wait_for_datagrams(std::size_t count, milliseconds timeout);

  /// A copy of every datagram received so far, in arrival order.
  [[nodiscard]] std::vector<Received> received() const;

  /// What the fake saw and did, for failure messages.
  [[nodiscard]] std::string report() const;

 private:
  FakeServer(DatagramSocket s, Address a, Waker w, std::vector<FakeStep> script)
      : socket_(std::move(s)),
        address_(std::move(a)),
        waker_(std::move(w)),
        script_(std::move(script)) {}
  void run(std::chrono::steady_clock::time_point deadline);
  // Receives every queued datagram; answers by the script when `answer`.
  void receive_queued(bool answer);

  DatagramSocket socket_;
  Address address_;
  Waker waker_;
  std::vector<FakeStep> script_;
  std::thread thread_;
  bool stopped_ = false;  // test thread only

  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Received> received_;  // guarded by mutex_
  std::vector<std::string> log_;    // guarded by mutex_
};

}  // namespace sockcalc::integration
