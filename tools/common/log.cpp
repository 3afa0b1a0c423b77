// SPDX-License-Identifier: MIT
// tools/common/log.cpp -- implementation of tools/common/log.hpp.
#include "log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "cli.hpp"
#include "sockcalc/core/decimal.hpp"

namespace sockcalc::cli {
namespace {
bool g_journal = false;  // set once by detect_journal(), before any other thread exists

// The journal's severity prefix ("<3>"), or `plain` outside the journal, then the line.
std::string prefixed(Severity severity, std::string_view plain, std::string_view line) {
  std::string out =
      g_journal ? "<" + std::to_string(static_cast<int>(severity)) + ">" : std::string(plain);
  out.append(line);
  out += '\n';
  return out;
}

void write_stderr(const std::string& out) {
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, out.data(), out.size());
}
}  // namespace

bool stderr_is_journal(const char* journal_stream, int stderr_fd) {
  if (journal_stream == nullptr) return false;
  const std::string_view text(journal_stream);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const auto device = parse_decimal<std::uint64_t>(text.substr(0, colon));
  const auto inode = parse_decimal<std::uint64_t>(text.substr(colon + 1));
  struct stat st {};
  if (!device || !inode || ::fstat(stderr_fd, &st) != 0) return false;
  return st.st_dev == *device && st.st_ino == *inode;
}

void detect_journal() { g_journal = stderr_is_journal(std::getenv("JOURNAL_STREAM"), 2); }

std::string format_line(Severity severity, std::string_view line) {
  return prefixed(severity, program() + ": ", line);
}

void log_line(Severity severity, std::string_view line) {
  write_stderr(format_line(severity, line));
}

void log_continuation(Severity severity, std::string_view line) {
  write_stderr(prefixed(severity, "", line));
}

}  // namespace sockcalc::cli
