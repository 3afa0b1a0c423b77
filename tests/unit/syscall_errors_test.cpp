// SPDX-License-Identifier: MIT
// tests/unit/syscall_errors_test.cpp -- unit tests of the error paths no real condition reaches
// reliably, through the syscall seam (socket/sys.hpp, support/syscall_fake.hpp): short and failed
// sendmmsg, EINTR, failed receives and waits in the server's workers (send_failed, recv_failed,
// back-off instead of spinning) and in the client, and the socket's blocking mode (P-7).
// Real sockets on loopback throughout: the fake fails chosen calls and passes the rest on.
// The server runs on one helper thread; stats() is read only after that thread was joined.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "running_server.hpp"

#include <fcntl.h>
#include <poll.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/client/client.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/server/batch_io.hpp"
#include "sockcalc/server/engine.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "sockcalc/socket/sys.hpp"
#include "support/datagrams.hpp"
#include "support/syscall_fake.hpp"

using ::testing::HasSubstr;

namespace sockcalc::server {

void PrintTo(Engine engine, std::ostream* os) {
  *os << (engine == Engine::simple ? "simple" : "batch");
}

namespace {

using protocol::Format;
using protocol::Op;
using testing::Datagram;
using testing::encode;
using testing::make_request;
using testing::RunningServer;
using testing::SyscallFake;
using Target = SyscallFake::Target;

constexpr int kWaitMs = 2000;  // upper bound of every wait for a reply; never a sleep
constexpr int kRequests = 4;   // requests queued before the server runs: one batch
constexpr int kFailures = 5;   // failed receives or waits in a row before the fake relents

// Log lines of a server, from its thread.
class Lines {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& l) {
      const std::lock_guard lock(mutex_);
      lines_.push_back(l);
    };
  }
  std::vector<std::string> get() {
    const std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

Result<Server> bound_server(Engine engine, Lines& lines) {
  ServerOptions options;
  options.engine = engine;
  options.log = lines.sink();
  return Server::bind({Address::loopback(Family::v6, 0)}, std::move(options));
}

DatagramSocket client_of(const Address& server) {
  auto s = DatagramSocket::connect(server);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : DatagramSocket{};
}

Datagram request(std::uint32_t i) { return encode(make_request(Op::sum, Format::integer, {i, 1})); }

void send_requests(const DatagramSocket& client, int n) {
  for (int i = 0; i < n; ++i) ASSERT_EQ(client.send(request(static_cast<std::uint32_t>(i))), 0);
}

// The replies that arrive within kWaitMs of each other.
int count_replies(const DatagramSocket& client, int at_most) {
  int n = 0;
  std::vector<std::byte> buf(65536);
  while (n < at_most && client.wait_readable(n == 0 ? kWaitMs : 200)) {
    if (client.recv_from(buf, nullptr).outcome == RecvOutcome::received) ++n;
  }
  return n;
}

// ---- Sends: every reply is counted once, sent or failed (P-7 as far as the kernel allows) ----

class BatchSend : public ::testing::Test {
 protected:
  // Queues kRequests requests, then serves them in one batch with `hook` as sendmmsg.
  void serve_batch(std::function<int(int, mmsghdr*, unsigned, int)> hook) {
    auto s = bound_server(Engine::batch, lines_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    client_ = client_of(s->local_address());
    send_requests(client_, kRequests);
    fake_.sendmmsg = std::move(hook);
    server_ = std::make_unique<RunningServer>(std::move(*s));
  }
  Stats stop() {
    EXPECT_TRUE(server_->stop().ok());
    return server_->stats();
  }
  Lines lines_;
  SyscallFake fake_{Target::other_threads};
  DatagramSocket client_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(BatchSend, ShortSendmmsgGoesOnWithTheRest) {
  serve_batch([](int fd, mmsghdr* m, unsigned, int flags) {
    return sys::kernel().sendmmsg(fd, m, 1, flags);  // one datagram a call, whatever was asked
  });
  EXPECT_EQ(count_replies(client_, kRequests), kRequests);
  const Stats st = stop();
  EXPECT_EQ(st.received, kRequests);
  EXPECT_EQ(st.answered, kRequests);
  EXPECT_EQ(st.send_failed, 0u);
  EXPECT_EQ(fake_.count("sendmmsg"), static_cast<std::size_t>(kRequests));
}

std::string errno_name(const ::testing::TestParamInfo<int>& p) { return strerrorname_np(p.param); }

class RefusedSend : public BatchSend, public ::testing::WithParamInterface<int> {};

TEST_P(RefusedSend, FirstReplyRefusedIsCountedAndTheOthersSent) {
  std::atomic<int> calls{0};
  serve_batch([&calls](int fd, mmsghdr* m, unsigned n, int flags) {
    return calls++ == 0 ? SyscallFake::fail(GetParam()) : sys::kernel().sendmmsg(fd, m, n, flags);
  });
  EXPECT_EQ(count_replies(client_, kRequests), kRequests - 1);
  const Stats st = stop();
  EXPECT_EQ(st.received, kRequests);
  EXPECT_EQ(st.answered, kRequests - 1);
  EXPECT_EQ(st.send_failed, 1u);
}

INSTANTIATE_TEST_SUITE_P(Errno, RefusedSend, ::testing::Values(EINVAL, ENOBUFS, EAGAIN),
                         errno_name);

TEST_F(BatchSend, InterruptedSendIsTriedAgain) {
  std::atomic<int> calls{0};
  serve_batch([&calls](int fd, mmsghdr* m, unsigned n, int flags) {
    return calls++ < 2 ? SyscallFake::fail(EINTR) : sys::kernel().sendmmsg(fd, m, n, flags);
  });
  EXPECT_EQ(count_replies(client_, kRequests), kRequests);
  const Stats st = stop();
  EXPECT_EQ(st.answered, kRequests);
  EXPECT_EQ(st.send_failed, 0u);
}

TEST_F(BatchSend, EndlessEintrGivesUpAfterABoundedNumberOfTries) {
  // A cap so that a worker without a bound still ends (and fails the count below).
  constexpr int kCap = 10000;
  std::atomic<int> calls{0};
  serve_batch([&calls](int fd, mmsghdr* m, unsigned n, int flags) {
    return calls++ < kCap ? SyscallFake::fail(EINTR) : sys::kernel().sendmmsg(fd, m, n, flags);
  });
  EXPECT_EQ(count_replies(client_, kRequests), 0);
  const Stats st = stop();
  EXPECT_EQ(st.received, kRequests);
  EXPECT_EQ(st.answered + st.send_failed, static_cast<std::uint64_t>(kRequests));
  EXPECT_EQ(st.send_failed, static_cast<std::uint64_t>(kRequests));
  EXPECT_LE(fake_.count("sendmmsg"), std::size_t{kRequests} * (1 + kMaxInterruptedSends));
}

// ---- Receives and waits that keep failing: counted, logged once, backed off, then served ----

// Whether every failed call named `failing` is followed, before the next call named `failing`,
// by a back-off: a poll() of the waker alone (1 descriptor) with a timeout. Also returns the
// back-off timeouts in order.
bool backs_off_after_each_failure(const std::vector<SyscallFake::Call>& calls,
                                  const std::string& failing, std::vector<int>& timeouts) {
  bool pending = false;
  for (const auto& c : calls) {
    if (c.name == failing && (c.name != "poll" || c.count == 2)) {
      if (pending) return false;  // two failures without a pause in between: a spin
      pending = c.result < 0;
    } else if (pending && c.name == "poll" && c.count == 1 && c.timeout_ms > 0) {
      timeouts.push_back(c.timeout_ms);
      pending = false;
    }
  }
  return true;
}

class FailingReceive : public ::testing::TestWithParam<Engine> {};

TEST_P(FailingReceive, IsCountedLoggedOnceAndBackedOffThenServes) {
  Lines lines;
  auto s = bound_server(GetParam(), lines);
  ASSERT_TRUE(s.ok()) << s.error().message();
  DatagramSocket client = client_of(s->local_address());
  std::atomic<int> failures{0};
  SyscallFake fake(Target::other_threads);
  fake.recvmmsg = [&failures](int fd, mmsghdr* m, unsigned n, int flags, timespec* t) {
    return failures++ < kFailures ? SyscallFake::fail(ENOMEM)
                                  : sys::kernel().recvmmsg(fd, m, n, flags, t);
  };
  fake.recvfrom = [&failures](int fd, void* d, size_t n, int flags, sockaddr* a, socklen_t* l) {
    return failures++ < kFailures ? SyscallFake::fail(ENOMEM)
                                  : sys::kernel().recvfrom(fd, d, n, flags, a, l);
  };
  auto server = std::make_unique<RunningServer>(std::move(*s));
  send_requests(client, 1);
  EXPECT_EQ(count_replies(client, 1), 1);
  ASSERT_TRUE(server->stop().ok());
  EXPECT_EQ(server->stats().recv_failed, static_cast<std::uint64_t>(kFailures));
  EXPECT_EQ(server->stats().answered, 1u);
  std::vector<int> timeouts;
  const std::string call = GetParam() == Engine::batch ? "recvmmsg" : "recvfrom";
  EXPECT_TRUE(backs_off_after_each_failure(fake.calls(), call, timeouts));
  EXPECT_EQ(timeouts, (std::vector<int>{1, 2, 4, 8, 16}));
  const auto logged = lines.get();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_THAT(logged[0], HasSubstr("cannot receive on [::1]:")) << logged[0];
  EXPECT_THAT(logged[0], HasSubstr("cannot allocate memory")) << logged[0];
}

INSTANTIATE_TEST_SUITE_P(Engines, FailingReceive, ::testing::Values(Engine::batch, Engine::simple));

TEST(FailingWait, APollThatKeepsFailingIsBackedOffThenServes) {
  // An adopted socket: its workers sleep in poll() on it and the waker (2 descriptors).
  auto socket = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(socket.ok()) << socket.error().message();
  Lines lines;
  ServerOptions options;
  options.log = lines.sink();
  auto s = Server::adopt(std::move(*socket), std::move(options));
  ASSERT_TRUE(s.ok()) << s.error().message();
  DatagramSocket client = client_of(s->local_address());
  std::atomic<int> failures{0};
  SyscallFake fake(Target::other_threads);
  fake.poll = [&failures](pollfd* fds, nfds_t n, int timeout_ms) {
    if (n == 2 && failures++ < kFailures) return SyscallFake::fail(ENOMEM);
    return sys::kernel().poll(fds, n, timeout_ms);
  };
  auto server = std::make_unique<RunningServer>(std::move(*s));
  // The request only once every failure has happened: a datagram waiting would skip the poll().
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (failures.load() < kFailures && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  send_requests(client, 1);
  EXPECT_EQ(count_replies(client, 1), 1);
  ASSERT_TRUE(server->stop().ok());
  EXPECT_EQ(server->stats().answered, 1u);
  std::vector<int> timeouts;
  EXPECT_TRUE(backs_off_after_each_failure(fake.calls(), "poll", timeouts));
  EXPECT_EQ(timeouts, (std::vector<int>{1, 2, 4, 8, 16}));
  const auto logged = lines.get();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_THAT(logged[0], HasSubstr("cannot wait for a datagram on [::1]:")) << logged[0];
}

// ---- The socket's receive mode ----

TEST(ReceiveMode, BlockReceivesMakesTheSocketBlockingWithATimeout) {
  auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->receive_mode(), ReceiveMode::non_blocking);
  ASSERT_TRUE(s->block_receives(std::chrono::milliseconds(20)).ok());
  EXPECT_EQ(s->receive_mode(), ReceiveMode::blocking);
  EXPECT_EQ(::fcntl(s->fd(), F_GETFL) & O_NONBLOCK, 0);
  std::array<std::byte, 16> buf{};
  // Not waiting: at once, blocking socket or not. Waiting: until the receive timeout.
  EXPECT_EQ(s->recv_from(buf, nullptr).outcome, RecvOutcome::would_block);
  EXPECT_EQ(s->recv_from(buf, nullptr, RecvWait::for_one).outcome, RecvOutcome::would_block);
  DatagramSocket moved = std::move(*s);
  EXPECT_EQ(moved.receive_mode(), ReceiveMode::blocking);
}

TEST(ReceiveMode, RefusedFcntlLeavesTheModeAndTheServerStillServes) {
  auto socket = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(socket.ok()) << socket.error().message();
  std::optional<Result<Server>> s;
  {
    SyscallFake fake(Target::this_thread);
    fake.fcntl = [](int fd, int command, int argument) {
      return command == F_SETFL ? SyscallFake::fail(EPERM)
                                : sys::kernel().fcntl(fd, command, argument);
    };
    const Status st = socket->block_receives(std::chrono::milliseconds(20));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message(), "cannot make fd " + std::to_string(socket->fd()) +
                                        " blocking: operation not permitted");
    EXPECT_EQ(socket->receive_mode(), ReceiveMode::non_blocking);
    Lines lines;
    ServerOptions options;
    options.log = lines.sink();
    s.emplace(Server::bind({Address::loopback(Family::v6, 0)}, std::move(options)));
  }
  ASSERT_TRUE(s->ok()) << s->error().message();
  DatagramSocket client = client_of((*s)->local_address());
  RunningServer server(std::move(**s));  // its workers sleep in poll() instead
  send_requests(client, 1);
  EXPECT_EQ(count_replies(client, 1), 1);
  EXPECT_TRUE(server.stop().ok());
}

}  // namespace
}  // namespace sockcalc::server

// ---- The client ----

namespace sockcalc::client {
namespace {

using protocol::Format;
using protocol::Op;
using sockcalc::testing::make_request;
using sockcalc::testing::RunningServer;
using sockcalc::testing::SyscallFake;
using Target = SyscallFake::Target;

class ClientErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions options;
    options.log = [](const std::string&) {};
    auto s = server::Server::bind({Address::loopback(Family::v6, 0)}, std::move(options));
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::make_unique<RunningServer>(std::move(*s));
    auto c = Client::connect(server_->address());
    ASSERT_TRUE(c.ok()) << c.error().message();
    client_ = std::make_unique<Client>(std::move(*c));
  }
  Result<CallResult> call() {
    CallOptions o;
    o.timeout = std::chrono::milliseconds(500);
    o.retries = 1;
    return client_->call(make_request(Op::sum, Format::integer, {2, 3}), o);
  }
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientErrors, TransientSendFailureIsALostDatagramSentAgain) {
  SyscallFake fake(Target::this_thread);
  std::atomic<int> calls{0};
  fake.send = [&calls](int fd, const void* d, size_t n, int flags) -> ssize_t {
    return calls++ == 0 ? SyscallFake::fail(ENOBUFS) : sys::kernel().send(fd, d, n, flags);
  };
  auto r = call();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, CallStatus::success);
  EXPECT_EQ(r->value, 5u);
  EXPECT_EQ(r->tries, 2);
}

TEST_F(ClientErrors, InterruptedSendIsTriedAgainAtOnce) {
  SyscallFake fake(Target::this_thread);
  std::atomic<int> calls{0};
  fake.send = [&calls](int fd, const void* d, size_t n, int flags) -> ssize_t {
    return calls++ == 0 ? SyscallFake::fail(EINTR) : sys::kernel().send(fd, d, n, flags);
  };
  auto r = call();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, CallStatus::success);
  EXPECT_EQ(r->tries, 1);
}

TEST_F(ClientErrors, FatalSendFailureIsAnError) {
  SyscallFake fake(Target::this_thread);
  fake.send = [](int, const void*, size_t, int) -> ssize_t { return SyscallFake::fail(EPERM); };
  auto r = call();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "cannot send to " + server_->address().to_string() + ": operation not permitted");
}

TEST_F(ClientErrors, FailedWaitIsAnErrorNotASpinToTheDeadline) {
  SyscallFake fake(Target::this_thread);
  fake.poll = [](pollfd*, nfds_t, int) { return SyscallFake::fail(ENOMEM); };
  auto r = call();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cannot wait for a reply from " + server_->address().to_string() +
                                     ": cannot allocate memory");
  EXPECT_EQ(fake.count("poll"), 1u);
}

TEST_F(ClientErrors, InterruptedWaitWaitsAgain) {
  SyscallFake fake(Target::this_thread);
  std::atomic<int> calls{0};
  fake.poll = [&calls](pollfd* fds, nfds_t n, int timeout_ms) {
    return calls++ == 0 ? SyscallFake::fail(EINTR) : sys::kernel().poll(fds, n, timeout_ms);
  };
  auto r = call();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, CallStatus::success);
  EXPECT_EQ(r->tries, 1);
}

TEST_F(ClientErrors, FailedReceiveIsAnError) {
  SyscallFake fake(Target::this_thread);
  fake.recvfrom = [](int, void*, size_t, int, sockaddr*, socklen_t*) -> ssize_t {
    return SyscallFake::fail(ENOMEM);
  };
  auto r = call();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "cannot receive from " + server_->address().to_string() + ": cannot allocate memory");
}

}  // namespace
}  // namespace sockcalc::client
