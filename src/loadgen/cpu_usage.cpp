// SPDX-License-Identifier: MIT
// loadgen/cpu_usage.cpp -- implementation of loadgen/cpu_usage.hpp.
#include "sockcalc/loadgen/cpu_usage.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <string>

#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc::loadgen {
namespace {

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

CpuTimes self_cpu_times() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {seconds(usage.ru_utime), seconds(usage.ru_stime)};
}

std::optional<CpuTimes> parse_proc_stat(std::string_view text, long ticks_per_second) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  // After ")" come field 3 (state) onwards; utime and stime are fields 14 and 15.
  constexpr int kFirstField = 3;
  constexpr int kUtimeField = 14;
  constexpr int kStimeField = 15;
  std::string_view rest = text.substr(close + 1);
  unsigned long long ticks[2] = {0, 0};
  int field = kFirstField;
  int found = 0;
  while (!rest.empty() && found < 2) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find(' '), rest.size());
    const std::string_view token = rest.substr(0, end);
    if (field == kUtimeField || field == kStimeField) {
      const auto [ptr, ec] =
          std::from_chars(token.data(), token.data() + token.size(), ticks[found]);
      if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
      ++found;
    }
    rest.remove_prefix(end);
    ++field;
  }
  if (found != 2) return std::nullopt;
  const auto hz = static_cast<double>(ticks_per_second);
  return CpuTimes{static_cast<double>(ticks[0]) / hz, static_cast<double>(ticks[1]) / hz};
}

Result<CpuTimes> process_cpu_times(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, "cannot open " + path);
  // A stat line is a few hundred bytes; 4 KiB always holds it.
  std::array<char, 4096> buffer{};
  const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  const int read_errno = errno;
  if (n < 0) return errno_error(read_errno, "cannot read " + path);
  const auto times = parse_proc_stat(std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                                     sysconf(_SC_CLK_TCK));
  if (!times) return validation_error("cannot parse " + path);
  return *times;
}

}  // namespace sockcalc::loadgen
