// tests/loadgen/child.cpp -- implementation of tests/loadgen/child.hpp.
#include "child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace sockcalc::loadgen_test {

std::string ExitStatus::to_string() const {
  return exited ? "exit " + std::to_string(code) : "killed by signal " + std::to_string(signal);
}

std::unique_ptr<Child> Child::start(const std::string& program,
                                    const std::vector<std::string>& args, std::string* error) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = std::string("cannot create a pipe: ") + std::strerror(errno);
    return nullptr;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    *error = std::string("cannot create a pipe: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  // The test may send SIGINT/SIGTERM: the child gets default dispositions, nothing blocked.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    *error = "cannot start " + program + ": " + std::strerror(rc);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return nullptr;
  }
  return std::unique_ptr<Child>(new Child(pid, out_pipe[0], err_pipe[0]));
}

Child::~Child() {
  if (!status_) stop(SIGTERM);
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool Child::pump(int wait_ms) {
  std::array<pollfd, 2> fds{{{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}}};
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  if (::poll(fds.data(), fds.size(), wait_ms) <= 0) return true;
  std::array<char, 4096> buffer{};
  int* owners[2] = {&out_fd_, &err_fd_};
  std::string* sinks[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
    if (n > 0) {
      sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      ::close(*owners[i]);
      *owners[i] = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

bool Child::reap(bool block) {
  if (status_) return true;
  int raw = 0;
  const pid_t r = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
  if (r != pid_) return false;
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.exited = true;
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
  }
  status_ = s;
  return true;
}

std::optional<std::string> Child::wait_for_stderr_line(std::string_view needle,
                                                       milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  constexpr int kSliceMs = 20;
  while (true) {
    std::size_t eol;
    while ((eol = err_.find('\n', err_scanned_)) != std::string::npos) {
      std::string line = err_.substr(err_scanned_, eol - err_scanned_);
      err_scanned_ = eol + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    if (!pump(kSliceMs) && err_.find('\n', err_scanned_) == std::string::npos) return std::nullopt;
  }
}

std::optional<ExitStatus> Child::wait(milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  constexpr int kSliceMs = 20;
  while (std::chrono::steady_clock::now() < deadline) {
    const bool open = pump(kSliceMs);
    if (reap(false)) {
      // The output written just before exiting is still in the pipes; bounded, in case a
      // grandchild keeps a pipe open.
      constexpr int kMaxDrainReads = 10000;
      for (int i = 0; i < kMaxDrainReads && pump(0); ++i) {
      }
      return status_;
    }
    if (!open) {
      struct timespec slice {
        0, kSliceMs * 1'000'000L
      };
      nanosleep(&slice, nullptr);
    }
  }
  return std::nullopt;
}

ExitStatus Child::stop(int signal) {
  if (status_) return *status_;
  ::kill(pid_, signal);
  if (auto s = wait(kPatience)) return *s;
  ::kill(pid_, SIGKILL);
  reap(true);
  return *status_;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      milliseconds timeout) {
  RunResult result;
  auto child = Child::start(program, args, &result.start_error);
  if (!child) return result;
  result.status = child->wait(timeout);
  if (!result.status) child->stop(SIGKILL);
  result.out = child->out();
  result.err = child->err();
  return result;
}

}  // namespace sockcalc::loadgen_test
