// SPDX-License-Identifier: MIT
// tests/support/process.cpp -- implementation of tests/support/process.hpp.
// Children are process/child's ChildProcess (started with fork+execve to pass listen fds); this
// file adds what tests need around it: environments, listen fds, start lines, reports.
// One thread per object.
#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>

#include "sockcalc/core/deadline.hpp"
#include "sockcalc/process/child_process.hpp"

extern char** environ;

namespace sockcalc::testing {
namespace {

using Clock = std::chrono::steady_clock;

// After the child ended, its pipes are read for at least this long (they end at once, unless
// something it started holds them).
constexpr milliseconds kDrainAfterExit{1000};
// The longest path a Unix socket inside a TempDir may need: "DIR/" plus a short file name must
// fit in sun_path (108 bytes with its NUL).
constexpr std::size_t kMaxTempDirLength = 80;
// The most listen fds a Process passes (the child copies them into a fixed array: no allocation
// after fork).
constexpr std::size_t kMaxListenFds = 64;

Error failure(std::errc code, std::string context) {
  return Error{std::make_error_code(code), std::move(context)};
}

// The first complete line of `text` that starts with `prefix`, without prefix and newline.
std::optional<std::string> find_line(const std::string& text, std::string_view prefix) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) return std::nullopt;
    const std::string_view line(text.data() + pos, end - pos);
    if (line.starts_with(prefix)) return std::string(line.substr(prefix.size()));
    pos = end + 1;
  }
  return std::nullopt;
}

// The child's environment: the test's own, minus the variables `options` sets (and, with listen
// fds, minus the inherited LISTEN_* ones), plus those. With listen fds, "LISTEN_PID=" has room
// for the pid, which only the child knows (write_pid).
class ChildEnvironment {
 public:
  explicit ChildEnvironment(const StartOptions& options) {
    std::vector<std::string> set = options.env;
    std::vector<std::string_view> drop;
    if (!options.listen_fds.empty()) {
      set.push_back("LISTEN_FDS=" + std::to_string(options.listen_fds.size()));
      set.push_back(std::string(kListenPid) + std::string(kPidRoom, '\0'));
      drop = {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"};
    }
    for (const std::string& e : set) drop.push_back(name_of(e));
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::find(drop.begin(), drop.end(), name_of(*e)) == drop.end()) entries_.emplace_back(*e);
    }
    entries_.insert(entries_.end(), set.begin(), set.end());
    for (std::string& e : entries_) {
      envp_.push_back(e.data());
      if (!options.listen_fds.empty() && e.starts_with(kListenPid)) {
        pid_room_ = e.data() + kListenPid.size();
      }
    }
    envp_.push_back(nullptr);
  }

  [[nodiscard]] char* const* envp() const { return envp_.data(); }

  // In the child after fork: async-signal-safe (no allocation).
  void write_pid(pid_t pid) {
    if (pid_room_ == nullptr) return;
    std::array<char, kPidRoom> reversed{};
    std::size_t n = 0;
    do {
      reversed[n++] = static_cast<char>('0' + pid % 10);
      pid /= 10;
    } while (pid > 0 && n < kPidRoom - 1);
    for (std::size_t i = 0; i < n; ++i) pid_room_[i] = reversed[n - 1 - i];
    pid_room_[n] = '\0';
  }

 private:
  static std::string_view name_of(std::string_view entry) {
    return entry.substr(0, entry.find('='));
  }
  static constexpr std::string_view kListenPid = "LISTEN_PID=";
  static constexpr std::size_t kPidRoom = 24;  // a 64-bit pid has at most 19 digits, and a NUL

  std::vector<std::string> entries_;
  std::vector<char*> envp_;  // into entries_, null-terminated
  char* pid_room_ = nullptr;
};

// In the child after fork: makes `from` the child's fd `to`, open across execve.
bool install_fd(int from, int to) {
  if (from != to) return ::dup2(from, to) == to;  // dup2 clears FD_CLOEXEC on `to`
  const int flags = ::fcntl(to, F_GETFD);
  return flags >= 0 && ::fcntl(to, F_SETFD, flags & ~FD_CLOEXEC) == 0;
}

// The child side of a fork-started Process: stdio, the listen fds at 3.., default signals,
// LISTEN_PID, execve. Async-signal-safe calls only: the parent may have other threads.
[[noreturn]] void exec_child(const char* program, char* const* argv, ChildEnvironment& env,
                             const std::vector<int>& listen_fds, int out, int err) {
  constexpr int kFirstListenFd = 3;
  // First copy every listen fd above the fds they go to, so that installing one never
  // overwrites another still to be installed (the copies are close-on-exec).
  const int count = static_cast<int>(listen_fds.size());
  std::array<int, kMaxListenFds> copies{};
  for (int i = 0; i < count; ++i) {
    copies[static_cast<std::size_t>(i)] =
        ::fcntl(listen_fds[static_cast<std::size_t>(i)], F_DUPFD_CLOEXEC, kFirstListenFd + count);
    if (copies[static_cast<std::size_t>(i)] < 0) ::_exit(127);
  }
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || !install_fd(null_fd, STDIN_FILENO)) ::_exit(127);
  if (null_fd != STDIN_FILENO) ::close(null_fd);
  if (!install_fd(out, STDOUT_FILENO) || !install_fd(err, STDERR_FILENO)) ::_exit(127);
  for (int i = 0; i < count; ++i) {
    if (!install_fd(copies[static_cast<std::size_t>(i)], kFirstListenFd + i)) ::_exit(127);
  }
  reset_signals_in_child();
  env.write_pid(::getpid());
  ::execve(program, argv, env.envp());
  ::_exit(127);  // as a shell reports a program it cannot run
}

// Starts the child with `listen_fds` at 3.. and LISTEN_FDS/LISTEN_PID set, as systemd does: fork +
// execve, since LISTEN_PID must be the child's own pid, which posix_spawn cannot write.
ChildStarter fork_with_listen_fds(ChildEnvironment& env, const std::vector<int>& fds) {
  return [&env, &fds](char* const* args, int out, int err, pid_t& pid) {
    pid = ::fork();
    if (pid == 0) exec_child(args[0], args, env, fds, out, err);
    return pid < 0 ? errno : 0;
  };
}

}  // namespace

std::string ExitStatus::to_string() const {
  if (exited) return "exit " + std::to_string(code);
  if (signaled)
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "still running";
}

Result<std::unique_ptr<Process>> Process::start(const std::string& program,
                                                const std::vector<std::string>& args) {
  return start(program, args, StartOptions{});
}

Result<std::unique_ptr<Process>> Process::start(const std::string& program,
                                                const std::vector<std::string>& args,
                                                const StartOptions& options) {
  if (options.listen_fds.size() > kMaxListenFds) {
    return failure(std::errc::invalid_argument,
                   "cannot pass more than " + std::to_string(kMaxListenFds) + " listen fds");
  }
  std::string command = std::filesystem::path(program).filename().string();
  for (const std::string& a : args) command += " '" + a + "'";

  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildEnvironment env(options);
  ChildOptions how{.envp = env.envp()};
  if (!options.listen_fds.empty()) how.starter = fork_with_listen_fds(env, options.listen_fds);
  auto child = ChildProcess::start(argv, how);
  if (!child) return child.error();
  return std::unique_ptr<Process>(new Process(std::move(*child), std::move(command)));
}

Process::~Process() {
  // SIGTERM first, so that a program under test may print its counters as it ends; the child's
  // own destructor then kills whatever still runs.
  if (!reaped()) terminate();
}

ExitStatus Process::status() const {
  ExitStatus status;
  if (const auto& e = child_.exit()) {
    status.exited = e->exited;
    status.code = e->code;
    status.signaled = !e->exited && e->signal != 0;
    status.signal = e->signal;
  }
  return status;
}

void Process::pump(milliseconds timeout) { child_.pump(timeout); }

bool Process::wait_for_stderr(std::string_view needle, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (err().find(needle) == std::string::npos) {
    const int left = remaining_ms(deadline);
    if (left == 0 || !child_.err_open()) break;
    pump(milliseconds(left));
  }
  return err().find(needle) != std::string::npos;
}

std::optional<std::string> Process::wait_for_line(std::string_view prefix, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (auto line = find_line(err(), prefix)) return line;
    const int left = remaining_ms(deadline);
    if (left == 0 || !child_.err_open()) return std::nullopt;
    pump(milliseconds(left));
  }
}

bool Process::wait_for_exit(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!child_.wait_for_exit(timeout)) return false;
  // The child is gone, so its pipes end at once, unless something it started still holds
  // them: the bound keeps that from hanging the test.
  child_.drain(std::max(deadline, Clock::now() + kDrainAfterExit));
  return true;
}

void Process::close_stderr_reader() { child_.close_err(); }

void Process::send_signal(int signal) { child_.send_signal(signal); }

bool Process::terminate(milliseconds grace) {
  const bool on_term = child_.terminate(grace);
  child_.drain(Clock::now() + kDrainAfterExit);
  return on_term;
}

std::string Process::report() const {
  std::string r =
      "$ " + command_ + "\n  pid " + std::to_string(pid()) + ": " + status().to_string() + "\n";
  r += "--- stdout ---\n" + out();
  if (!out().empty() && out().back() != '\n') r += "\n";
  r += "--- stderr ---\n" + err();
  if (!err().empty() && err().back() != '\n') r += "\n";
  r += "--------------\n";
  return r;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      milliseconds timeout) {
  return run_program(program, args, StartOptions{}, timeout);
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const StartOptions& options, milliseconds timeout) {
  RunResult r;
  auto p = Process::start(program, args, options);
  if (!p) {
    r.report = p.error().message();
    return r;
  }
  Process& proc = **p;
  if (!proc.wait_for_exit(timeout)) {
    r.timed_out = true;
    proc.terminate();
  }
  r.status = proc.status();
  r.out = proc.out();
  r.err = proc.err();
  r.report = proc.report();
  if (r.timed_out)
    r.report += "(killed: still running after " + std::to_string(timeout.count()) + " ms)\n";
  return r;
}

Result<std::unique_ptr<ServerProcess>> ServerProcess::start(const std::string& program,
                                                            const std::vector<std::string>& args,
                                                            milliseconds timeout) {
  return start(program, args, StartOptions{}, timeout);
}

Result<std::unique_ptr<ServerProcess>> ServerProcess::start(const std::string& program,
                                                            const std::vector<std::string>& args,
                                                            const StartOptions& options,
                                                            milliseconds timeout) {
  auto p = Process::start(program, args, options);
  if (!p) return p.error();
  // Each program says the name it was run as (argv[0]): an installed sockcalc-server says
  // that; the build's server, and the test peers standing in for it, say "server".
  const std::string name = std::filesystem::path(program).filename().string();
  const std::string ready = (name.starts_with("sockcalc-") ? name : "server") + ": listening on ";
  const auto line = (*p)->wait_for_line(ready, timeout);
  if (!line) {
    (*p)->terminate();
    return failure(std::errc::timed_out, "no line '" + ready + "ADDRESS' within " +
                                             std::to_string(timeout.count()) + " ms\n" +
                                             (*p)->report());
  }
  auto address = Address::parse(listening_address(*line));
  if (!address) {
    (*p)->terminate();
    return failure(std::errc::invalid_argument, "cannot parse the server's address '" + *line +
                                                    "': " + address.error().message() + "\n" +
                                                    (*p)->report());
  }
  return std::unique_ptr<ServerProcess>(new ServerProcess(std::move(*p), *address));
}

std::string listening_address(std::string_view rest) {
  const std::size_t tail = rest.rfind(" (sockcalc ");
  return std::string(rest.substr(0, tail));
}

Result<Address> metrics_address(Process& program, milliseconds timeout) {
  // The line's prefix is the program's name, whatever it is: find "metrics on " in any line.
  const auto deadline = Clock::now() + timeout;
  constexpr std::string_view kMarker = ": metrics on ";
  while (true) {
    const std::string& err = program.err();
    if (const auto at = err.find(kMarker); at != std::string::npos) {
      const auto end = err.find('\n', at);
      if (end != std::string::npos) {
        return Address::parse(err.substr(at + kMarker.size(), end - at - kMarker.size()));
      }
    }
    const int left = remaining_ms(deadline);
    // A program that exited (a failed start) prints nothing more.
    if (left == 0 || program.wait_for_exit(milliseconds(0))) {
      return failure(std::errc::timed_out, "no line 'metrics on ADDRESS'\n" + program.report());
    }
    program.pump(milliseconds(left));
  }
}

bool ServerProcess::stop(int signal) {
  process_->send_signal(signal);
  return process_->wait_for_exit(kPatience);
}

Result<TempDir> TempDir::create() {
  std::string base = "/tmp";
  if (const char* env = std::getenv("TMPDIR"); env != nullptr && *env == '/') base = env;
  std::string templ = base + "/sockcalc-test-XXXXXX";
  if (templ.size() > kMaxTempDirLength) templ = "/tmp/sockcalc-test-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return errno_error(errno, "cannot create a directory like " + templ);
  }
  return TempDir(templ);
}

Address TempDir::unix_address(const std::string& name) const {
  auto a = Address::parse_unix("unix:" + path_ + "/" + name);
  return a.ok() ? *a : Address{};
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> find_program(const std::string& name,
                                        const std::vector<std::string>& extra_dirs) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  for (const std::string& dir : extra_dirs) dirs += ":" + dir;
  return find_in_path(name, dirs);
}

}  // namespace sockcalc::testing
