// SPDX-License-Identifier: MIT
// tools/common/log.hpp -- internal to tools/.
// The one log line format of every program: "PROGRAM: text" on a terminal or a pipe, and
// "<N>text" (sd-daemon(3) severity, no name) when stderr is the systemd journal.
// Any thread: each line is one write(2); the journal check is made once, by start_program.
#pragma once

#include <string>
#include <string_view>

namespace sockcalc::cli {

/// A line's severity, as syslog(3) numbers them (the journal's PRIORITY).
enum class Severity {
  err = 3,      // the program cannot do what it was asked (a failed start)
  warning = 4,  // something was lost (a reply, a capture), the program goes on
  info = 6,     // what an operator wants to know: where it listens, counters, stop
  debug = 7,    // -v traces of single datagrams
};

/// Whether stderr is the journal: $JOURNAL_STREAM ("DEVICE:INODE", set by systemd for a
/// service whose stderr goes to the journal) names the file stderr is (fstat(2)). A child that
/// inherited the variable but writes elsewhere (a pipe, a terminal) is not under the journal.
bool stderr_is_journal(const char* journal_stream, int stderr_fd);

/// Decides the format of every later line: called once by start_program, before any thread.
void detect_journal();

/// `line` (no newline) as it is written: "<N>line\n" under the journal, else
/// "PROGRAM: line\n". Exposed for tests.
std::string format_line(Severity severity, std::string_view line);

/// Writes one line to stderr in one write(2). A line that cannot be written is lost (nowhere
/// left to say it); the caller goes on.
void log_line(Severity severity, std::string_view line);

/// As log_line, for a line that continues the one before ("Try 'PROGRAM --help'."): without
/// the "PROGRAM: " prefix outside the journal.
void log_continuation(Severity severity, std::string_view line);

}  // namespace sockcalc::cli
