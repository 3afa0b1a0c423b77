// SPDX-License-Identifier: MIT
// tests/unit/unique_fd_test.cpp -- unit tests of core/unique_fd (internal to tests/).
// UniqueFd closes its fd exactly once: on destruction, on reset, on move assignment; a move
// leaves -1 behind; release() hands the fd over unclosed; open_pipe() makes two connected,
// close-on-exec ends or says why not. Real pipes; single-threaded.
#include "sockcalc/core/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
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
  Pipe ends;
  EXPECT_EQ(open_pipe(ends), 0);
  return {std::move(ends.read), std::move(ends.write)};
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

TEST(OpenPipe, MakesTwoConnectedCloseOnExecEnds) {
  Pipe ends;
  ASSERT_EQ(open_pipe(ends), 0);
  for (const UniqueFd* end : {&ends.read, &ends.write}) {
    EXPECT_EQ(::fcntl(end->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(::fcntl(end->get(), F_GETFL) & O_NONBLOCK, 0);
  }
  ASSERT_EQ(::write(ends.write.get(), "x", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(ends.read.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(OpenPipe, PassesItsFlags) {
  Pipe ends;
  ASSERT_EQ(open_pipe(ends, O_NONBLOCK), 0);
  EXPECT_EQ(::fcntl(ends.read.get(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  char c = 0;
  EXPECT_EQ(::read(ends.read.get(), &c, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST(OpenPipe, AFailureGivesTheErrnoAndNoEnds) {
  Pipe ends;
  ASSERT_EQ(open_pipe(ends), 0);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit none = saved;
  none.rlim_cur = 0;  // no new descriptor: pipe2 fails with EMFILE
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &none), 0);
  const int e = open_pipe(ends);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(e, EMFILE);
  EXPECT_FALSE(ends.read.valid());
  EXPECT_FALSE(ends.write.valid());
}

}  // namespace
}  // namespace sockcalc
