// SPDX-License-Identifier: MIT
// tests/environment/environment.cpp -- implementation of environment.hpp.
// Test thread only.
#include "environment.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include "sockcalc/capture/pcap_writer.hpp"

namespace sockcalc::environment {
namespace {

constexpr milliseconds kPollSlice{5};

std::vector<std::string> shell_args(std::string_view line, const std::string& program,
                                    const std::vector<std::string>& args) {
  std::vector<std::string> v = {"-c", std::string(line), program};
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

// The inodes of the sockets among the fds of `pid` ("socket:[12345]").
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> inodes;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return inodes;
  while (const dirent* e = ::readdir(d)) {
    char target[64] = {};
    const std::string link = dir + "/" + e->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    const std::string_view t(target, n > 0 ? static_cast<std::size_t>(n) : 0);
    if (t.starts_with("socket:[") && t.ends_with("]")) inodes.emplace(t.substr(8, t.size() - 9));
  }
  ::closedir(d);
  return inodes;
}

}  // namespace

Result<std::unique_ptr<Process>> start_via_shell(std::string_view line, const std::string& program,
                                                 const std::vector<std::string>& args) {
  return Process::start("/bin/sh", shell_args(line, program, args));
}

RunResult run_via_shell(std::string_view line, const std::string& program,
                        const std::vector<std::string>& args, milliseconds timeout) {
  return testing::run_program("/bin/sh", shell_args(line, program, args), timeout);
}

std::vector<std::uint16_t> listening_udp_ports(pid_t pid) {
  const std::set<std::string> inodes = socket_inodes(pid);
  std::vector<std::uint16_t> ports;
  for (const char* table : {"udp", "udp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // the column names
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      std::istringstream fields(line);
      std::string sl, local, remote, st, queues, timer, retransmits, uid, timeout, inode;
      fields >> sl >> local >> remote >> st >> queues >> timer >> retransmits >> uid >> timeout >>
          inode;
      if (!inodes.contains(inode) || !remote.ends_with(":0000")) continue;
      const auto colon = local.rfind(':');
      ports.push_back(static_cast<std::uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16)));
    }
  }
  return ports;
}

bool wait_for_path(const std::string& path, Process& p, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::access(path.c_str(), F_OK) != 0) {
    if (std::chrono::steady_clock::now() >= deadline || p.wait_for_exit(milliseconds(0))) {
      return ::access(path.c_str(), F_OK) == 0;
    }
    std::this_thread::sleep_for(kPollSlice);
  }
  return true;
}

std::optional<std::size_t> pcap_records(const std::string& path, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::uint32_t magic = 0;
  if (bytes.size() < capture::kFileHeaderSize) {
    why = "a file of " + std::to_string(bytes.size()) + " bytes has no pcap header";
    return std::nullopt;
  }
  std::memcpy(&magic, bytes.data(), sizeof magic);
  if (magic != capture::kPcapMagic) {
    why = "no pcap magic number";
    return std::nullopt;
  }
  std::size_t at = capture::kFileHeaderSize;
  std::size_t records = 0;
  constexpr std::size_t kIncludedLengthOffset = 8;  // after ts_sec, ts_usec
  while (at < bytes.size()) {
    std::uint32_t included = 0;
    if (bytes.size() - at >= capture::kRecordHeaderSize) {
      std::memcpy(&included, bytes.data() + at + kIncludedLengthOffset, sizeof included);
    }
    if (bytes.size() - at < capture::kRecordHeaderSize + included) {
      constexpr std::size_t kShown = 200;  // of the bytes that do not fit: enough to tell what
      why = "record " + std::to_string(records + 1) + " at byte " + std::to_string(at) +
            " runs past the end of the file (" + std::to_string(bytes.size()) +
            " bytes); it starts with: " + bytes.substr(at, kShown);
      return std::nullopt;
    }
    at += capture::kRecordHeaderSize + included;
    ++records;
  }
  return records;
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace sockcalc::environment
