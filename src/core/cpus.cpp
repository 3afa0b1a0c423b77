// SPDX-License-Identifier: MIT
// core/cpus.cpp -- implementation of core/cpus.hpp.
#include "sockcalc/core/cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "sockcalc/core/decimal.hpp"

namespace sockcalc {
namespace {
// Where systemd and container runtimes mount the unified hierarchy (cgroup v2 only, or the
// hybrid layout whose cpu controller stays in v1: then no cpu.max exists, and no quota is read).
constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  return std::max(1, CPU_COUNT(&set));
}
}  // namespace

std::optional<int> cpus_of_cpu_max(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = parse_decimal<std::uint64_t>(text.substr(0, space));
  const auto period = parse_decimal<std::uint64_t>(text.substr(space + 1));
  if (!quota || !period || *period == 0) return std::nullopt;  // "max": no quota
  const std::uint64_t cpus = (*quota + *period - 1) / *period;
  return static_cast<int>(std::clamp<std::uint64_t>(cpus, 1, 1u << 16));
}

std::optional<std::string_view> unified_cgroup_path(std::string_view proc_self_cgroup) {
  constexpr std::string_view kUnified = "0::";
  for (std::size_t at = 0; at < proc_self_cgroup.size();) {
    std::size_t end = proc_self_cgroup.find('\n', at);
    if (end == std::string_view::npos) end = proc_self_cgroup.size();
    const std::string_view line = proc_self_cgroup.substr(at, end - at);
    if (line.starts_with(kUnified)) return line.substr(kUnified.size());
    at = end + 1;
  }
  return std::nullopt;
}

int usable_cpus() {
  int cpus = affinity_cpus();
  const std::string cgroups = read_file("/proc/self/cgroup");
  const auto path = unified_cgroup_path(cgroups);
  if (!path) return cpus;
  // A quota on any ancestor limits this cgroup too: the smallest one on the way up counts.
  std::string dir = std::string(kCgroupRoot) + std::string(*path);
  while (dir.size() > kCgroupRoot.size()) {
    if (const auto quota = cpus_of_cpu_max(read_file(dir + "/cpu.max"))) {
      cpus = std::min(cpus, *quota);
    }
    dir.resize(dir.rfind('/'));
  }
  return cpus;
}

}  // namespace sockcalc
