// conformance/child.cpp -- implementation of conformance/child.hpp.
// posix_spawnp with pipes; a pidfd (when the kernel has one) makes the exit pollable.
#include "conformance/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <thread>

extern char** environ;

namespace sockcalc::conformance {
namespace {

// Output kept per stream; more is read and dropped, so a chatty client cannot fill memory.
constexpr std::size_t kMaxOutput = 64 * 1024;
// After SIGKILL the kernel ends the process at once; this bounds the wait to reap it.
constexpr auto kReapPatience = std::chrono::seconds(2);
constexpr auto kReapSlice = std::chrono::milliseconds(5);

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what `fd` holds now into `sink` (up to kMaxOutput); closes it at end of file.
void read_available(int& fd, std::string& sink) {
  std::array<char, 4096> buf{};
  while (fd >= 0) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      const auto room = kMaxOutput - std::min(kMaxOutput, sink.size());
      sink.append(buf.data(), std::min(room, static_cast<std::size_t>(n)));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      close_fd(fd);
    }
  }
}

}  // namespace

Result<Child> Child::start(const std::vector<std::string>& argv) {
  Child c;
  c.run_.argv = argv;
  if (argv.empty()) return Error{std::make_error_code(std::errc::invalid_argument), "no command"};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) return errno_error(errno, "cannot create a pipe");
  if (::pipe2(err.data(), O_CLOEXEC) != 0) {
    const int e = errno;
    close_fd(out[0]);
    close_fd(out[1]);
    return errno_error(e, "cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // The client must see the usual signals whatever the checker's parent did with them.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> copies(argv);
  std::vector<char*> args;
  for (std::string& a : copies) args.push_back(a.data());
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&c.pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    close_fd(out[0]);
    close_fd(err[0]);
    c.pid_ = -1;
    return errno_error(rc, "cannot start '" + argv[0] + "'");
  }
  c.run_.started = true;
  c.out_fd_ = out[0];
  c.err_fd_ = err[0];
  for (int fd : {c.out_fd_, c.err_fd_}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  c.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, c.pid_, 0));
  return c;
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      err_fd_(std::exchange(other.err_fd_, -1)),
      reaped_(other.reaped_),
      run_(std::move(other.run_)) {}

Child::~Child() {
  if (pid_ > 0 && !reaped_) kill();
  close_fd(out_fd_);
  close_fd(err_fd_);
  close_fd(pidfd_);
}

void Child::add_poll_fds(std::vector<pollfd>& fds) const {
  for (int fd : {out_fd_, err_fd_, reaped_ ? -1 : pidfd_}) {
    if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
  }
}

bool Child::reap(bool block) {
  if (reaped_ || pid_ <= 0) return reaped_;
  int st = 0;
  pid_t rc = 0;
  do {
    rc = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc != pid_) return false;
  reaped_ = true;
  if (WIFEXITED(st)) {
    run_.exited = true;
    run_.exit_code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    run_.signal = WTERMSIG(st);
  }
  return true;
}

bool Child::update() {
  read_available(out_fd_, run_.out);
  read_available(err_fd_, run_.err);
  return reap(false);
}

void Child::kill() {
  if (pid_ <= 0 || reap(false)) return;
  run_.timed_out = true;
  ::kill(pid_, SIGKILL);  // by pid: the one process this object started
  const auto deadline = std::chrono::steady_clock::now() + kReapPatience;
  while (!reap(false) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kReapSlice);
  }
}

void Child::drain(std::chrono::steady_clock::time_point deadline) {
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) break;
    std::vector<pollfd> fds;
    for (int fd : {out_fd_, err_fd_}) {
      if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left)) > 0) {
      read_available(out_fd_, run_.out);
      read_available(err_fd_, run_.err);
    }
  }
}

}  // namespace sockcalc::conformance
