// SPDX-License-Identifier: MIT
// grade/class_run.cpp -- implementation of grade/class_run.hpp.
// The process tree of one submission: this process forks a slot process, which unshares its
// mount, network and pid namespaces and forks the namespace's pid 1, which grades
// (submission.cpp) and writes its entry to a pipe. Both die with their parent
// (PR_SET_PDEATHSIG), and when pid 1 dies the kernel kills every process of its pid
// namespace: killing the slot process by its pid ends the whole submission.
#include "sockcalc/grade/class_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>

#include "sockcalc/core/unique_fd.hpp"
#include "sockcalc/grade/submission.hpp"
#include "sockcalc/process/child_process.hpp"

namespace sockcalc::grade {
namespace {

using Clock = std::chrono::steady_clock;

// An entry is a few hundred KiB at most (client outputs are cut at 64 KiB); more is dropped.
constexpr std::size_t kMaxEntry = 32u << 20;
constexpr int kPollMs = 100;

struct Slot {
  std::size_t index = 0;       // which submission
  unsigned number = 0;         // which uid
  pid_t pid = -1;              // the slot process
  UniqueFd fd;                 // the read end of its entry's pipe
  std::string text;            // its entry so far
  Clock::time_point deadline;  // the submission's time limit
  bool timed_out = false;
};

[[noreturn]] void slot_process(const std::string& source, uid_t uid, const GradeOptions& o,
                               int out) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  auto write_all = [out](const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(out, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
  };
  if (::unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) != 0) {
    write_all(not_graded(source, std::string("cannot make namespaces: ") + ::strerror(errno)));
    ::_exit(1);
  }
  const pid_t init = ::fork();
  if (init == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    write_all(grade_in_jail(source, uid, o));
    ::_exit(0);
  }
  ::close(out);
  if (init < 0) ::_exit(1);
  const std::optional<ChildExit> e = reap_child(init, Reap::wait);
  ::_exit(e && e->exited ? e->code : 1);
}

Result<Slot> start_slot(std::size_t index, unsigned number, const std::string& source,
                        const GradeOptions& o) {
  Pipe entry;
  if (const int e = open_pipe(entry); e != 0) return errno_error(e, "cannot make a pipe");
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error(errno, "cannot fork");
  if (pid == 0) {
    entry.read.reset();
    slot_process(source, o.uid_base + number, o, entry.write.get());
  }
  entry.write.reset();
  ::fcntl(entry.read.get(), F_SETFL, O_NONBLOCK);  // the parent's end only: the child blocks
  return Slot{.index = index,
              .number = number,
              .pid = pid,
              .fd = std::move(entry.read),
              .text = {},
              .deadline = Clock::now() + o.limits.total_time};
}

// Reads what the slot wrote; returns true at end of file.
bool read_slot(Slot& s) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n > 0) {
      if (s.text.size() < kMaxEntry) s.text.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

std::string finish_slot(Slot& s, const std::string& source, const GradeOptions& o) {
  if (s.timed_out) ::kill(s.pid, SIGKILL);  // by pid: pid 1 and its namespace die with it
  s.fd.reset();
  const std::optional<ChildExit> e = reap_child(s.pid, Reap::wait);
  if (s.timed_out) {
    return not_graded(source, "not graded within the time limit of " +
                                  std::to_string(o.limits.total_time.count()) + " s: killed");
  }
  if (!s.text.empty() && s.text.back() == '\n') return s.text;
  return not_graded(source, "the grading process ended without an entry (" +
                                (e && e->exited ? "exit " + std::to_string(e->code)
                                                : std::string("killed by a signal")) +
                                ")");
}

}  // namespace

Status can_grade(const GradeOptions& o) {
  if (::geteuid() != 0) {
    return validation_error(
        "grading needs root (namespaces, mounts, a user id per submission): run it with sudo");
  }
  for (unsigned i = 0; i < o.jobs; ++i) {
    if (const passwd* pw = ::getpwuid(o.uid_base + i); pw != nullptr) {
      return validation_error("user id " + std::to_string(o.uid_base + i) + " belongs to '" +
                              pw->pw_name + "': choose another --uid-base");
    }
  }
  return Ok{};
}

std::vector<std::string> grade_class(const std::vector<std::string>& submissions,
                                     const GradeOptions& o) {
  std::vector<std::string> entries(submissions.size());
  std::deque<unsigned> free_numbers;
  for (unsigned i = 0; i < o.jobs; ++i) free_numbers.push_back(i);
  std::vector<Slot> running;
  std::size_t next = 0;
  while (next < submissions.size() || !running.empty()) {
    while (next < submissions.size() && !free_numbers.empty()) {
      const std::string& source = submissions[next];
      if (!std::filesystem::is_directory(source)) {
        entries[next++] = not_graded(source, "not a directory");
        continue;
      }
      auto slot = start_slot(next, free_numbers.front(), source, o);
      if (!slot) {
        entries[next++] = not_graded(source, slot.error().message());
        continue;
      }
      free_numbers.pop_front();
      running.push_back(std::move(*slot));
      ++next;
    }
    std::vector<pollfd> fds;
    for (const Slot& s : running) fds.push_back(pollfd{s.fd.get(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), kPollMs);
    for (auto it = running.begin(); it != running.end();) {
      const bool eof = read_slot(*it);
      it->timed_out = !eof && Clock::now() >= it->deadline;
      if (!eof && !it->timed_out) {
        ++it;
        continue;
      }
      entries[it->index] = finish_slot(*it, submissions[it->index], o);
      free_numbers.push_back(it->number);
      it = running.erase(it);
    }
  }
  return entries;
}

}  // namespace sockcalc::grade
