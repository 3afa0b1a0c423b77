// SPDX-License-Identifier: MIT
// tools/common/cli.hpp -- internal to tools/.
// What every program's command line shares: its start (standard fds, SIGPIPE, the stdout check
// at exit), usage errors, --version, address arguments, signal set-up (options: options.hpp,
// numbers: number.hpp).
// Tools only, main thread; functions named *_or_die exit the process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/address/address.hpp"

namespace sockcalc::cli {

/// Exit status of a usage error, shared by every program.
inline constexpr int kExitUsage = 2;

/// The first call of every main, before anything is opened, given main's argv[0]: the
/// program's name becomes the last part of it ("sockcalc-client" installed, "client" in the
/// build tree; "sockcalc" when argv[0] is missing or empty), for every message, then
/// - fds 0, 1 and 2 are made sure to be open. Started with one of them closed, a program would
///   give that number to the first socket or file it opens, and write its log into a socket
///   or its result into a capture. A closed one is opened on /dev/null against its direction
///   (fd 0 write-only, fds 1 and 2 read-only, as gnulib's stdopen does): what the program
///   writes there fails (EBADF) and is seen to fail, instead of vanishing.
/// - SIGPIPE is ignored: when the reader of stdout or stderr goes away, a write fails with
///   EPIPE instead of killing the program. A log line that cannot be written is lost; the
///   program goes on. SIGXFSZ too: past a file size limit a write fails with EFBIG.
/// - std::cout writes through a CheckedStdout (checked_stdout.hpp), which keeps the reason of
///   the first failed write. At exit, stdout is flushed and checked: when something written
///   there (a result, a report, --help) was lost, "PROGRAM: cannot write to standard output:
///   REASON" goes to stderr and the exit status becomes `output_failure_status`.
/// When /dev/null cannot be opened, the program exits at once with `output_failure_status`.
void start_program(const char* argv0, int output_failure_status);

/// Exits with start_program's `output_failure_status`, saying why, when stdout has already
/// failed (a reader that went away): for a program that writes its report as it goes and
/// should stop once nobody reads it. Returns when stdout is fine.
void exit_if_stdout_failed();

/// The program's name as it was called (start_program): the start of every message and log
/// line, and the name its --help and --version show.
const std::string& program();

/// How this program's user runs the suite's program `tool` ("client", "server", ...): under
/// its installed name ("sockcalc-client") when this one runs under its own ("sockcalc-..."),
/// otherwise as the repository's link ("./client").
std::string command_for(std::string_view tool);

/// A help text as the user reads it: "%prog%" becomes program(), "%prog:TOOL%"
/// command_for(TOOL). Every program's kHelp is written with these, examples included.
std::string expand_help(std::string_view text);

/// Prints "PROGRAM: MESSAGE" and "Try 'PROGRAM --help'." on stderr; exits kExitUsage.
[[noreturn]] void usage_error(const std::string& message);

/// Prints "PROGRAM: MESSAGE" on stderr and exits with `status`.
[[noreturn]] void die(const std::string& message, int status);

/// Prints "PROGRAM (sockcalc) VERSION" on stdout.
void print_version();

/// Resolves HOST PORT or takes unix:PATH, for `purpose`; a usage error names the bad part (a
/// name that does not resolve is one). A resolver that cannot answer now (EAI_AGAIN) or fails
/// under a system error is no usage error: the message is printed and the program exits with
/// `runtime_status`, its status for a failure of the network or the system.
std::vector<Address> resolve_or_die(const std::string& host, const std::string* port,
                                    Purpose purpose, int runtime_status);

/// Installs `handler` for `signal`, without SA_RESTART so that blocking calls return EINTR.
void on_signal(int signal, void (*handler)(int));

}  // namespace sockcalc::cli
