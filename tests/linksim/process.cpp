// tests/linksim/process.cpp -- implementation of tests/linksim/process.hpp.
// posix_spawn with file actions for the output files; waitpid(WNOHANG) polled against deadlines.
// One thread per object.
#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <utility>

extern char** environ;

namespace sockcalc::test {
namespace {

using Clock = std::chrono::steady_clock;

// How often a deadline loop looks again: short against every timeout the tests use.
constexpr std::chrono::milliseconds kPollStep{2};

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/linksim-test.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    std::cerr << "cannot create a temporary directory: " << std::strerror(errno) << '\n';
    std::abort();
  }
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_with(const std::string& text, std::string_view needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

Process Process::start(const std::vector<std::string>& argv, const std::string& dir,
                       const std::string& name) {
  Process p;
  p.name_ = name;
  p.out_path_ = dir + "/" + name + ".out";
  p.err_path_ = dir + "/" + name + ".err";
  for (const auto& a : argv) p.command_ += (p.command_.empty() ? "" : " ") + a;

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, p.out_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, p.err_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    p.start_error_ = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return p;
  }
  p.pid_ = pid;
  return p;
}

Process::Process(Process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      status_(o.status_),
      name_(std::move(o.name_)),
      command_(std::move(o.command_)),
      out_path_(std::move(o.out_path_)),
      err_path_(std::move(o.err_path_)),
      start_error_(std::move(o.start_error_)) {}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

void Process::signal(int sig) const {
  if (running()) ::kill(pid_, sig);
}

bool Process::reap(bool block) {
  int st = 0;
  const pid_t r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  if (r != pid_) return false;
  status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return status_;
  const auto deadline = Clock::now() + timeout;
  while (!status_ && !reap(false) && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPollStep);
  }
  return status_;
}

std::optional<std::string> Process::wait_for_err_line(std::string_view needle,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    // Looked at before reading, so that the last read sees all a finished child wrote.
    const bool ended = pid_ <= 0 || !running() || reap(false);
    const std::string text = err();
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string line = text.substr(start, end - start);
      if (line.find(needle) != std::string::npos) return line;
    }
    if (ended || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollStep);
  }
  return std::nullopt;
}

std::string Process::out() const { return read_file(out_path_); }
std::string Process::err() const {
  return start_error_.empty() ? read_file(err_path_) : start_error_;
}

std::string Process::dump() const {
  return "--- " + name_ + ": " + command_ + "\n--- stdout:\n" + out() + "--- stderr:\n" + err();
}

}  // namespace sockcalc::test
