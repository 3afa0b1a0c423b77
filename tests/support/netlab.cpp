// SPDX-License-Identifier: MIT
// tests/support/netlab.cpp -- implementation of tests/support/netlab.hpp.
// Every change is an `ip` (or `ip netns exec HOST sh|cat`) run through run_program, bounded in
// time; namespaces are created with their veths inside them, never on the host's own interfaces.
// One thread per NetLab; the availability probe runs once per process.
#include "support/netlab.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <system_error>

namespace sockcalc::testing {
namespace {

// One `ip` command: they take milliseconds; the bound keeps a wedged one from hanging a test.
constexpr milliseconds kIpTimeout{10000};
// Host names are short: "sc-" + pid (7) + "-" + lab number + "-" + host stays readable in
// `ip netns list`, and tests never need more.
constexpr std::size_t kMaxHostName = 8;
constexpr std::string_view kPrefix = "sc-";

Error failure(std::errc code, std::string context) {
  return Error{std::make_error_code(code), std::move(context)};
}

// "ip -n NS link add ..." as one line, for messages.
std::string show(const std::vector<std::string>& args) {
  std::string s = "ip";
  for (const std::string& a : args) s += " " + a;
  return s;
}

// What a command that ran printed, trimmed, for an error message.
std::string said(const RunResult& r) {
  std::string text = r.err.empty() ? r.out : r.err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (r.timed_out) text += " (killed: still running after its time limit)";
  if (text.empty()) text = r.status.to_string();
  return text;
}

Status run_ip(const std::vector<std::string>& args) {
  const RunResult r = run_program(ip_program(), args, kIpTimeout);
  if (r.status.exited_with(0)) return Ok{};
  return failure(std::errc::operation_not_permitted, "cannot run '" + show(args) + "': " + said(r));
}

bool valid_host_name(const std::string& host) {
  if (host.empty() || host.size() > kMaxHostName) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string probe_reason() {
  if (::geteuid() != 0) return "not root (namespaces need CAP_SYS_ADMIN; make check runs as root)";
  if (ip_program().empty()) return "no 'ip' program (Debian package iproute2)";
  const std::string name = std::string(kPrefix) + std::to_string(::getpid()) + "-probe";
  if (auto st = run_ip({"netns", "add", name}); !st) {
    return "'ip netns add' refused: " + st.error().message();
  }
  (void)run_ip({"netns", "delete", name});
  return "";
}

// Every namespace name `ip netns list` shows (its first word per line).
std::vector<std::string> list_namespaces() {
  std::vector<std::string> names;
  const RunResult r = run_program(ip_program(), {"netns", "list"}, kIpTimeout);
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string first = line.substr(0, line.find(' '));
    if (!first.empty()) names.push_back(first);
  }
  return names;
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

const std::string& ip_program() {
  static const std::string path = [] {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (::access(p, X_OK) == 0) return std::string(p);
    }
    return std::string();
  }();
  return path;
}

const std::string& netns_unavailable_reason() {
  static const std::string reason = probe_reason();
  return reason;
}

bool netns_required() {
  const char* v = std::getenv("SOCKCALC_REQUIRE_NETNS");
  return v != nullptr && std::string_view(v) == "1";
}

bool netns_exists(const std::string& name) {
  for (const std::string& n : list_namespaces()) {
    if (n == name) return true;
  }
  return false;
}

int sweep_stale_namespaces() {
  static const std::regex ours(R"(^sc-([0-9]+)-.*)");
  int removed = 0;
  for (const std::string& name : list_namespaces()) {
    std::smatch m;
    if (!std::regex_match(name, m, ours)) continue;
    const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
    if (pid <= 0 || process_alive(static_cast<pid_t>(pid))) continue;
    if (run_ip({"netns", "delete", name})) ++removed;
  }
  return removed;
}

Result<std::unique_ptr<NetLab>> NetLab::create() {
  if (const std::string& reason = netns_unavailable_reason(); !reason.empty()) {
    return failure(std::errc::operation_not_supported, "cannot make network namespaces: " + reason);
  }
  (void)sweep_stale_namespaces();
  static std::atomic<int> next_lab{0};
  std::unique_ptr<NetLab> lab(new NetLab());
  lab->lab_number_ = next_lab.fetch_add(1);
  return lab;
}

NetLab::~NetLab() {
  // Deleting a namespace deletes the veth ends in it, and with them their peers.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    (void)run_ip({"netns", "delete", *it});
  }
}

Status NetLab::add_host(const std::string& host) {
  if (!valid_host_name(host)) {
    return failure(std::errc::invalid_argument,
                   "cannot add host '" + host + "': 1 to 8 letters or digits");
  }
  if (hosts_.contains(host)) {
    return failure(std::errc::file_exists, "cannot add host '" + host + "': it exists");
  }
  const std::string name = std::string(kPrefix) + std::to_string(::getpid()) + "-" +
                           std::to_string(lab_number_) + "-" + host;
  if (auto st = run_ip({"netns", "add", name}); !st) return st;
  hosts_[host] = name;
  order_.push_back(name);
  // Addresses are usable at once: no duplicate address detection on any interface, including
  // the link-local ones the kernel makes when a veth comes up.
  for (const char* key : {"net.ipv6.conf.all.accept_dad", "net.ipv6.conf.default.accept_dad"}) {
    if (auto st = set_sysctl(host, key, "0"); !st) return st;
  }
  return ip(host, {"link", "set", "lo", "up"});
}

Status NetLab::link(const LinkSpec& spec) {
  const std::string a = netns(spec.host_a);
  const std::string b = netns(spec.host_b);
  if (a.empty() || b.empty()) {
    return failure(std::errc::invalid_argument,
                   "cannot link " + spec.host_a + " and " + spec.host_b + ": unknown host");
  }
  // Both ends are created inside their namespaces: the host's own namespace never sees them.
  if (auto st = ip(spec.host_a, {"link", "add", spec.if_a, "type", "veth", "peer", "name",
                                 spec.if_b, "netns", b});
      !st) {
    return st;
  }
  for (const auto& [host, iface] : {std::pair{spec.host_a, spec.if_a}, {spec.host_b, spec.if_b}}) {
    if (spec.mtu > 0) {
      if (auto st = ip(host, {"link", "set", iface, "mtu", std::to_string(spec.mtu)}); !st) {
        return st;
      }
    }
    if (auto st = ip(host, {"link", "set", iface, "up"}); !st) return st;
  }
  return Ok{};
}

Status NetLab::add_address(const std::string& host, const std::string& iface,
                           const std::string& cidr) {
  std::vector<std::string> args = {"address", "add", cidr, "dev", iface};
  if (cidr.find(':') != std::string::npos) args.push_back("nodad");
  return ip(host, args);
}

Status NetLab::add_route(const std::string& host, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"route", "add"};
  all.insert(all.end(), args.begin(), args.end());
  return ip(host, all);
}

Status NetLab::set_sysctl(const std::string& host, const std::string& key,
                          const std::string& value) {
  std::string path = "/proc/sys/" + key;
  for (std::size_t i = std::string("/proc/sys/").size(); i < path.size(); ++i) {
    if (path[i] == '.') path[i] = '/';
  }
  // A shell inside the namespace: /proc/sys/net shows the namespace of the process that opens it.
  const RunResult r =
      run(host, "/bin/sh", {"-c", "printf '%s\\n' \"$1\" > \"$2\"", "sh", value, path}, kIpTimeout);
  if (r.status.exited_with(0)) return Ok{};
  return failure(std::errc::operation_not_permitted,
                 "cannot set " + key + "=" + value + " in " + host + ": " + said(r));
}

Status NetLab::ip(const std::string& host, const std::vector<std::string>& args) {
  const std::string name = netns(host);
  if (name.empty()) return failure(std::errc::invalid_argument, "unknown host '" + host + "'");
  std::vector<std::string> all = {"-n", name};
  all.insert(all.end(), args.begin(), args.end());
  return run_ip(all);
}

std::string NetLab::netns(const std::string& host) const {
  const auto it = hosts_.find(host);
  return it == hosts_.end() ? std::string() : it->second;
}

std::vector<std::string> NetLab::namespaces() const { return order_; }

std::vector<std::string> NetLab::in_host(const std::string& host, const std::string& program,
                                         const std::vector<std::string>& args) const {
  std::vector<std::string> all = {"netns", "exec", netns(host), program};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

RunResult NetLab::run(const std::string& host, const std::string& program,
                      const std::vector<std::string>& args, milliseconds timeout) const {
  return run_program(ip_program(), in_host(host, program, args), timeout);
}

Result<std::unique_ptr<ServerProcess>> NetLab::start_server(
    const std::string& host, const std::string& program,
    const std::vector<std::string>& args) const {
  return ServerProcess::start(ip_program(), in_host(host, program, args));
}

Result<long long> NetLab::counter(const std::string& host, const std::string& name) const {
  const bool v4 = name.find(':') != std::string::npos;  // "Ip:FragCreates", /proc/net/snmp
  const RunResult r =
      run(host, "/bin/cat", {v4 ? "/proc/net/snmp" : "/proc/net/snmp6"}, kIpTimeout);
  if (!r.status.exited_with(0)) {
    return failure(std::errc::io_error, "cannot read the counters of " + host + ": " + said(r));
  }
  std::istringstream lines(r.out);
  std::string line;
  if (!v4) {
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::string key;
      long long value = 0;
      if (words >> key >> value && key == name) return value;
    }
  } else {
    // Pairs of lines: "Ip: Forwarding DefaultTTL ..." then "Ip: 1 64 ...".
    const std::string group = name.substr(0, name.find(':') + 1);
    const std::string field = name.substr(name.find(':') + 1);
    std::string header;
    while (std::getline(lines, line)) {
      if (!line.starts_with(group + " ")) continue;
      if (header.empty()) {
        header = line;
        continue;
      }
      std::istringstream keys(header);
      std::istringstream values(line);
      std::string key;
      std::string value;
      while (keys >> key && values >> value) {
        if (key == field) return std::stoll(value);
      }
      header.clear();
    }
  }
  return failure(std::errc::invalid_argument, "no counter " + name + " in " + host);
}

}  // namespace sockcalc::testing
