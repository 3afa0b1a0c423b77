// SPDX-License-Identifier: MIT
// grade/sandbox_user.cpp -- implementation of grade/sandbox_user.hpp.
#include "sockcalc/grade/sandbox_user.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc::grade {
namespace {

constexpr const char* kPath = "/usr/local/bin:/usr/bin:/bin";
// kill_processes: rounds of kill(-1) and of reaping, and the pause between them.
constexpr int kKillRounds = 200;
constexpr auto kKillPause = std::chrono::milliseconds(10);

[[noreturn]] void die(int report, int e) {
  (void)!::write(report, &e, sizeof e);
  ::_exit(127);
}

// In the child after fork(): only async-signal-safe calls; any failure ends it with the errno
// written to `report`.
[[noreturn]] void become_user_and_exec(const SandboxUser& u, const char* program, char* const* argv,
                                       char* const* envp, int out, int err, int report) {
  reset_signals_in_child();
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
    die(report, errno);
  }
  // Every inherited fd but 0-2 and `report` (close-on-exec already) closes at execve.
  ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
  const std::pair<int, rlim_t> limits[] = {
      {RLIMIT_NPROC, u.limits.processes},   {RLIMIT_AS, u.limits.memory_bytes},
      {RLIMIT_NOFILE, u.limits.open_files}, {RLIMIT_FSIZE, u.limits.disk_bytes},
      {RLIMIT_CPU, u.limits.cpu_seconds},   {RLIMIT_CORE, 0}};
  for (const auto& [resource, value] : limits) {
    const rlimit r{value, value};
    if (::setrlimit(resource, &r) != 0) die(report, errno);
  }
  if (::setgroups(0, nullptr) != 0 || ::setresgid(u.uid, u.uid, u.uid) != 0 ||
      ::setresuid(u.uid, u.uid, u.uid) != 0 || ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::chdir(u.work_dir.c_str()) != 0) {
    die(report, errno);
  }
  ::execve(program, argv, envp);
  die(report, errno);
}

}  // namespace

ChildStarter start_as(const SandboxUser& user) {
  return [user](char* const* argv, int out, int err, pid_t& pid) -> int {
    const std::string program = find_in_path(argv[0], kPath).value_or(argv[0]);
    std::vector<std::string> env = {std::string("PATH=") + kPath, "HOME=" + user.work_dir,
                                    "TMPDIR=/tmp", "LANG=C.UTF-8", "USER=student"};
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    Pipe report;  // the child writes execve's errno here; close-on-exec: EOF once it ran
    if (const int e = open_pipe(report); e != 0) return e;
    pid = ::fork();
    if (pid < 0) return errno;
    if (pid == 0) {
      report.read.reset();
      become_user_and_exec(user, program.c_str(), argv, envp.data(), out, err, report.write.get());
    }
    report.write.reset();
    int child_errno = 0;
    ssize_t n = 0;
    do {
      n = ::read(report.read.get(), &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof child_errno)) {
      ::waitpid(pid, nullptr, 0);
      return child_errno;
    }
    return 0;
  };
}

std::size_t count_processes(uid_t uid) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    bool zombie = false;
    bool mine = false;
    while (std::getline(status, line)) {
      if (line.rfind("State:", 0) == 0) zombie = line.find('Z') != std::string::npos;
      if (line.rfind("Uid:", 0) == 0) mine = std::stoul(line.substr(4)) == uid;
    }
    if (mine && !zombie) ++n;
  }
  return n;
}

std::size_t kill_processes(uid_t uid) {
  const std::size_t running = count_processes(uid);
  for (int round = 0; round < kKillRounds; ++round) {
    const pid_t killer = ::fork();
    if (killer == 0) {
      // kill(-1) reaches every process this uid may signal in this pid namespace, itself
      // excepted; it fails with ESRCH once there is none.
      if (::setresuid(uid, uid, uid) != 0) ::_exit(2);
      ::_exit(::kill(-1, SIGKILL) == 0 ? 0 : 1);
    }
    int status = 0;
    if (killer > 0) ::waitpid(killer, &status, 0);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (count_processes(uid) == 0) break;
    std::this_thread::sleep_for(kKillPause);
  }
  return running;
}

}  // namespace sockcalc::grade
