// SPDX-License-Identifier: MIT
// grade/sandbox_user.hpp -- internal to src/grade.
// The submission's processes: started as its own user id with its limits and no way to gain
// privileges, and ended all at once by that user id. Used by the jail's first process (pid 1
// of the submission's pid namespace), single-threaded.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "sockcalc/grade/options.hpp"
#include "sockcalc/process/child_process.hpp"

namespace sockcalc::grade {

/// Who runs the submission's programs and how.
struct SandboxUser {
  uid_t uid = 0;  // also the group id; no supplementary groups
  Limits limits;
  std::string work_dir;  // the programs' current directory, also HOME
};

/// A ChildStarter (process/child_process.hpp) that forks, then in the child: the limits
/// (RLIMIT_NPROC, AS, NOFILE, FSIZE, CPU, CORE 0), no supplementary groups, the user's gid and
/// uid, PR_SET_NO_NEW_PRIVS, the work dir, a fixed environment (PATH, HOME, TMPDIR, LANG), every
/// fd above 2 closed, and execve of argv[0] (looked up in that PATH when it has no slash).
/// A failed execve is reported as its errno, as posix_spawn does.
ChildStarter start_as(const SandboxUser& user);

/// The processes of `uid` this process can see (its pid namespace's /proc), zombies excluded.
std::size_t count_processes(uid_t uid);

/// SIGKILL to every process of `uid` in this pid namespace (kill(-1) from a helper process
/// running as that uid, repeated while some are left so that forks in flight are caught), then
/// reaps this process's dead children (the jail's pid 1 inherits every orphan). Returns how
/// many were running before; bounded in time.
std::size_t kill_processes(uid_t uid);

}  // namespace sockcalc::grade
