// SPDX-License-Identifier: MIT
// process/child_process.cpp -- implementation of process/child_process.hpp.
// posix_spawn(p) with pipes; pidfd_open makes the exit pollable where the kernel has it.
#include "sockcalc/process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "sockcalc/core/unique_fd.hpp"

extern char** environ;

namespace sockcalc {
namespace {

// SIGPIPE and SIGXFSZ: our programs ignore them (tools/common/cli), a child must not inherit that.
constexpr std::array kChildSignals = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGUSR1, SIGXFSZ};
constexpr std::size_t kReadChunk = 4096;

// posix_spawn's file actions and attributes for spawn_with_pipes, destroyed with this object.
class SpawnSetup {
 public:
  SpawnSetup(int out_write_fd, int err_write_fd) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, out_write_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, err_write_fd, STDERR_FILENO);
    posix_spawnattr_init(&attr_);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : kChildSignals) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

}  // namespace

std::optional<std::string> find_in_path(const std::string& name, std::string_view dirs) {
  const auto executable = [](const std::string& path) { return ::access(path.c_str(), X_OK) == 0; };
  if (name.find('/') != std::string::npos) {
    return executable(name) ? std::optional<std::string>(name) : std::nullopt;
  }
  while (!dirs.empty()) {
    const std::size_t end = std::min(dirs.find(':'), dirs.size());
    const std::string_view dir = dirs.substr(0, end);
    dirs.remove_prefix(std::min(end + 1, dirs.size()));
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

Result<ChildHandles> start_with_pipes(const std::vector<std::string>& argv,
                                      const ChildStarter& start) {
  if (argv.empty()) return validation_error("no program");
  const std::string what = "cannot start '" + argv.front() + "'";
  // The parent's ends are close-on-exec, so that no other child started meanwhile holds them
  // open (which would delay the end of file); the child gets plain copies (dup2).
  Pipe out;
  Pipe err;
  for (Pipe* ends : {&out, &err}) {
    if (const int e = open_pipe(*ends); e != 0) return errno_error(e, what);
  }
  std::vector<std::string> copies(argv);
  std::vector<char*> args;
  for (std::string& a : copies) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = start(args.data(), out.write.get(), err.write.get(), pid);
  out.write.reset();  // the child's ends: only the child may hold them now
  err.write.reset();
  if (rc != 0) return errno_error(rc, what);
  for (int fd : {out.read.get(), err.read.get()})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  return ChildHandles{pid, std::move(out.read), std::move(err.read), std::move(pidfd)};
}

Result<ChildHandles> spawn_with_pipes(const std::vector<std::string>& argv,
                                      const SpawnOptions& options) {
  char* const* envp = options.envp != nullptr ? options.envp : environ;
  return start_with_pipes(argv, [&](char* const* args, int out, int err, pid_t& pid) {
    const SpawnSetup setup(out, err);
    return options.search_path
               ? ::posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args, envp)
               : ::posix_spawn(&pid, args[0], setup.actions(), setup.attr(), args, envp);
  });
}

void reset_signals_in_child() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s : kChildSignals) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void read_available(UniqueFd& fd, std::string& sink, std::size_t limit) {
  std::array<char, kReadChunk> buf{};
  while (fd.valid()) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n > 0) {
      const std::size_t room = limit - std::min(limit, sink.size());
      sink.append(buf.data(), std::min(room, static_cast<std::size_t>(n)));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      // 0 is the end of file, and after an error nothing more will come: close it.
      fd.reset();
    }
  }
}

std::optional<ChildExit> reap_child(pid_t pid, Reap how) {
  if (pid <= 0) return std::nullopt;
  int st = 0;
  pid_t rc = 0;
  do {
    rc = ::waitpid(pid, &st, how == Reap::wait ? 0 : WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc != pid) return std::nullopt;
  ChildExit e;
  if (WIFEXITED(st)) {
    e.exited = true;
    e.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    e.signal = WTERMSIG(st);
  }
  return e;
}

}  // namespace sockcalc
