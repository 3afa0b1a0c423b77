// SPDX-License-Identifier: MIT
// tools/msc/tshark_reader.cpp -- implementation of tshark_reader.hpp.
#include "tshark_reader.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <sstream>

#include "sockcalc/address/address.hpp"
#include "sockcalc/process/child.hpp"

namespace sockcalc::msc_tool {
namespace {

// The fields of one row, in this order (tab-separated, first occurrence: a datagram quoted in
// an ICMP error is not the one carried).
constexpr const char* kFields[] = {"frame.time_epoch", "ip.src",    "ipv6.src",     "udp.srcport",
                                   "ip.dst",           "ipv6.dst",  "udp.dstport",  "udp.length",
                                   "udp.payload",      "calc.type", "calc_unix.src"};
enum Column {
  kTime,
  kIp4Src,
  kIp6Src,
  kSrcPort,
  kIp4Dst,
  kIp6Dst,
  kDstPort,
  kLength,
  kPayload,
  kType,
  kUnixSrc,
  kColumns
};
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kMaxOutput = 256u << 20;     // tshark's rows for a very large capture
constexpr std::chrono::seconds kDrainPatience{5};  // for output still in the pipes

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(sep, start);
    parts.push_back(line.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// "1796184351.475311000": seconds and a fraction of up to 9 digits.
std::optional<std::chrono::system_clock::time_point> epoch(const std::string& text) {
  const std::size_t dot = text.find('.');
  const auto secs = number(std::string_view(text).substr(0, dot));
  if (!secs) return std::nullopt;
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  frac = (frac + "000000000").substr(0, 9);
  const auto nanos = number(frac);
  if (!nanos) return std::nullopt;
  const auto since = std::chrono::seconds(*secs) + std::chrono::nanoseconds(*nanos);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since));
}

// The address text the programs print for an IP address and port.
std::optional<std::string> end_text(const std::string& ip4, const std::string& ip6,
                                    std::uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (!ip4.empty()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    if (::inet_pton(AF_INET, ip4.c_str(), &sa->sin_addr) != 1) return std::nullopt;
    len = sizeof(sockaddr_in);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, ip6.c_str(), &sa->sin6_addr) != 1) return std::nullopt;
    len = sizeof(sockaddr_in6);
  }
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len).to_string();
}

std::optional<std::vector<std::byte>> from_hex(std::string text) {
  std::erase(text, ':');
  if (text.size() % 2 != 0) return std::nullopt;
  std::vector<std::byte> bytes;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + i + 2, v, 16);
    if (ec != std::errc() || ptr != text.data() + i + 2) return std::nullopt;
    bytes.push_back(std::byte(v));
  }
  return bytes;
}

Result<TsharkDatagram> parse_row(const std::string& line, const std::string& capture) {
  const std::vector<std::string> f = split(line, '\t');
  const auto bad = [&](const std::string& why) {
    return validation_error("cannot read tshark's output for " + capture + ": " + why + " in '" +
                            line + "'");
  };
  if (f.size() != kColumns) return bad("expected " + std::to_string(kColumns) + " fields");
  if (!f[kUnixSrc].empty()) {
    return validation_error(capture + " is a Unix-domain capture: convert it without --tshark");
  }
  TsharkDatagram t;
  capture::CapturedDatagram& d = t.datagram;
  const auto when = epoch(f[kTime]);
  const auto src_port = number(f[kSrcPort]);
  const auto dst_port = number(f[kDstPort]);
  const auto length = number(f[kLength]);
  const auto payload = from_hex(f[kPayload]);
  if (!when || !src_port || !dst_port || !length || !payload || *length < kUdpHeader) {
    return bad("not a UDP datagram");
  }
  d.when = *when;
  d.from_port = static_cast<std::uint16_t>(*src_port);
  d.to_port = static_cast<std::uint16_t>(*dst_port);
  const auto from = end_text(f[kIp4Src], f[kIp6Src], d.from_port);
  const auto to = end_text(f[kIp4Dst], f[kIp6Dst], d.to_port);
  if (!from || !to) return bad("no IP address");
  d.from = *from;
  d.to = *to;
  d.bytes = *payload;
  d.wire_length = *length - kUdpHeader;
  t.role = f[kType] == "1" ? msc::Role::reply : msc::Role::request;
  return t;
}

std::vector<std::string> tshark_argv(const TsharkOptions& o) {
  std::string ports;
  for (std::uint16_t p : o.ports) ports += (ports.empty() ? "" : ",") + std::to_string(p);
  std::vector<std::string> argv{o.tshark, "-n",
                                "-r",     o.capture,
                                "-X",     "lua_script:" + o.dissector,
                                "-o",     "calc.ports:" + ports,
                                "-Y",     "calc || calc_empty",
                                "-T",     "fields",
                                "-E",     "separator=/t",
                                "-E",     "occurrence=f"};
  for (const char* field : kFields) {
    argv.emplace_back("-e");
    argv.emplace_back(field);
  }
  return argv;
}

// tshark's stderr without its warning about running as root (it prints it first, always).
std::string tshark_complaint(const std::string& err) {
  std::string text = err;
  if (text.starts_with("Running as user ")) {
    const std::size_t end = text.find('\n');
    text = end == std::string::npos ? "" : text.substr(end + 1);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Result<std::vector<TsharkDatagram>> read_with_tshark(const TsharkOptions& options) {
  auto child =
      ChildProcess::start(tshark_argv(options), {.search_path = true, .output_limit = kMaxOutput});
  if (!child) return child.error();
  if (!child->wait_for_exit(options.limit)) {
    child->kill();
    return validation_error("tshark did not finish reading " + options.capture + " in " +
                            std::to_string(options.limit.count()) + " s: stopped");
  }
  child->drain(std::chrono::steady_clock::now() + kDrainPatience);
  const std::optional<ChildExit>& exit = child->exit();
  if (!exit || !exit->exited || exit->code != 0) {
    const std::string why = tshark_complaint(child->err());
    return validation_error("tshark cannot read " + options.capture +
                            (why.empty() ? std::string(": it failed") : ": " + why));
  }
  std::vector<TsharkDatagram> datagrams;
  std::istringstream rows(child->out());
  std::string line;
  while (std::getline(rows, line)) {
    if (line.empty()) continue;
    auto row = parse_row(line, options.capture);
    if (!row) return row.error();
    datagrams.push_back(std::move(*row));
  }
  return datagrams;
}

}  // namespace sockcalc::msc_tool
