// SPDX-License-Identifier: MIT
// tests/linksim/harness.cpp -- implementation of tests/linksim/harness.hpp.
// Command lines are built here, in one place; Program runs them on the shared testing::Process.
// One thread per call.
#include "harness.hpp"

#include <signal.h>

#include <charconv>
#include <sstream>
#include <utility>

namespace sockcalc::test {
namespace {

using Clock = std::chrono::steady_clock;
// How long one look at a child's pipes may wait: short against every timeout the tests use.
constexpr std::chrono::milliseconds kPumpSlice{20};

// The first complete line of `text` that contains `needle`.
std::optional<std::string> complete_line_with(const std::string& text, std::string_view needle) {
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = text.substr(start, end - start);
    if (line.find(needle) != std::string::npos) return line;
  }
  return std::nullopt;
}

}  // namespace

Program Program::start(const std::vector<std::string>& argv, const std::string& name) {
  Program p;
  p.name_ = name;
  auto started = testing::Process::start(argv.at(0), {argv.begin() + 1, argv.end()});
  if (started) {
    p.process_ = std::move(*started);
  } else {
    p.start_error_ = started.error().message();
  }
  return p;
}

void Program::signal(int sig) const {
  if (running()) process_->send_signal(sig);
}

std::optional<int> Program::wait(std::chrono::milliseconds timeout) {
  if (!process_ || !process_->wait_for_exit(timeout)) return std::nullopt;
  const testing::ExitStatus s = process_->status();
  return s.exited ? s.code : 128 + s.signal;
}

std::optional<std::string> Program::wait_for_err_line(std::string_view needle,
                                                      std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    // Looked at before reading, so that the last look sees all a finished child wrote.
    const bool ended = process_->wait_for_exit(std::chrono::milliseconds(0));
    if (auto line = complete_line_with(process_->err(), needle)) return line;
    if (ended || Clock::now() >= deadline) return std::nullopt;
    process_->pump(kPumpSlice);
  }
}

std::string Program::out() const {
  if (!process_) return "";
  process_->pump(std::chrono::milliseconds(0));
  return process_->out();
}

std::string Program::err() const {
  if (!process_) return start_error_;
  process_->pump(std::chrono::milliseconds(0));
  return process_->err();
}

std::string Program::dump() const {
  if (!process_) return "--- " + name_ + ": " + start_error_ + "\n";
  process_->pump(std::chrono::milliseconds(0));
  return "--- " + name_ + ":\n" + process_->report();
}

std::vector<std::string> lines_with(const std::string& text, std::string_view needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

std::optional<Address> listening_address(const std::string& line) {
  const std::string marker = "listening on ";
  const auto at = line.find(marker);
  if (at == std::string::npos) return std::nullopt;
  std::string text = line.substr(at + marker.size());
  // linksim: "ADDRESS, forwarding to ..."; the server: "ADDRESS (sockcalc VERSION, N workers)".
  // An address's text form holds neither a comma nor a space (bytes like them are escaped).
  if (const auto end = text.find_first_of(", "); end != std::string::npos) text.resize(end);
  auto a = Address::parse(text);
  if (!a) return std::nullopt;
  return *a;
}

namespace {

std::optional<Started> wait_listening(Program p, std::string* why) {
  const auto line = p.wait_for_err_line("listening on", kStartTimeout);
  const auto address = line ? listening_address(*line) : std::nullopt;
  if (!address || address->port() == 0) {
    if (why) *why = "no 'listening on' line with a port:\n" + p.dump();
    return std::nullopt;
  }
  return Started{std::move(p), *address};
}

}  // namespace

std::optional<Started> start_server(const std::string& host, std::string* why) {
  return wait_listening(Program::start({kServerPath, host, "0"}, "server"), why);
}

std::optional<Started> start_linksim(const std::vector<std::string>& options,
                                     const std::string& listen_host, const std::string& server_host,
                                     const std::string& port, std::string* why,
                                     const std::string& name) {
  std::vector<std::string> argv{kLinksimPath};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {listen_host, "0", server_host, port});
  return wait_listening(Program::start(argv, name), why);
}

std::optional<int> stop(Program& p) {
  p.signal(SIGTERM);
  return p.wait(kStopTimeout);
}

std::map<std::string, std::uint64_t> counters(const std::string& line) {
  std::map<std::string, std::uint64_t> out;
  const auto colon = line.find(": ", line.find("linksim: ") + 9);
  if (colon == std::string::npos) return out;
  std::string rest = line.substr(colon + 2);
  for (char& c : rest) {
    if (c == ';') c = ',';
  }
  std::size_t start = 0;
  while (start < rest.size()) {
    auto end = rest.find(',', start);
    if (end == std::string::npos) end = rest.size();
    std::string item = rest.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    if (const auto space = item.rfind(' '); space != std::string::npos) {
      std::uint64_t v = 0;
      const char* first = item.data() + space + 1;
      const char* last = item.data() + item.size();
      if (std::from_chars(first, last, v).ptr == last) out[item.substr(0, space)] = v;
    }
    start = end + 1;
  }
  return out;
}

std::string summary(const std::string& err, const std::string& label) {
  for (const auto& line : lines_with(err, "linksim: " + label)) {
    if (line.find("received ") != std::string::npos || line.find("created ") != std::string::npos) {
      return line;
    }
  }
  return "";
}

Program start_client(const std::vector<std::string>& args, const std::string& name) {
  std::vector<std::string> argv{kClientPath};
  argv.insert(argv.end(), args.begin(), args.end());
  return Program::start(argv, name);
}

ClientRun finish(Program& p, std::chrono::milliseconds timeout) {
  ClientRun r;
  const auto status = p.wait(timeout);
  r.status = status.value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace sockcalc::test
