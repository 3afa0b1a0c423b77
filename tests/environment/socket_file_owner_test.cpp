// SPDX-License-Identifier: MIT
// tests/environment/socket_file_owner_test.cpp -- internal to tests/environment.
// A server removes its Unix socket file on exit only while it is still the socket it bound:
// never a file put in its place, never another server's socket (issue 10, section 5).
// Test thread only.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "environment.hpp"

namespace sockcalc::environment {
namespace {

using testing::run_program;
using testing::ServerProcess;
using testing::TempDir;

class SocketFileOwner : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create();
    ASSERT_TRUE(d) << d.error().message();
    dir_.emplace(std::move(*d));
    path_ = dir_->path() + "/calc.sock";
  }
  std::unique_ptr<ServerProcess> start() {
    auto s = ServerProcess::start(SOCKCALC_SERVER_BIN, {"--threads", "1", "unix:" + path_});
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }
  [[nodiscard]] bool is_socket() const {
    struct stat st {};
    return ::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  }
  std::optional<TempDir> dir_;
  std::string path_;
};

TEST_F(SocketFileOwner, TheServersOwnSocketIsRemovedOnExit) {
  auto server = start();
  ASSERT_TRUE(server);
  ASSERT_TRUE(is_socket());
  ASSERT_TRUE(server->stop()) << server->report();
  EXPECT_NE(::access(path_.c_str(), F_OK), 0) << path_ << " is still there";
}

TEST_F(SocketFileOwner, AFilePutInItsPlaceSurvivesTheServer) {
  auto server = start();
  ASSERT_TRUE(server);
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  const std::string content = "not the server's\n";
  std::ofstream(path_) << content;
  ASSERT_TRUE(server->stop()) << server->report();
  EXPECT_TRUE(server->process().status().exited_with(0)) << server->report();
  std::ifstream in(path_);
  ASSERT_TRUE(in) << path_ << " was removed";
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), content);
}

TEST_F(SocketFileOwner, AnotherServersSocketOnThePathSurvivesTheFirstServer) {
  auto first = start();
  ASSERT_TRUE(first);
  ASSERT_EQ(::unlink(path_.c_str()), 0);  // as an operator or a restart script would
  auto second = start();
  ASSERT_TRUE(second);
  ASSERT_TRUE(first->stop()) << first->report();
  EXPECT_TRUE(first->process().status().exited_with(0)) << first->report();
  ASSERT_TRUE(is_socket()) << "the first server removed the second one's socket file";
  const RunResult client =
      run_program(SOCKCALC_CLIENT_BIN, {"-op", "+", "unix:" + path_, "1", "2"});
  EXPECT_TRUE(client.status.exited_with(0)) << client.report;
  EXPECT_EQ(client.out, "Result: 3\n");
  ASSERT_TRUE(second->stop()) << second->report();
  EXPECT_NE(::access(path_.c_str(), F_OK), 0) << "the second server left its socket file";
}

}  // namespace
}  // namespace sockcalc::environment
