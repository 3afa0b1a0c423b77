// SPDX-License-Identifier: MIT
// grade/options.hpp -- public.
// What `conformance grade` is told: the limits every submission runs under, the checks'
// timeouts, how many submissions run at once and the user ids they run as. Plain values; any
// thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>

namespace sockcalc::grade {

/// The resource limits of one submission's processes (setrlimit, per process unless said).
struct Limits {
  std::uint64_t processes = 64;               // RLIMIT_NPROC: for the whole user id
  std::uint64_t memory_bytes = 512ull << 20;  // RLIMIT_AS: address space of a process
  std::uint64_t open_files = 256;             // RLIMIT_NOFILE
  std::uint64_t disk_bytes = 64ull << 20;     // the size of each private tmpfs
  std::uint64_t cpu_seconds = 60;             // RLIMIT_CPU
  std::chrono::seconds build_time{60};        // `make` is killed after this
  std::chrono::seconds total_time{600};       // the whole grading of one submission
};

struct GradeOptions {
  Limits limits;
  std::chrono::milliseconds server_timeout{1000};   // per server check
  std::chrono::milliseconds client_timeout{10000};  // per client check
  unsigned jobs = 1;                                // submissions graded at once
  /// Slot i runs its submission as uid and gid uid_base + i; none of them may be a user of
  /// this machine (checked).
  uid_t uid_base = 2'000'000'000;
};

/// The port the submission's server is started on, inside its own network namespace:
/// `./server :: 10000`, the course's command line.
inline constexpr std::uint16_t kServerPort = 10000;

}  // namespace sockcalc::grade
