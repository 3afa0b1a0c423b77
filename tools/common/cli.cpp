// tools/common/cli.cpp -- implementation of tools/common/cli.hpp.
#include "cli.hpp"

#include <getopt.h>
#include <signal.h>

#include <charconv>
#include <cstdlib>
#include <iostream>

#include "version.hpp"

namespace sockcalc::cli {
namespace {
std::string& program_name() {
  static std::string name = "sockcalc";
  return name;
}
}  // namespace

void set_program(std::string_view name) { program_name() = std::string(name); }
const std::string& program() { return program_name(); }

void usage_error(const std::string& message) {
  std::cerr << program() << ": " << message << "\nTry '" << program() << " --help'.\n";
  std::exit(kExitUsage);
}

void die(const std::string& message, int status) {
  std::cerr << program() << ": " << message << '\n';
  std::exit(status);
}

void print_version() { std::cout << program() << " (sockcalc) " << kVersion << '\n'; }

void finish_option(int opt, std::string_view help, char** argv) {
  switch (opt) {
    case 'h':
      std::cout << help;
      std::exit(0);
    case 'V':
      print_version();
      std::exit(0);
    case ':':
      usage_error(std::string("option '") + argv[optind - 1] + "' needs a value");
    default:
      usage_error(std::string("unknown option '") + argv[optind - 1] + "'");
  }
}

std::optional<std::uint32_t> parse_u32(std::string_view text) {
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

long parse_number_or_die(std::string_view text, std::string_view what, long min, long max) {
  long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    usage_error("invalid " + std::string(what) + " '" + std::string(text) + "': must be " +
                std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

std::vector<Address> resolve_or_die(const std::string& host, const std::string* port,
                                    Purpose purpose) {
  if (is_unix_spec(host)) {
    auto a = Address::parse_unix(host);
    if (!a) usage_error(a.error().context);
    return {*a};
  }
  if (port == nullptr) usage_error("missing PORT after '" + host + "'");
  auto p = parse_port(*port);
  if (!p) usage_error(p.error().context);
  auto list = Address::resolve(host, *p, purpose);
  if (!list) usage_error(list.error().context);
  return *list;
}

void on_signal(int signal, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(signal, &sa, nullptr);
}

}  // namespace sockcalc::cli
