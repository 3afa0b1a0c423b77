// SPDX-License-Identifier: MIT
// tests/unit/socket_access_test.cpp -- unit tests of socket/socket_access through
// DatagramSocket::bind (internal to tests/). A Unix socket file gets the mode and group asked
// for, whatever the umask, and the umask is left as it was; an address with no file refuses
// them. Single-threaded (the code under test changes the process's umask).
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sockcalc/address/address.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/process.hpp"

namespace sockcalc {
namespace {

using testing::TempDir;

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

class SocketAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create();
    ASSERT_TRUE(dir) << dir.error().message();
    dir_.emplace(std::move(*dir));
    path_ = dir_->path() + "/s";
    saved_umask_ = ::umask(0);  // the widest umask: the mode asked for must still win
  }
  void TearDown() override { ::umask(saved_umask_); }
  std::optional<TempDir> dir_;
  std::string path_;
  mode_t saved_umask_ = 022;
};

TEST_F(SocketAccess, TheFileHasTheModeAskedWhateverTheUmask) {
  SocketOptions o;
  o.file_mode = 0640;
  auto s = DatagramSocket::bind(dir_->unix_address("s"), o);
  ASSERT_TRUE(s) << s.error().message();
  const struct stat st = stat_of(path_);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(::umask(0), 0u);  // left as it was
}

TEST_F(SocketAccess, TheFileHasTheGroupAsked) {
  // Root may give any group; anyone else, a group of theirs (their own).
  const gid_t group = ::geteuid() == 0 ? 65534 : ::getegid();
  SocketOptions o;
  o.file_group = group;
  auto s = DatagramSocket::bind(dir_->unix_address("s"), o);
  ASSERT_TRUE(s) << s.error().message();
  const struct stat st = stat_of(path_);
  EXPECT_EQ(st.st_gid, group);
  EXPECT_EQ(st.st_mode & 07777, 0777u);  // no mode asked: as the umask (000) gives
}

TEST_F(SocketAccess, WithoutOptionsTheUmaskDecides) {
  ::umask(027);
  auto s = DatagramSocket::bind(dir_->unix_address("s"));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(stat_of(path_).st_mode & 07777, 0750u);
}

TEST_F(SocketAccess, AnAddressWithoutAFileRefusesAModeOrAGroup) {
  SocketOptions o;
  o.file_mode = 0600;
  for (const char* text : {"unix:@sockcalc-socket-access-test", "[::1]:0", "127.0.0.1:0"}) {
    auto a = Address::parse(text);
    ASSERT_TRUE(a) << text;
    auto s = DatagramSocket::bind(*a, o);
    ASSERT_FALSE(s) << text;
    EXPECT_THAT(s.error().message(), ::testing::HasSubstr("only a unix:PATH socket has a file"));
  }
}

}  // namespace
}  // namespace sockcalc
