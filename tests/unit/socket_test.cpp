// SPDX-License-Identifier: MIT
// tests/unit/socket_test.cpp -- unit tests of socket/datagram_socket (internal to tests/).
// Real sockets on loopback and in a private temporary directory: bind, dual stack, move,
// MSG_TRUNC, Unix paths and autobind. Single-threaded: plain GoogleTest cases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/process.hpp"

using ::testing::HasSubstr;

namespace sockcalc {
namespace {

// Upper bound of every wait: a datagram on loopback arrives in microseconds, so this only
// matters when something is broken.
constexpr int kWaitMs = 2000;

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::byte>(i * 7 + 1);
  return d;
}

DatagramSocket bind_or_fail(const Address& a) {
  auto s = DatagramSocket::bind(a);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : DatagramSocket{};
}

Address local_of(const DatagramSocket& s) {
  auto a = s.local_address();
  EXPECT_TRUE(a.ok()) << a.error().message();
  return a.ok() ? *a : Address{};
}

class UnixSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::TempDir::create();
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
  }
  Address unix_address(const std::string& name) const { return dir_->unix_address(name); }
  std::optional<testing::TempDir> dir_;
};

// ---- Creating and binding ----

TEST(DatagramSocket, OpenIsNonBlockingAndCloseOnExec) {
  auto s = DatagramSocket::open(AF_INET6);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_TRUE(s->valid());
  EXPECT_NE(::fcntl(s->fd(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(s->fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(DatagramSocket, BindPortZeroGivesARealPort) {
  DatagramSocket s = bind_or_fail(Address::loopback(Family::v6, 0));
  const Address a = local_of(s);
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_NE(a.port(), 0);
  Address expected = Address::loopback(Family::v6, a.port());
  EXPECT_EQ(a, expected) << a.to_string();
}

TEST(DatagramSocket, BindingAPortInUseFailsWithEaddrinuse) {
  DatagramSocket first = bind_or_fail(Address::loopback(Family::v6, 0));
  const Address taken = local_of(first);
  auto second = DatagramSocket::bind(taken);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, std::errc::address_in_use);
  const std::string msg = second.error().message();
  EXPECT_THAT(msg, HasSubstr("cannot bind")) << msg;
  EXPECT_THAT(msg, HasSubstr(taken.to_string())) << msg;
}

TEST(DatagramSocket, BindFirstSkipsACandidateInUse) {
  DatagramSocket first = bind_or_fail(Address::loopback(Family::v6, 0));
  const Address taken = local_of(first);
  auto s = DatagramSocket::bind_first({taken, Address::loopback(Family::v6, 0)});
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_NE(local_of(*s).port(), taken.port());

  auto none = DatagramSocket::bind_first({taken});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, std::errc::address_in_use);
  EXPECT_FALSE(DatagramSocket::bind_first({}).ok());
}

TEST(DatagramSocket, ReusePortLetsTwoSocketsShareAPort) {
  SocketOptions shared;
  shared.reuse_port = true;
  auto first = DatagramSocket::bind(Address::loopback(Family::v6, 0), shared);
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto second = DatagramSocket::bind(local_of(*first), shared);
  EXPECT_TRUE(second.ok()) << second.error().message();
}

TEST(DatagramSocket, ReceiveBufferOptionIsApplied) {
  constexpr int kBytes = 256 * 1024;
  SocketOptions options;
  options.recv_buffer = kBytes;
  auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0), options);
  ASSERT_TRUE(s.ok()) << s.error().message();
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(::getsockopt(s->fd(), SOL_SOCKET, SO_RCVBUF, &value, &len), 0);
  EXPECT_GE(value, kBytes);  // Linux reports twice what was asked (bookkeeping overhead)
}

TEST(DatagramSocket, AdoptTakesAnExistingFd) {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  {
    auto s = DatagramSocket::adopt(fd);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->fd(), fd);
    EXPECT_TRUE(s->local_address().ok());
  }
  EXPECT_FALSE(fd_is_open(fd));
}

// A socket passed blocking and inheritable (as a service manager passes it) gets the class's
// invariants: non-blocking, close-on-exec.
TEST(DatagramSocket, AdoptMakesABlockingFdNonBlockingAndCloseOnExec) {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  auto s = DatagramSocket::adopt(fd);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

// ---- Ownership ----

TEST(DatagramSocket, MoveLeavesTheSourceInvalidAndClosesOnce) {
  std::optional<DatagramSocket> source(bind_or_fail(Address::loopback(Family::v6, 0)));
  const int fd = source->fd();
  ASSERT_GE(fd, 0);
  DatagramSocket owner = std::move(*source);
  EXPECT_EQ(source->fd(), -1);  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_FALSE(source->valid());
  EXPECT_EQ(owner.fd(), fd);
  source.reset();  // destroying the moved-from source must leave the fd alone
  EXPECT_TRUE(fd_is_open(fd));
  EXPECT_TRUE(owner.local_address().ok());
  { DatagramSocket last = std::move(owner); }  // the one owner closes it
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_FALSE(owner.valid());  // NOLINT(bugprone-use-after-move)
}

TEST(DatagramSocket, MoveAssignmentClosesTheOldFd) {
  DatagramSocket a = bind_or_fail(Address::loopback(Family::v6, 0));
  DatagramSocket b = bind_or_fail(Address::loopback(Family::v6, 0));
  const int fa = a.fd();
  const int fb = b.fd();
  b = std::move(a);
  EXPECT_EQ(b.fd(), fa);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(fd_is_open(fb));
  EXPECT_TRUE(fd_is_open(fa));
}

// ---- Sending and receiving ----

TEST(DatagramSocket, RecvOnAnEmptySocketWouldBlock) {
  DatagramSocket s = bind_or_fail(Address::loopback(Family::v6, 0));
  std::array<std::byte, 16> buf{};
  Address peer;
  const RecvResult r = s.recv_from(buf, &peer);
  EXPECT_EQ(r.outcome, RecvOutcome::would_block);
  EXPECT_EQ(r.held, 0u);
  EXPECT_FALSE(s.wait_readable(0));
}

TEST(DatagramSocket, SendToAndReceiveWithThePeerAddress) {
  DatagramSocket server = bind_or_fail(Address::loopback(Family::v6, 0));
  DatagramSocket client = bind_or_fail(Address::loopback(Family::v6, 0));
  const auto data = pattern(21);
  ASSERT_EQ(client.send_to(data, local_of(server)), 0);
  ASSERT_TRUE(server.wait_readable(kWaitMs));
  std::array<std::byte, wire::kRecvBufferSize> buf{};
  Address peer;
  const RecvResult r = server.recv_from(buf, &peer);
  ASSERT_EQ(r.outcome, RecvOutcome::received);
  EXPECT_EQ(r.wire_length, 21u);
  EXPECT_EQ(r.held, 21u);
  EXPECT_FALSE(r.truncated());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), buf.begin()));
  EXPECT_EQ(peer, local_of(client)) << peer.to_string();
}

TEST(DatagramSocket, P6_MsgTruncReportsTheRealLength) {
  DatagramSocket server = bind_or_fail(Address::loopback(Family::v6, 0));
  DatagramSocket client = bind_or_fail(Address::loopback(Family::v6, 0));
  const auto data = pattern(1000);
  ASSERT_EQ(client.send_to(data, local_of(server)), 0);
  ASSERT_TRUE(server.wait_readable(kWaitMs));
  std::vector<std::byte> buf(wire::kRecvBufferSize);  // 258 bytes, exactly: ASan sees overruns
  const RecvResult r = server.recv_from(buf, nullptr);
  ASSERT_EQ(r.outcome, RecvOutcome::received);
  EXPECT_EQ(r.wire_length, 1000u);
  EXPECT_EQ(r.held, 258u);
  EXPECT_TRUE(r.truncated());
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), data.begin()));
}

TEST(DatagramSocket, EmptyDatagramIsReceivedAsZeroBytes) {
  DatagramSocket server = bind_or_fail(Address::loopback(Family::v6, 0));
  DatagramSocket client = bind_or_fail(Address::loopback(Family::v6, 0));
  ASSERT_EQ(client.send_to({}, local_of(server)), 0);
  ASSERT_TRUE(server.wait_readable(kWaitMs));
  std::array<std::byte, 8> buf{};
  const RecvResult r = server.recv_from(buf, nullptr);
  ASSERT_EQ(r.outcome, RecvOutcome::received);
  EXPECT_EQ(r.wire_length, 0u);
  EXPECT_EQ(r.held, 0u);
}

TEST(DatagramSocket, WildcardIpv6IsDualStack) {
  DatagramSocket server = bind_or_fail(Address::any(Family::v6, 0));
  const std::uint16_t port = local_of(server).port();
  auto v4 = DatagramSocket::open(AF_INET);
  ASSERT_TRUE(v4.ok()) << v4.error().message();
  const auto data = pattern(5);
  ASSERT_EQ(v4->send_to(data, Address::loopback(Family::v4, port)), 0);
  ASSERT_TRUE(server.wait_readable(kWaitMs)) << "no IPv4 datagram on [::]:" << port;
  std::array<std::byte, 16> buf{};
  Address peer;
  const RecvResult r = server.recv_from(buf, &peer);
  ASSERT_EQ(r.outcome, RecvOutcome::received);
  EXPECT_EQ(r.held, 5u);
  EXPECT_EQ(peer.family(), AF_INET6);
  EXPECT_EQ(peer.to_string(), "[::ffff:127.0.0.1]:" + std::to_string(local_of(*v4).port()));
}

TEST(DatagramSocket, ConnectedUdpSocketReportsRefusal) {
  Address closed;
  {
    DatagramSocket gone = bind_or_fail(Address::loopback(Family::v6, 0));
    closed = local_of(gone);
  }
  auto s = DatagramSocket::connect(closed);
  ASSERT_TRUE(s.ok()) << s.error().message();
  const auto data = pattern(5);
  ASSERT_EQ(s->send(data), 0);
  ASSERT_TRUE(s->wait_readable(kWaitMs)) << "no ICMP port unreachable from " << closed.to_string();
  std::array<std::byte, 16> buf{};
  const RecvResult r = s->recv_from(buf, nullptr);
  EXPECT_EQ(r.outcome, RecvOutcome::failed);
  EXPECT_EQ(r.error, ECONNREFUSED);
}

// ---- Unix-domain sockets ----

TEST_F(UnixSocketTest, PathBindCreatesASocketFile) {
  const Address a = unix_address("s.sock");
  DatagramSocket s = bind_or_fail(a);
  struct stat st {};
  ASSERT_EQ(::lstat(a.unix_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(local_of(s), a);
  EXPECT_EQ(local_of(s).to_string(), a.to_string());
}

TEST_F(UnixSocketTest, StaleSocketFileIsReplaced) {
  const Address a = unix_address("s.sock");
  { DatagramSocket first = bind_or_fail(a); }  // closed: its file stays behind, stale
  ASSERT_TRUE(std::filesystem::exists(a.unix_path()));
  auto again = DatagramSocket::bind(a);
  ASSERT_TRUE(again.ok()) << again.error().message();
}

TEST_F(UnixSocketTest, LiveSocketFileIsRefused) {
  const Address a = unix_address("s.sock");
  DatagramSocket live = bind_or_fail(a);
  auto second = DatagramSocket::bind(a);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, std::errc::address_in_use);
  EXPECT_THAT(second.error().message(), HasSubstr(a.unix_path())) << second.error().message();
  // The live server still receives.
  auto sender = DatagramSocket::open(AF_UNIX);
  ASSERT_TRUE(sender.ok());
  ASSERT_EQ(sender->send_to(pattern(5), a), 0);
  EXPECT_TRUE(live.wait_readable(kWaitMs));
}

TEST_F(UnixSocketTest, RegularFileIsNeverReplaced) {
  const Address a = unix_address("plain");
  { std::ofstream(a.unix_path()) << "keep me"; }
  auto s = DatagramSocket::bind(a);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, std::errc::address_in_use);
  struct stat st {};
  ASSERT_EQ(::lstat(a.unix_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(UnixSocketTest, P13_ConnectAutobindsSoTheServerCanReply) {
  const Address a = unix_address("s.sock");
  DatagramSocket server = bind_or_fail(a);
  auto client = DatagramSocket::connect(a);
  ASSERT_TRUE(client.ok()) << client.error().message();
  const Address client_name = local_of(*client);
  EXPECT_TRUE(client_name.is_abstract()) << client_name.to_string();

  ASSERT_EQ(client->send(pattern(9)), 0);
  ASSERT_TRUE(server.wait_readable(kWaitMs));
  std::array<std::byte, 16> buf{};
  Address peer;
  const RecvResult r = server.recv_from(buf, &peer);
  ASSERT_EQ(r.outcome, RecvOutcome::received);
  EXPECT_TRUE(peer.is_abstract()) << peer.to_string();
  EXPECT_FALSE(peer.is_unnamed());
  EXPECT_EQ(peer, client_name);

  ASSERT_EQ(server.send_to(pattern(3), peer), 0);
  ASSERT_TRUE(client->wait_readable(kWaitMs));
  EXPECT_EQ(client->recv_from(buf, nullptr).held, 3u);
}

TEST_F(UnixSocketTest, P13_UnboundSenderIsUnnamed) {
  const Address a = unix_address("s.sock");
  DatagramSocket server = bind_or_fail(a);
  auto sender = DatagramSocket::open(AF_UNIX);
  ASSERT_TRUE(sender.ok());
  ASSERT_EQ(sender->send_to(pattern(5), a), 0);
  ASSERT_TRUE(server.wait_readable(kWaitMs));
  std::array<std::byte, 16> buf{};
  Address peer;
  ASSERT_EQ(server.recv_from(buf, &peer).outcome, RecvOutcome::received);
  EXPECT_TRUE(peer.is_unnamed()) << peer.to_string();
  EXPECT_FALSE(peer.is_abstract());
  EXPECT_EQ(peer.to_string(), "unix:(unnamed)");
}

TEST_F(UnixSocketTest, ConnectToAMissingPathFails) {
  auto s = DatagramSocket::connect(unix_address("nobody"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, std::errc::no_such_file_or_directory);
  EXPECT_THAT(s.error().message(), HasSubstr("cannot connect"));
}

TEST(DatagramSocketAbstract, AbstractNameBindAndReceive) {
  // A name unique to this process, so that parallel test runs do not collide.
  auto a = Address::parse_unix("unix:@sockcalc-unit-" + std::to_string(::getpid()));
  ASSERT_TRUE(a.ok());
  DatagramSocket server = bind_or_fail(*a);
  EXPECT_EQ(local_of(server), *a);
  auto client = DatagramSocket::connect(*a);
  ASSERT_TRUE(client.ok()) << client.error().message();
  ASSERT_EQ(client->send(pattern(5)), 0);
  EXPECT_TRUE(server.wait_readable(kWaitMs));
}

}  // namespace
}  // namespace sockcalc
