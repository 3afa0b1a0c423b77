// SPDX-License-Identifier: MIT
// grade/jail.hpp -- internal to src/grade.
// The file system and network a submission sees, set up by the grader's process for that
// submission after it unshared its mount, network and pid namespaces (class_run.cpp): every
// mount read-only, a fresh /proc, private size-limited tmpfs on /tmp, /var/tmp, /dev/shm and
// /run, the work dir a tmpfs of its own owned by the submission's user, loopback up.
// Called once, by the namespaces' first process (pid 1), before anything of the submission runs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "sockcalc/core/result.hpp"

namespace sockcalc::grade {

/// Where the submission is copied and runs, inside the jail.
inline constexpr const char* kWorkDir = "/run/work";
/// A root-only directory of the jail for the grader's own files (the server's output).
inline constexpr const char* kGraderDir = "/run/grader";

struct JailOptions {
  std::string source;            // the submission's directory, copied into kWorkDir
  uid_t uid = 0;                 // the submission's user (and group) id
  std::uint64_t disk_bytes = 0;  // size of each tmpfs the submission may write to
};

/// Makes the jail in the calling process's (fresh) namespaces, the submission copied into its
/// work dir. Fails with the call that failed; the caller then grades nothing (a weaker jail is
/// never used).
Status make_jail(const JailOptions& options);

/// Copies the directory `source` into kWorkDir, owned by `uid` (make_jail() does, before it
/// hides /tmp). Symbolic links are copied as links.
Status copy_submission(const std::string& source, uid_t uid);

/// Bytes used and the size of the file system holding `path` (statvfs).
struct DiskUse {
  std::uint64_t used = 0;
  std::uint64_t size = 0;
};
Result<DiskUse> disk_use(const std::string& path);

}  // namespace sockcalc::grade
