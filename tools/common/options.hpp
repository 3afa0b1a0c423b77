// SPDX-License-Identifier: MIT
// tools/common/options.hpp -- internal to tools/.
// Each program's options, declared once in a table: spellings, argument name, help lines and
// what reading the value does. The table drives getopt_long (or getopt_long_only) and makes
// the program's --help, from which help2man and the bash completion read the options.
// Tools only, main thread; parse_or_exit exits on --help, --version and usage errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "number.hpp"

namespace sockcalc::cli {

/// What an option does with its value: the text after it (empty for an option without one).
/// A bad value is a usage error (cli::usage_error), named by the setter.
using Setter = std::function<void(std::string_view value)>;

/// One option of a program.
struct Option {
  char short_name = 0;         // 't' for -t; 0 for none
  std::string_view name = {};  // "threads" for --threads (a literal: getopt reads it as a C string)
  std::string_view arg = {};   // its value's name in --help ("N", "FILE"); empty: takes no value
  std::string_view help = {};  // its description in --help, one line per '\n', as laid out there
  Setter set = {};
  std::string_view group = {};  // the %options:GROUP% of the help text listing it ({}: %options%)
  std::string_view alias = {};  // one more spelling shown in --help, such as "-op"
};

/// How options are spelled on the command line.
enum class Spelling {
  gnu,        // getopt_long: -t 4, --threads 4, --threads=4, -vt4
  long_only,  // getopt_long_only: -threads 4 too (the course's "-op +")
};

/// A program's command line.
struct CommandLine {
  /// The --help text: free text (usage, operands, exit status, examples) with "%options%" or
  /// "%options:GROUP%" on a line of its own where the items of that group go, and "%prog%",
  /// "%prog:TOOL%" as expand_help reads them.
  std::string_view help;
  std::size_t column = 0;  // where the descriptions start in --help
  Spelling spelling = Spelling::gnu;
  /// Every option in --help order; -h/--help and -V/--version are added after the last one,
  /// in its group.
  std::vector<Option> options;
};

/// The --help text of `command`, as the program prints it.
std::string help_text(const CommandLine& command);

/// Reads the options of argv[1..argc) in order, calling each one's setter; returns the other
/// arguments (getopt moves them after the options; "--" ends the options). -h/--help prints
/// help_text and exits 0, -V/--version prints the version and exits 0; an unknown option or
/// one without its value is a usage error naming it as typed.
std::vector<std::string> parse_or_exit(const CommandLine& command, int argc, char** argv);

/// Setters for the usual kinds of value.
Setter set_flag(bool& target);
Setter set_text(std::string& target);

/// `n` as a T: an integer, a double, or a std::chrono duration counted in `n`.
template <typename T>
T from_whole(std::uint64_t n) {
  if constexpr (std::is_arithmetic_v<T>) {
    return static_cast<T>(n);
  } else {
    return T(static_cast<typename T::rep>(n));
  }
}

/// A whole number in [min, max] (whole_or_die), stored in `target`: an integer, a double, a
/// std::chrono duration counted in the number given, or a std::optional of one of these.
template <typename T>
Setter set_whole(T& target, std::string_view what, std::uint64_t min, std::uint64_t max) {
  return [&target, what, min, max](std::string_view value) {
    const std::uint64_t n = whole_or_die(value, what, min, max);
    if constexpr (requires {
                    typename T::value_type;
                    target.emplace();
                  }) {
      target = from_whole<typename T::value_type>(n);
    } else {
      target = from_whole<T>(n);
    }
  };
}

}  // namespace sockcalc::cli
