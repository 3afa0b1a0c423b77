// SPDX-License-Identifier: MIT
// tests/unit/unique_fd_test.cpp -- unit tests of core/unique_fd (internal to tests/).
// UniqueFd closes its fd exactly once: on destruction, on reset, on move assignment; a move
// leaves -1 behind; release() hands the fd over unclosed. Real pipes; single-threaded.
#include "sockcalc/core/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

namespace sockcalc {
namespace {

// Whether `fd` is an open descriptor of this process.
bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0 || errno != EBADF; }

// A fresh pipe: both ends, owned.
std::array<UniqueFd, 2> make_pipe() {
  std::array<int, 2> fds{-1, -1};
  EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(UniqueFd, ClosesItsFdWhenDestroyed) {
  int raw = -1;
  {
    auto ends = make_pipe();
    raw = ends[0].get();
    ASSERT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, EmptyByDefaultAndForNegativeFds) {
  EXPECT_FALSE(UniqueFd().valid());
  EXPECT_EQ(UniqueFd().get(), -1);
  EXPECT_FALSE(UniqueFd(-5).valid());
  EXPECT_EQ(UniqueFd(-5).get(), -1);
}

TEST(UniqueFd, MoveLeavesMinusOneAndKeepsTheFdOpen) {
  auto ends = make_pipe();
  const int raw = ends[0].get();
  UniqueFd moved(std::move(ends[0]));
  EXPECT_EQ(ends[0].get(), -1);  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(moved.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, MoveAssignmentClosesTheFdItHeld) {
  auto first = make_pipe();
  auto second = make_pipe();
  const int old_fd = first[0].get();
  const int new_fd = second[0].get();
  first[0] = std::move(second[0]);
  EXPECT_FALSE(is_open(old_fd));
  EXPECT_TRUE(is_open(new_fd));
  EXPECT_EQ(first[0].get(), new_fd);
}

TEST(UniqueFd, ResetClosesTheOldFdAndOwnsTheNewOne) {
  auto ends = make_pipe();
  const int read_end = ends[0].get();
  const int write_end = ends[1].release();
  ends[0].reset(write_end);
  EXPECT_FALSE(is_open(read_end));
  EXPECT_TRUE(is_open(write_end));
  ends[0].reset();
  EXPECT_FALSE(is_open(write_end));
  EXPECT_FALSE(ends[0].valid());
}

TEST(UniqueFd, ResetToTheSameFdKeepsItOpen) {
  auto ends = make_pipe();
  const int raw = ends[0].get();
  ends[0].reset(raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseHandsTheFdOverUnclosed) {
  int raw = -1;
  {
    auto ends = make_pipe();
    raw = ends[0].release();
    EXPECT_FALSE(ends[0].valid());
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

}  // namespace
}  // namespace sockcalc
