// tools/common/cli.hpp -- internal to tools/.
// What every program's command line shares: usage errors, --version, integer and address
// arguments, signal set-up. Tools only; functions named *_or_die exit the process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "address/address.hpp"

namespace sockcalc::cli {

/// Exit status of a usage error, shared by every program.
inline constexpr int kExitUsage = 2;

/// Remembers the program's name for messages ("client", "server", ...).
void set_program(std::string_view name);
const std::string& program();

/// Prints "PROGRAM: MESSAGE" and "Try 'PROGRAM --help'." on stderr; exits kExitUsage.
[[noreturn]] void usage_error(const std::string& message);

/// Prints "PROGRAM: MESSAGE" on stderr and exits with `status`.
[[noreturn]] void die(const std::string& message, int status);

/// Prints "PROGRAM (sockcalc) VERSION" on stdout.
void print_version();

/// The end of every program's getopt_long switch (option string starting with ':'): -h/--help
/// prints `help` and exits 0; -V/--version prints the version and exits 0; ':' (an option
/// without its value) and any other result are usage errors naming the option as typed.
[[noreturn]] void finish_option(int opt, std::string_view help, char** argv);

/// A decimal 0..4294967295 (leading zeros allowed, no sign, no spaces).
std::optional<std::uint32_t> parse_u32(std::string_view text);

/// A decimal number in [min, max], or a usage error naming `what` and the text.
long parse_number_or_die(std::string_view text, std::string_view what, long min, long max);

/// Resolves HOST PORT or takes unix:PATH, for `purpose`; a usage error names the bad part.
std::vector<Address> resolve_or_die(const std::string& host, const std::string* port,
                                    Purpose purpose);

/// Installs `handler` for `signal`, without SA_RESTART so that blocking calls return EINTR.
void on_signal(int signal, void (*handler)(int));

}  // namespace sockcalc::cli
