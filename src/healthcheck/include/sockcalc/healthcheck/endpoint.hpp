// SPDX-License-Identifier: MIT
// healthcheck/endpoint.hpp -- internal to the health checker (module sockcalc_healthcheck).
// Endpoint: one server the health checker watches, as its command line names it
// (NAME=ADDRESS[,ADDRESS]). A value type; no shared state, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"

namespace sockcalc::healthcheck {

/// Longest endpoint name: the nftables chain "ep6-NAME" stays short and readable.
inline constexpr std::size_t kMaxNameLength = 16;

struct Endpoint {
  /// "s1": the endpoint's chains in the nftables service are ep6-NAME and ep4-NAME.
  std::string name;
  /// At most one IPv6 and one IPv4 address, numeric, each with the service's port. The first
  /// one given is probed; each is the endpoint's nexthop for an ECMP route of its family, and
  /// the reply source of its conntrack entries.
  std::vector<Address> addresses;

  /// The endpoint's address of `family`, if it has one.
  [[nodiscard]] std::optional<Address> address_of(Family family) const;
  /// The address probes go to: the first one given.
  [[nodiscard]] const Address& probe_address() const { return addresses.front(); }
};

/// Parses "NAME=ADDRESS[,ADDRESS]" ("s1=fd00:5c:11::2,10.92.11.2"), every address with
/// `port`. NAME: 1 to kMaxNameLength letters, digits, '-' or '_'; ADDRESS: a numeric IPv6
/// (brackets allowed) or IPv4 address, no scope, no name to resolve; at most one of each
/// family. Fails with a message naming the bad part (a validation error, no code).
Result<Endpoint> parse_endpoint(std::string_view spec, std::uint16_t port);

/// Whether two endpoints clash: the same name, or an address in common.
bool clash(const Endpoint& a, const Endpoint& b);

}  // namespace sockcalc::healthcheck
