// SPDX-License-Identifier: MIT
// core/cpus.hpp -- public.
// How many CPUs this process may really use: its affinity mask and its cgroup v2 CPU quota,
// not the machine's count. Pure parsing plus two reads of /proc and /sys; any thread.
#pragma once

#include <optional>
#include <string_view>

namespace sockcalc {

/// The CPUs a cgroup v2 `cpu.max` file allows ("QUOTA PERIOD" in microseconds, or "max PERIOD"):
/// QUOTA / PERIOD rounded up, at least 1. Nullopt for "max" (no quota) and for text that is not
/// that format. "150000 100000" -> 2, "50000 100000" -> 1.
std::optional<int> cpus_of_cpu_max(std::string_view text);

/// The cgroup v2 path of this process from /proc/self/cgroup's text (its "0::PATH" line).
std::optional<std::string_view> unified_cgroup_path(std::string_view proc_self_cgroup);

/// The CPUs this process may use: the count of its sched_getaffinity(2) mask, lowered to its
/// cgroup's CPU quota (cpu.max of its cgroup v2 under /sys/fs/cgroup) when one is set. At
/// least 1. `taskset -c 0 server` gets 1.
int usable_cpus();

}  // namespace sockcalc
