// SPDX-License-Identifier: MIT
// tests/environment/environment.hpp -- internal to tests/environment.
// Starting a program through /bin/sh with its fds rearranged (closed, /dev/full, ulimit), the UDP
// ports a process listens on (from /proc), and a pcap file's records counted. Test thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace sockcalc::environment {

using std::chrono::milliseconds;
using testing::kPatience;
using testing::Process;
using testing::RunResult;

/// Shell lines that run the program as `exec "$0" "$@"` after rearranging its fds; the shell
/// execs it, so the Process's pid is the program's own.
inline constexpr std::string_view kStdinClosed = R"(exec "$0" "$@" <&-)";
inline constexpr std::string_view kStdoutClosed = R"(exec "$0" "$@" >&-)";
inline constexpr std::string_view kStderrClosed = R"(exec "$0" "$@" 2>&-)";
inline constexpr std::string_view kStdioClosed = R"(exec "$0" "$@" <&- >&- 2>&-)";
inline constexpr std::string_view kStdoutFull = R"(exec "$0" "$@" >/dev/full)";
/// A file size limit of 1 block (512 bytes, `ulimit -f 1`): a write past it fails with EFBIG
/// and raises SIGXFSZ, as writing on a full disk fails with ENOSPC.
inline constexpr std::string_view kFileSizeLimited = R"(ulimit -f 1 && exec "$0" "$@")";

/// Starts `program args...` through `/bin/sh -c LINE` (one of the lines above).
Result<std::unique_ptr<Process>> start_via_shell(std::string_view line, const std::string& program,
                                                 const std::vector<std::string>& args);

/// The same, run to its end (killed after `timeout`).
RunResult run_via_shell(std::string_view line, const std::string& program,
                        const std::vector<std::string>& args, milliseconds timeout = kPatience);

/// The local ports of the unconnected UDP sockets (IPv4 and IPv6) process `pid` holds, read
/// from /proc: how a test finds the port of a program that cannot print it (stderr closed).
std::vector<std::uint16_t> listening_udp_ports(pid_t pid);

/// Waits up to `timeout` (polling every few ms) until `path` exists, or until process `p`
/// ends. Returns whether it exists.
bool wait_for_path(const std::string& path, Process& p, milliseconds timeout = kPatience);

/// The number of records of the pcap file at `path`, or nullopt (and why, in `why`) when it is
/// not a whole pcap file: a classic header, then records whose lengths end exactly at the end
/// of the file.
std::optional<std::size_t> pcap_records(const std::string& path, std::string& why);

/// How many times `needle` occurs in `text`.
std::size_t count(const std::string& text, std::string_view needle);

}  // namespace sockcalc::environment
