// SPDX-License-Identifier: MIT
// tools/common/options.cpp -- implementation of tools/common/options.hpp.
#include "options.hpp"

#include <getopt.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli.hpp"

namespace sockcalc::cli {
namespace {

constexpr std::string_view kMarker = "%options";
constexpr int kFirstLongCode = 256;  // getopt's code of table entry i: 256 + i, above any char

// The table with the two options every program has, in the group of its last option.
std::vector<Option> with_standard_options(const CommandLine& command) {
  std::vector<Option> all = command.options;
  const std::string_view group = all.empty() ? std::string_view{} : all.back().group;
  all.push_back(
      {.short_name = 'h', .name = "help", .help = "show this help and exit", .group = group});
  all.push_back(
      {.short_name = 'V', .name = "version", .help = "show the version and exit", .group = group});
  return all;
}

// "-t, --threads N", "--engine E", "-o, -op, --op OP".
std::string item_of(const Option& o) {
  std::string item;
  if (o.short_name != 0) item += std::string("-") + o.short_name + ", ";
  if (!o.alias.empty()) item += std::string(o.alias) + ", ";
  item += "--" + std::string(o.name);
  if (!o.arg.empty()) item += " " + std::string(o.arg);
  return item;
}

// One option's lines: the item (indented as if a short name were there), then the description
// from `column` on, on the item's line when two spaces fit between them.
std::string lines_of(const Option& o, std::size_t column) {
  constexpr std::size_t kIndent = 2;
  constexpr std::size_t kShortName = 4;  // "-t, "
  const std::size_t indent = kIndent + (o.short_name != 0 ? 0 : kShortName);
  std::string out = std::string(indent, ' ') + item_of(o);
  bool first = out.size() + 2 <= column;
  if (!first) out += '\n';
  std::string_view rest = o.help;
  while (true) {
    const std::size_t end = rest.find('\n');
    out += first ? std::string(column - out.size(), ' ') : std::string(column, ' ');
    out += std::string(rest.substr(0, end)) + '\n';
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
    first = false;
  }
  return out;
}

std::string group_lines(const std::vector<Option>& options, std::string_view group,
                        std::size_t column) {
  std::string out;
  for (const Option& o : options) {
    if (o.group == group) out += lines_of(o, column);
  }
  return out;
}

// The group a line of the help text asks for ("%options%", "%options:GROUP%"), or nullopt.
std::optional<std::string_view> marker_group(std::string_view line) {
  if (!line.starts_with(kMarker) || !line.ends_with('%')) return std::nullopt;
  std::string_view inner = line.substr(kMarker.size(), line.size() - kMarker.size() - 1);
  if (inner.empty()) return inner;
  if (inner.front() != ':') return std::nullopt;
  return inner.substr(1);
}

// getopt's tables: the short option string (starting with ':' so that a missing value is told
// apart) and the long options, each returning 256 + its index in `options`.
struct GetoptTables {
  std::string short_options = ":";
  std::vector<option> long_options;
};

GetoptTables getopt_tables(const std::vector<Option>& options) {
  GetoptTables t;
  for (std::size_t i = 0; i < options.size(); ++i) {
    const Option& o = options[i];
    const int has_arg = o.arg.empty() ? no_argument : required_argument;
    if (o.short_name != 0) t.short_options += std::string(1, o.short_name) + (has_arg ? ":" : "");
    t.long_options.push_back(
        {o.name.data(), has_arg, nullptr, kFirstLongCode + static_cast<int>(i)});
  }
  t.long_options.push_back({nullptr, 0, nullptr, 0});
  return t;
}

// The entry of `options` getopt answered with `code`, or nullptr (a usage error).
const Option* option_for(const std::vector<Option>& options, int code) {
  if (code >= kFirstLongCode && code - kFirstLongCode < static_cast<int>(options.size())) {
    return &options[static_cast<std::size_t>(code - kFirstLongCode)];
  }
  for (const Option& o : options) {
    if (o.short_name != 0 && o.short_name == code) return &o;
  }
  return nullptr;
}

void apply(const CommandLine& command, const Option& o, const char* value) {
  if (o.name == "help") {
    std::cout << help_text(command);
    std::exit(0);
  }
  if (o.name == "version") {
    print_version();
    std::exit(0);
  }
  o.set(value != nullptr ? std::string_view(value) : std::string_view{});
}

}  // namespace

std::string help_text(const CommandLine& command) {
  const std::vector<Option> options = with_standard_options(command);
  std::string out;
  std::string_view rest = command.help;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (const auto group = marker_group(line)) {
      out += group_lines(options, *group, command.column);
    } else {
      out += std::string(line) + (end == std::string_view::npos ? "" : "\n");
    }
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  return expand_help(out);
}

std::vector<std::string> parse_or_exit(const CommandLine& command, int argc, char** argv) {
  const std::vector<Option> options = with_standard_options(command);
  const GetoptTables tables = getopt_tables(options);
  const auto next = command.spelling == Spelling::long_only ? getopt_long_only : getopt_long;
  opterr = 0;
  optind = 0;  // glibc: start afresh (a test may parse more than one command line)
  int code = 0;
  while ((code = next(argc, argv, tables.short_options.c_str(), tables.long_options.data(),
                      nullptr)) != -1) {
    const Option* o = code == ':' || code == '?' ? nullptr : option_for(options, code);
    if (o != nullptr) {
      apply(command, *o, optarg);
    } else if (code == ':') {
      usage_error(std::string("option '") + argv[optind - 1] + "' needs a value");
    } else {
      usage_error(std::string("unknown option '") + argv[optind - 1] + "'");
    }
  }
  return {argv + optind, argv + argc};
}

Setter set_flag(bool& target) {
  return [&target](std::string_view) { target = true; };
}

Setter set_text(std::string& target) {
  return [&target](std::string_view value) { target = std::string(value); };
}

}  // namespace sockcalc::cli
