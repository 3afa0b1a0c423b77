// SPDX-License-Identifier: MIT
// loadgen/cpu_usage.hpp -- public.
// CPU time spent by this process (getrusage) and by another process (/proc/PID/stat).
// Stateless functions; any thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

#include "sockcalc/core/result.hpp"

namespace sockcalc::loadgen {

/// CPU seconds spent in user mode and in the kernel on the process's behalf.
struct CpuTimes {
  double user = 0;
  double system = 0;
  [[nodiscard]] double total() const { return user + system; }
  friend CpuTimes operator-(const CpuTimes& a, const CpuTimes& b) {
    return {a.user - b.user, a.system - b.system};
  }
};

/// This process's CPU time so far, every thread included (getrusage(RUSAGE_SELF)), with
/// microsecond resolution.
CpuTimes self_cpu_times();

/// The CPU time of process `pid`, every thread included: utime and stime of /proc/PID/stat,
/// in clock ticks (sysconf(_SC_CLK_TCK), usually 10 ms each). Fails when the file cannot be
/// read (no such process) or does not parse.
Result<CpuTimes> process_cpu_times(pid_t pid);

/// Parses the text of a /proc/PID/stat file: fields 14 (utime) and 15 (stime), counted after
/// the command name's closing parenthesis, because the name itself may hold spaces and
/// parentheses. nullopt when the text does not have them.
std::optional<CpuTimes> parse_proc_stat(std::string_view text, long ticks_per_second);

}  // namespace sockcalc::loadgen
