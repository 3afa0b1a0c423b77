// SPDX-License-Identifier: MIT
// tools/common/cli.cpp -- implementation of tools/common/cli.hpp.
#include "cli.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <system_error>

#include "checked_stdout.hpp"
#include "log.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/version.hpp"

namespace sockcalc::cli {
namespace {
std::string& program_name() {
  static std::string name = "sockcalc";
  return name;
}

int g_output_failure_status = 1;  // set once by start_program, read at exit

// Opens each of fds 0..2 that is closed on /dev/null, against its direction; false when
// /dev/null cannot be opened. The lowest free fd is taken, and the fds below `fd` are open by
// then, so open() returns `fd` itself.
bool open_standard_fds() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    const int opened = ::open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
    if (opened != fd) return false;
  }
  return true;
}

// Writes `line` to stderr in one write(2); a failure is ignored (nowhere left to say it).
void write_stderr(const std::string& line) {
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

// std::cout's buffer from start_program on; its first failed write says why output was lost.
CheckedStdout& checked_stdout() {
  static CheckedStdout buffer;
  return buffer;
}
std::streambuf* g_original_stdout = nullptr;  // std::cout's own buffer, given back at exit

// Flushes stdout; returns 0 when everything written there reached it, else the errno of the
// first failed write, or -1 when the stream failed otherwise.
int flush_stdout() {
  std::cout.flush();
  if (const int error = checked_stdout().error(); error != 0) return error;
  return std::cout.good() ? 0 : -1;
}

[[noreturn]] void exit_output_failed(int error) {
  const std::string what = "cannot write to standard output";
  write_stderr(program() + ": " + (error > 0 ? errno_error(error, what).message() : what) + "\n");
  std::_Exit(g_output_failure_status);
}

// atexit: runs before the destructors of the statics built before it was registered (the
// streams' own final flush, checked_stdout()), so it is the last flush of std::cout's buffer.
void check_stdout_at_exit() {
  const int error = flush_stdout();
  std::cout.rdbuf(g_original_stdout);  // checked_stdout() is destroyed after this
  if (error != 0) exit_output_failed(error);
}
}  // namespace

void start_program(const char* argv0, int output_failure_status) {
  const std::string_view called = argv0 != nullptr ? argv0 : "";
  const std::string_view name = called.substr(called.find_last_of('/') + 1);
  if (!name.empty()) program_name() = std::string(name);
  g_output_failure_status = output_failure_status;
  if (!open_standard_fds()) std::_Exit(output_failure_status);
  detect_journal();
  // A write past a file size limit (ulimit -f) then fails with EFBIG, as a full disk fails with
  // ENOSPC, instead of killing the program with SIGXFSZ: a --pcap capture ends, not a service.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
  sigaction(SIGXFSZ, &ignore, nullptr);
  g_original_stdout = std::cout.rdbuf(&checked_stdout());
  if (::isatty(STDOUT_FILENO) == 1) std::cout.setf(std::ios::unitbuf);  // as stdio on a terminal
  std::atexit(check_stdout_at_exit);
}

void exit_if_stdout_failed() {
  if (const int error = checked_stdout().error(); error != 0 || !std::cout.good()) {
    exit_output_failed(error != 0 ? error : -1);
  }
}

const std::string& program() { return program_name(); }

std::string command_for(std::string_view tool) {
  constexpr std::string_view kInstalledPrefix = "sockcalc-";
  const bool installed = program().starts_with(kInstalledPrefix);
  return std::string(installed ? kInstalledPrefix : "./") + std::string(tool);
}

std::string expand_help(std::string_view text) {
  constexpr std::string_view kOpen = "%prog";
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t start = text.find(kOpen, at);
    const std::size_t end = start == std::string_view::npos ? std::string_view::npos
                                                            : text.find('%', start + kOpen.size());
    if (end == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, start - at));
    const std::string_view inner = text.substr(start + kOpen.size(), end - start - kOpen.size());
    if (inner.empty()) {
      out += program();
    } else if (inner.front() == ':') {
      out += command_for(inner.substr(1));
    } else {
      out.append(text.substr(start, end - start));  // not a placeholder: "%" stays as it is
      at = end;
      continue;
    }
    at = end + 1;
  }
  return out;
}

void usage_error(const std::string& message) {
  log_line(Severity::err, message);
  log_continuation(Severity::err, "Try '" + program() + " --help'.");
  std::exit(kExitUsage);
}

void die(const std::string& message, int status) {
  log_line(Severity::err, message);
  std::exit(status);
}

void print_version() { std::cout << program() << " (sockcalc) " << kVersion << '\n'; }

std::vector<Address> resolve_or_die(const std::string& host, const std::string* port,
                                    Purpose purpose, int runtime_status) {
  if (is_unix_spec(host)) {
    auto a = Address::parse_unix(host);
    if (!a) usage_error(a.error().message());
    return {*a};
  }
  if (port == nullptr) usage_error("missing PORT after '" + host + "'");
  auto p = parse_port(*port);
  if (!p) usage_error(p.error().message());
  auto list = Address::resolve(host, *p, purpose);
  if (list) return *list;
  const std::error_code& code = list.error().code;
  // The name may be right: the resolver could not answer now, or the system failed under it.
  // (A validation failure has no code; an empty code's category is the system's too.)
  if (code == std::errc::resource_unavailable_try_again ||
      (code && code.category() == std::system_category())) {
    die(list.error().message(), runtime_status);
  }
  usage_error(list.error().message());
}

void on_signal(int signal, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(signal, &sa, nullptr);
}

}  // namespace sockcalc::cli
