// SPDX-License-Identifier: MIT
// tests/unit/activation_test.cpp -- unit tests of socket/activation (internal to tests/).
// The LISTEN_PID / LISTEN_FDS rules over made-up environments, the real environment of this
// process (fd 3 saved and restored around each case), and the checks on an adopted socket.
// Single-threaded: plain GoogleTest cases (setenv and unsetenv are not thread-safe).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/socket/activation.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc {
namespace {

using activation::Environment;
using activation::kFirstFd;
using activation::kMaxFds;
using activation::parse_listen_fds;

constexpr pid_t kSelf = 4242;

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

std::vector<int> fds_from(int first, int count) {
  std::vector<int> v;
  for (int i = 0; i < count; ++i) v.push_back(first + i);
  return v;
}

// ---- parse_listen_fds: the rules of sd_listen_fds(3) ----

TEST(ParseListenFds, NoVariablesPassNothing) {
  auto fds = parse_listen_fds(Environment{}, kSelf);
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_TRUE(fds->empty());
}

TEST(ParseListenFds, OneFdForUsIsFd3) {
  auto fds = parse_listen_fds(Environment{std::to_string(kSelf), "1"}, kSelf);
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_EQ(*fds, std::vector<int>{kFirstFd});
  EXPECT_EQ(kFirstFd, 3);  // SD_LISTEN_FDS_START: the convention, not our choice
}

TEST(ParseListenFds, SeveralFdsFollowFd3) {
  auto fds = parse_listen_fds(Environment{std::to_string(kSelf), "3"}, kSelf);
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_EQ(*fds, fds_from(kFirstFd, 3));
}

TEST(ParseListenFds, TheLargestCountIsAccepted) {
  auto fds = parse_listen_fds(Environment{std::to_string(kSelf), std::to_string(kMaxFds)}, kSelf);
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_EQ(fds->size(), static_cast<std::size_t>(kMaxFds));
}

// Variables inherited from a parent they were meant for: not ours, and not judged either.
TEST(ParseListenFds, AnotherProcessesFdsAreNotOurs) {
  for (const char* count : {"1", "2", "0", "junk"}) {
    auto fds = parse_listen_fds(Environment{std::to_string(kSelf + 1), count}, kSelf);
    ASSERT_TRUE(fds.ok()) << count << ": " << fds.error().message();
    EXPECT_TRUE(fds->empty()) << count;
  }
}

TEST(ParseListenFds, APidWithoutACountPassesNothing) {
  auto fds = parse_listen_fds(Environment{std::to_string(kSelf), std::nullopt}, kSelf);
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_TRUE(fds->empty());
}

TEST(ParseListenFds, ACountWithoutAPidPassesNothing) {
  auto fds = parse_listen_fds(Environment{std::nullopt, "1"}, kSelf);
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_TRUE(fds->empty());
}

TEST(ParseListenFds, AnInvalidPidIsAnError) {
  for (const char* pid : {"", "0", "-1", "+4242", " 4242", "4242 ", "42x", "99999999999"}) {
    auto fds = parse_listen_fds(Environment{pid, "1"}, kSelf);
    ASSERT_FALSE(fds.ok()) << "'" << pid << "'";
    EXPECT_THAT(fds.error().message(), ::testing::HasSubstr("LISTEN_PID"));
  }
}

TEST(ParseListenFds, AnInvalidCountForUsIsAnError) {
  const std::string too_many = std::to_string(kMaxFds + 1);
  for (const std::string& count :
       std::vector<std::string>{"", "0", "-1", "+1", " 1", "1 ", "1x", "0x1", too_many}) {
    auto fds = parse_listen_fds(Environment{std::to_string(kSelf), count}, kSelf);
    ASSERT_FALSE(fds.ok()) << "'" << count << "'";
    EXPECT_THAT(fds.error().message(), ::testing::HasSubstr("LISTEN_FDS"));
  }
}

// ---- listen_fds: this process's environment and fd 3 ----

// Puts `fd` (or nothing, with -1) at fd 3 for one test, without close-on-exec as a service
// manager passes it; restores whatever fd 3 was before, and clears the variables.
class Fd3Slot {
 public:
  explicit Fd3Slot(int fd) {
    saved_flags_ = ::fcntl(kFirstFd, F_GETFD);
    if (saved_flags_ >= 0) saved_ = ::fcntl(kFirstFd, F_DUPFD_CLOEXEC, 10);
    if (fd >= 0) {
      ::dup2(fd, kFirstFd);
      ::fcntl(kFirstFd, F_SETFD, 0);  // also when fd was 3 already: dup2 then did nothing
    } else {
      ::close(kFirstFd);
    }
  }
  Fd3Slot(const Fd3Slot&) = delete;
  Fd3Slot& operator=(const Fd3Slot&) = delete;
  ~Fd3Slot() {
    if (saved_ >= 0) {
      ::dup2(saved_, kFirstFd);
      ::fcntl(kFirstFd, F_SETFD, saved_flags_);
      ::close(saved_);
    } else {
      ::close(kFirstFd);
    }
    for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) ::unsetenv(name);
  }

 private:
  int saved_ = -1;
  int saved_flags_ = -1;
};

void set_listen_env(pid_t pid, const std::string& count) {
  ::setenv("LISTEN_PID", std::to_string(pid).c_str(), 1);
  ::setenv("LISTEN_FDS", count.c_str(), 1);
  ::setenv("LISTEN_FDNAMES", "sockcalc.socket", 1);
}

bool listen_env_is_unset() {
  return std::getenv("LISTEN_PID") == nullptr && std::getenv("LISTEN_FDS") == nullptr &&
         std::getenv("LISTEN_FDNAMES") == nullptr;
}

TEST(ListenFds, TakesFd3MarksItCloseOnExecAndUnsetsTheVariables) {
  auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  ASSERT_TRUE(s.ok()) << s.error().message();
  Fd3Slot slot(s->fd());
  ASSERT_EQ(::fcntl(kFirstFd, F_GETFD) & FD_CLOEXEC, 0);
  set_listen_env(::getpid(), "1");
  auto fds = activation::listen_fds();
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_EQ(*fds, std::vector<int>{kFirstFd});
  EXPECT_NE(::fcntl(kFirstFd, F_GETFD) & FD_CLOEXEC, 0);  // no program we start inherits it
  EXPECT_TRUE(listen_env_is_unset());
}

TEST(ListenFds, UnsetsTheVariablesMeantForAnotherProcess) {
  Fd3Slot slot(-1);
  set_listen_env(::getpid() + 1, "1");
  auto fds = activation::listen_fds();
  ASSERT_TRUE(fds.ok()) << fds.error().message();
  EXPECT_TRUE(fds->empty());
  EXPECT_TRUE(listen_env_is_unset());
}

TEST(ListenFds, AClosedFd3IsAnErrorNamingIt) {
  Fd3Slot slot(-1);
  set_listen_env(::getpid(), "1");
  auto fds = activation::listen_fds();
  ASSERT_FALSE(fds.ok());
  EXPECT_THAT(fds.error().message(), ::testing::HasSubstr("fd 3"));
  EXPECT_TRUE(listen_env_is_unset());
}

TEST(ListenFds, AnInvalidCountIsAnErrorAndStillUnsets) {
  Fd3Slot slot(-1);
  set_listen_env(::getpid(), "zero");
  auto fds = activation::listen_fds();
  ASSERT_FALSE(fds.ok());
  EXPECT_TRUE(listen_env_is_unset());
}

// ---- adopt_datagram_socket ----

// A socket as systemd makes one: blocking, bound to `local`; -1 on failure.
int plain_bound_socket(const Address& local, int type = SOCK_DGRAM) {
  const int fd = ::socket(local.family(), type, 0);
  if (fd < 0) return -1;
  if (::bind(fd, local.data(), local.length()) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void expect_served(const Address& local) {
  const int fd = plain_bound_socket(local);
  ASSERT_GE(fd, 0) << local.to_string();
  auto s = activation::adopt_datagram_socket(fd);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->fd(), fd);
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "the workers need a non-blocking socket";
  auto bound = s->local_address();
  ASSERT_TRUE(bound.ok());
  if (!local.is_unix()) {
    EXPECT_NE(bound->port(), 0);
  }
}

TEST(AdoptDatagramSocket, ServesABoundIpv6Socket) {
  expect_served(Address::loopback(Family::v6, 0));
}

TEST(AdoptDatagramSocket, ServesABoundIpv4Socket) {
  expect_served(Address::loopback(Family::v4, 0));
}

TEST(AdoptDatagramSocket, ServesABoundAbstractUnixSocket) {
  auto a = Address::parse_unix("unix:@sockcalc-activation-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(a.ok()) << a.error().message();
  expect_served(*a);
}

// The error names the fd and the reason; the fd is closed (adopt took it).
void expect_refused(int fd, const std::string& reason) {
  ASSERT_GE(fd, 0);
  auto s = activation::adopt_datagram_socket(fd);
  ASSERT_FALSE(s.ok());
  const std::string m = s.error().message();
  EXPECT_THAT(m, ::testing::HasSubstr("cannot serve fd " + std::to_string(fd)));
  EXPECT_THAT(m, ::testing::HasSubstr(reason));
  EXPECT_FALSE(fd_is_open(fd));
}

TEST(AdoptDatagramSocket, RefusesAnUnboundUdpSocket) {
  expect_refused(::socket(AF_INET6, SOCK_DGRAM, 0), "not bound");
}

TEST(AdoptDatagramSocket, RefusesAnUnboundUnixSocket) {
  expect_refused(::socket(AF_UNIX, SOCK_DGRAM, 0), "not bound");
}

TEST(AdoptDatagramSocket, RefusesAStreamSocket) {
  expect_refused(plain_bound_socket(Address::loopback(Family::v6, 0), SOCK_STREAM),
                 "a stream socket, not a datagram socket");
}

TEST(AdoptDatagramSocket, RefusesWhatIsNotASocket) {
  int ends[2] = {-1, -1};
  ASSERT_EQ(::pipe(ends), 0);
  ::close(ends[1]);
  expect_refused(ends[0], "socket operation on non-socket");
}

}  // namespace
}  // namespace sockcalc
