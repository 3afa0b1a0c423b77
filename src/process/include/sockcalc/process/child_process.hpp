// SPDX-License-Identifier: MIT
// process/child_process.hpp -- public.
// Starting a program with its stdout and stderr on pipes, reading them without blocking, and
// reaping it: the one implementation behind `conformance client` and the tests' process helper.
// Plain functions over fds and pids; the caller owns both and calls from one thread.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc {

/// The parent's side of a started program: the pid, and the fds it owns (non-blocking,
/// close-on-exec; closed with it). pidfd holds none where the kernel has no pidfd_open (then
/// poll for the exit in short slices).
struct ChildHandles {
  pid_t pid = -1;
  UniqueFd out_fd;  // read end of the child's stdout
  UniqueFd err_fd;  // read end of the child's stderr
  UniqueFd pidfd;   // readable once the child has ended
};

struct SpawnOptions {
  bool search_path = false;     // argv[0] without a slash is looked up in PATH
  char* const* envp = nullptr;  // the child's environment; nullptr: this process's
};

/// Starts argv[0] with argv[1..]: stdin reads /dev/null, stdout and stderr go to new pipes, the
/// signal mask is empty and the signals a parent sends its children (SIGINT, SIGTERM, SIGPIPE,
/// SIGHUP, SIGUSR1) and SIGXFSZ have their default action, whatever the parent did with them
/// (the parent may ignore SIGPIPE and SIGXFSZ, as every sockcalc program does). Fails with
/// "cannot start 'PROGRAM': reason" (not found, not executable, no pipe).
Result<ChildHandles> spawn_with_pipes(const std::vector<std::string>& argv,
                                      const SpawnOptions& options = {});

/// How start_with_pipes starts the child once its pipes exist: it must give the child
/// `out_write` and `err_write` as stdout and stderr, set `pid`, and return 0 or an errno.
using ChildStarter =
    std::function<int(char* const* argv, int out_write, int err_write, pid_t& pid)>;

/// spawn_with_pipes with the caller's way of starting the child (e.g. fork + execve, to pass
/// more fds than posix_spawn can): pipes, argv and the parent's side as spawn_with_pipes.
Result<ChildHandles> start_with_pipes(const std::vector<std::string>& argv,
                                      const ChildStarter& start);

/// Where a program is: `name` itself when it holds a '/', else the first `dir/name` over the
/// ':'-separated dirs of `dirs` (a PATH; empty entries skipped, not read as "."), provided it is
/// executable; nullopt when none is.
std::optional<std::string> find_in_path(const std::string& name, std::string_view dirs);

/// In a child after fork(), before execve(): the same signal set-up as spawn_with_pipes gives.
/// Async-signal-safe.
void reset_signals_in_child();

/// Appends what `fd` holds now to `sink`, keeping at most `limit` bytes of it (more is read and
/// dropped, so a chatty child cannot fill memory); closes `fd` at end of file or on an error.
/// Returns at once when nothing more is there.
void read_available(UniqueFd& fd, std::string& sink,
                    std::size_t limit = std::numeric_limits<std::size_t>::max());

/// How a child ended.
struct ChildExit {
  bool exited = false;  // it called exit(): code is valid
  int code = -1;        // 0..255
  int signal = 0;       // the signal that killed it, when !exited
};

/// Whether reap_child() waits for the child to end, or only looks (WNOHANG).
enum class Reap { wait, no_hang };

/// waitpid() for `pid`, EINTR retried: how it ended, or nullopt while it runs (Reap::no_hang)
/// or when it is not our child.
std::optional<ChildExit> reap_child(pid_t pid, Reap how);

}  // namespace sockcalc
