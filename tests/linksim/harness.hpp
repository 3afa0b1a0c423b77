// tests/linksim/harness.hpp -- internal to tests/linksim.
// Starts the real server and linksim programs on loopback with port 0 (the real port read from
// their "listening on" line), runs the client program, and parses linksim's summary. One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "address/address.hpp"
#include "process.hpp"

namespace sockcalc::test {

// Paths of the programs under test, from CMake ($<TARGET_FILE:...>).
inline const std::string kLinksimPath = LINKSIM_PATH;
inline const std::string kServerPath = SERVER_PATH;
inline const std::string kClientPath = CLIENT_PATH;

/// How long a program may take to print its "listening on" line (generous: sanitizer builds
/// start slowly on a loaded machine).
inline constexpr std::chrono::milliseconds kStartTimeout{10'000};
/// How long a program may take to exit after SIGTERM.
inline constexpr std::chrono::milliseconds kStopTimeout{10'000};

/// A program that printed where it listens.
struct Started {
  Process process;
  Address address;  // with the real port
  [[nodiscard]] std::string port() const { return std::to_string(address.port()); }
};

/// The address in a "...listening on ADDRESS" or "...listening on ADDRESS, ..." line.
std::optional<Address> listening_address(const std::string& line);

/// Starts `server HOST 0`. nullopt (with the output in `why`) when it does not report a port.
std::optional<Started> start_server(const TempDir& dir, const std::string& host, std::string* why);

/// Starts `linksim OPTIONS... LISTEN_HOST 0 SERVER_HOST SERVER_PORT`.
std::optional<Started> start_linksim(const TempDir& dir, const std::vector<std::string>& options,
                                     const std::string& listen_host, const std::string& server_host,
                                     const std::string& port, std::string* why,
                                     const std::string& name = "linksim");

/// Sends SIGTERM and waits: the exit status, or nullopt when it did not stop in time.
std::optional<int> stop(Process& p);

/// The counters of a linksim summary line ("...: received 10, passed 7, ...; held 0"), by
/// name ("received", "send failed", ...).
std::map<std::string, std::uint64_t> counters(const std::string& line);

/// The summary line of linksim's stderr that starts with `label` after "linksim: "
/// ("forward", "reverse" or "flows"), or "".
std::string summary(const std::string& err, const std::string& label);

/// One run of the client program.
struct ClientRun {
  int status = -1;  // exit status; -1 if it did not end in time (then it was killed)
  std::string out;
  std::string err;
};

/// Starts the client program with `args`; call finish() on the result.
Process start_client(const TempDir& dir, const std::vector<std::string>& args,
                     const std::string& name);
ClientRun finish(Process& p, std::chrono::milliseconds timeout);

}  // namespace sockcalc::test
