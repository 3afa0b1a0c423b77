// SPDX-License-Identifier: MIT
// healthcheck/endpoint.cpp -- internal. Parsing of an endpoint's command-line form.
// Pure functions; any thread.
#include "sockcalc/healthcheck/endpoint.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace sockcalc::healthcheck {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

Family family_of(const Address& a) { return a.family() == AF_INET6 ? Family::v6 : Family::v4; }

// A numeric IPv4 or IPv6 address (no scope, no name), with `port`.
Result<Address> parse_ip(std::string_view text, std::uint16_t port) {
  std::string host(text);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = v6;
    sa.sin6_port = htons(port);
    if (IN6_IS_ADDR_LINKLOCAL(&v6) || IN6_IS_ADDR_UNSPECIFIED(&v6)) {
      return validation_error("invalid address '" + std::string(text) +
                              "': must be a global, ULA or loopback address");
    }
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = v4;
    sa.sin_port = htons(port);
    if (v4.s_addr == htonl(INADDR_ANY)) {
      return validation_error("invalid address '" + std::string(text) +
                              "': the wildcard is no server");
    }
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  return validation_error("invalid address '" + std::string(text) +
                          "': must be a numeric IPv6 or IPv4 address");
}

}  // namespace

std::optional<Address> Endpoint::address_of(Family family) const {
  for (const Address& a : addresses) {
    if (family_of(a) == family) return a;
  }
  return std::nullopt;
}

Result<Endpoint> parse_endpoint(std::string_view spec, std::uint16_t port) {
  const std::string quoted = "'" + std::string(spec) + "'";
  const std::size_t eq = spec.find('=');
  if (eq == std::string_view::npos) {
    return validation_error("invalid endpoint " + quoted + ": must be NAME=ADDRESS[,ADDRESS]");
  }
  Endpoint e;
  e.name = std::string(spec.substr(0, eq));
  if (e.name.empty() || e.name.size() > kMaxNameLength ||
      !std::all_of(e.name.begin(), e.name.end(), name_char)) {
    return validation_error("invalid endpoint name '" + e.name +
                            "': must be 1 to 16 letters, digits, '-' or '_'");
  }
  std::string_view rest = spec.substr(eq + 1);
  while (true) {
    const std::size_t comma = std::min(rest.find(','), rest.size());
    auto address = parse_ip(rest.substr(0, comma), port);
    if (!address) return address.error();
    if (e.address_of(family_of(*address))) {
      return validation_error("invalid endpoint " + quoted +
                              ": at most one address of each family");
    }
    e.addresses.push_back(*address);
    if (comma == rest.size()) break;
    rest.remove_prefix(comma + 1);
  }
  return e;
}

bool clash(const Endpoint& a, const Endpoint& b) {
  if (a.name == b.name) return true;
  for (const Address& x : a.addresses) {
    if (std::find(b.addresses.begin(), b.addresses.end(), x) != b.addresses.end()) return true;
  }
  return false;
}

}  // namespace sockcalc::healthcheck
