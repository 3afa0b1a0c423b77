// SPDX-License-Identifier: MIT
// tests/integration/socket_file_test.cpp -- internal to tests/integration.
// The real server's Unix socket file: --socket-mode and --socket-group set its mode and group
// (checked with stat), and a peer of another user is refused or admitted as they say (a child
// process that setuid()s to `nobody`; the test must run as root for that). Misuse is a usage
// error. Unix paths in a temporary directory only. Test thread only (the child only makes
// system calls).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

constexpr int kServerUsage = 2;
constexpr int kTimedOut = 250;  // exit status of a child that got no reply in time

struct Ids {
  uid_t nobody = 0;
  gid_t nogroup = 0;
  gid_t other_group = 0;  // a group `nobody` is not in
  bool ok = false;
};

Ids ids() {
  // getpwnam() and getgrnam() return static storage: each result is copied at once.
  Ids out;
  const passwd* pw = ::getpwnam("nobody");
  if (pw == nullptr) return out;
  out.nobody = pw->pw_uid;
  const group* gr = ::getgrnam("nogroup");
  if (gr == nullptr) return out;
  out.nogroup = gr->gr_gid;
  gr = ::getgrnam("daemon");
  if (gr == nullptr) return out;
  out.other_group = gr->gr_gid;
  out.ok = true;
  return out;
}

// What a peer running as `uid`:`gid` (no supplementary group) gets when it sends a request to
// `server`: 0 when answered, the errno of connect() or send() (EACCES) when refused,
// kTimedOut when no reply came within kPatience.
int exchange_as(uid_t uid, gid_t gid, const Address& server) {
  const Datagram request =
      encode(make_request(protocol::Op::sum, protocol::Format::integer, {2, 3}));
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) _exit(251);
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un self{};
    self.sun_family = AF_UNIX;  // autobind: an abstract name the server can reply to
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof(sa_family_t)) != 0) {
      _exit(252);
    }
    if (::connect(fd, server.data(), server.length()) != 0) _exit(errno);
    if (::send(fd, request.data(), request.size(), 0) < 0) _exit(errno);
    pollfd p{fd, POLLIN, 0};
    char reply[64];
    if (::poll(&p, 1, static_cast<int>(kPatience.count())) != 1) _exit(kTimedOut);
    _exit(::recv(fd, reply, sizeof reply, 0) > 0 ? 0 : 253);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class SocketFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create();
    ASSERT_TRUE(dir) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    // Others may enter the directory: what admits or refuses them is the socket file alone.
    ASSERT_EQ(::chmod(dir_->path().c_str(), 0755), 0);
    path_ = dir_->path() + "/calc.sock";
  }
  void TearDown() override { print_on_failure(server_.get()); }

  void start(std::vector<std::string> args) {
    args.push_back("unix:" + path_);
    auto s = start_server(args);
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(*s);
  }
  struct stat file() const {
    struct stat st {};
    EXPECT_EQ(::lstat(path_.c_str(), &st), 0) << path_;
    return st;
  }
  static void require_root() {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root, to run a peer as another user";
  }

  std::unique_ptr<TempDir> dir_;
  std::string path_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(SocketFile, ModeAndGroupAreThoseAsked) {
  const Ids id = ids();
  if (!id.ok) GTEST_SKIP() << "no user nobody or group nogroup/daemon here";
  // A umask that would give everyone everything: the mode asked for wins.
  const mode_t saved = ::umask(0);
  start({"--socket-mode", "0640", "--socket-group", "nogroup"});
  ::umask(saved);
  const struct stat st = file();
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_gid, id.nogroup);
  // The owner still gets in.
  const RunResult r = run_client({"-op", "+", "unix:" + path_, "2", "3"});
  EXPECT_EQ(r.out, result_line(5)) << r.report;
}

TEST_F(SocketFile, AGroupGivenAsANumber) {
  const Ids id = ids();
  if (!id.ok) GTEST_SKIP() << "no user nobody or group nogroup/daemon here";
  start({"--socket-group", std::to_string(id.other_group), "--socket-mode", "660"});
  const struct stat st = file();
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, id.other_group);
}

TEST_F(SocketFile, APeerOfAnotherUserIsRefused) {
  require_root();
  const Ids id = ids();
  if (!id.ok) GTEST_SKIP() << "no user nobody or group nogroup/daemon here";
  start({"--socket-mode", "0600"});
  EXPECT_EQ(exchange_as(id.nobody, id.nogroup, server_->address()), EACCES);
  // The owner is served.
  EXPECT_EQ(exchange_as(0, 0, server_->address()), 0);
}

TEST_F(SocketFile, AnOpenModeAdmitsAnotherUser) {
  require_root();
  const Ids id = ids();
  if (!id.ok) GTEST_SKIP() << "no user nobody or group nogroup/daemon here";
  start({"--socket-mode", "0666"});
  EXPECT_EQ(exchange_as(id.nobody, id.nogroup, server_->address()), 0);
}

TEST_F(SocketFile, TheGroupGetsInOthersDoNot) {
  require_root();
  const Ids id = ids();
  if (!id.ok) GTEST_SKIP() << "no user nobody or group nogroup/daemon here";
  start({"--socket-mode", "0660", "--socket-group", "nogroup"});
  EXPECT_EQ(exchange_as(id.nobody, id.nogroup, server_->address()), 0);
  EXPECT_EQ(exchange_as(id.nobody, id.other_group, server_->address()), EACCES);
}

TEST_F(SocketFile, MisuseIsAUsageError) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::string unix_path = "unix:" + path_;
  const std::vector<Case> cases = {
      {{"--socket-mode", "0660", "::1", "0"}, "unix:PATH"},
      {{"--socket-group", "nogroup", "127.0.0.1", "0"}, "unix:PATH"},
      {{"--socket-mode", "0660", "unix:@sockcalc-socket-file-test"}, "unix:PATH"},
      {{"--socket-mode", "0660"}, "SocketMode="},
      {{"--socket-mode", "0999", unix_path}, "invalid socket mode"},
      {{"--socket-mode", "01777", unix_path}, "invalid socket mode"},
      {{"--socket-mode", "u+rw", unix_path}, "invalid socket mode"},
      {{"--socket-mode", "", unix_path}, "invalid socket mode"},
      {{"--socket-group", "no-such-group-sockcalc", unix_path}, "unknown group"},
      {{"--send-buffer", "100", unix_path}, "send buffer"},
  };
  for (const Case& c : cases) {
    const RunResult r = run_program(SOCKCALC_SERVER_BIN, c.args);
    EXPECT_TRUE(r.status.exited_with(kServerUsage)) << r.report;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << r.report;
  }
  // Nothing was created.
  struct stat st {};
  EXPECT_NE(::lstat(path_.c_str(), &st), 0);
}

}  // namespace
}  // namespace sockcalc::integration
