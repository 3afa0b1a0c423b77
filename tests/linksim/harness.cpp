// tests/linksim/harness.cpp -- implementation of tests/linksim/harness.hpp.
// Command lines are built here, in one place, from the arguments the tests print.
// One thread per call.
#include "harness.hpp"

#include <signal.h>

#include <charconv>

namespace sockcalc::test {

std::optional<Address> listening_address(const std::string& line) {
  const std::string marker = "listening on ";
  const auto at = line.find(marker);
  if (at == std::string::npos) return std::nullopt;
  std::string text = line.substr(at + marker.size());
  if (const auto comma = text.find(','); comma != std::string::npos) text.resize(comma);
  auto a = Address::parse(text);
  if (!a) return std::nullopt;
  return *a;
}

namespace {

std::optional<Started> wait_listening(Process p, std::string* why) {
  const auto line = p.wait_for_err_line("listening on", kStartTimeout);
  const auto address = line ? listening_address(*line) : std::nullopt;
  if (!address || address->port() == 0) {
    if (why) *why = "no 'listening on' line with a port:\n" + p.dump();
    return std::nullopt;
  }
  return Started{std::move(p), *address};
}

}  // namespace

std::optional<Started> start_server(const TempDir& dir, const std::string& host, std::string* why) {
  return wait_listening(Process::start({kServerPath, host, "0"}, dir.path(), "server"), why);
}

std::optional<Started> start_linksim(const TempDir& dir, const std::vector<std::string>& options,
                                     const std::string& listen_host, const std::string& server_host,
                                     const std::string& port, std::string* why,
                                     const std::string& name) {
  std::vector<std::string> argv{kLinksimPath};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {listen_host, "0", server_host, port});
  return wait_listening(Process::start(argv, dir.path(), name), why);
}

std::optional<int> stop(Process& p) {
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

Process start_client(const TempDir& dir, const std::vector<std::string>& args,
                     const std::string& name) {
  std::vector<std::string> argv{kClientPath};
  argv.insert(argv.end(), args.begin(), args.end());
  return Process::start(argv, dir.path(), name);
}

ClientRun finish(Process& p, std::chrono::milliseconds timeout) {
  ClientRun r;
  const auto status = p.wait(timeout);
  r.status = status.value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace sockcalc::test
