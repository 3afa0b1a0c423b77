// SPDX-License-Identifier: MIT
// healthcheck/ecmp_route.hpp -- internal to the health checker (module sockcalc_healthcheck).
// EcmpRoute: an anycast prefix's multipath route in the main table, one nexthop per live
// endpoint (its address of the prefix's family), replaced through rtnetlink (libmnl) when the
// live set changes, as an anycast host withdraws and announces its route. One thread per
// object.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/healthcheck/backend.hpp"

struct mnl_socket;

namespace sockcalc::healthcheck {

/// A prefix: "fd00:5c:fe::1/128", "10.92.254.1/32" (no length: a host route).
struct Prefix {
  Address address;  // port 0
  int length = 0;
  [[nodiscard]] Family family() const;
  [[nodiscard]] std::string to_string() const;  // "fd00:5c:fe::1/128"
};

/// Parses a numeric prefix; fails on a bad address or length, or bits set past the length.
Result<Prefix> parse_prefix(std::string_view text);

class EcmpRoute final : public Backend {
 public:
  /// Opens a route netlink socket for `prefix`; fails when no endpoint has an address of its
  /// family (the route would never have a nexthop) or the socket cannot be opened.
  static Result<std::unique_ptr<EcmpRoute>> open(const Prefix& prefix,
                                                 const std::vector<Endpoint>& endpoints);
  ~EcmpRoute() override;

  [[nodiscard]] std::string describe() const override { return "route " + prefix_.to_string(); }
  /// One RTM_NEWROUTE (NLM_F_REPLACE) whose RTA_MULTIPATH holds a nexthop via each live
  /// endpoint's address of the prefix's family: the kernel swaps the route in one step. No
  /// live endpoint: RTM_DELROUTE (the prefix becomes unreachable; absent already is fine).
  Status apply(const std::vector<const Endpoint*>& live) override;

 private:
  EcmpRoute(Prefix prefix, mnl_socket* nl) : prefix_(std::move(prefix)), nl_(nl) {}
  Status talk(std::vector<char>& message, const std::string& what, bool absent_is_fine);

  Prefix prefix_;
  mnl_socket* nl_;
  unsigned sequence_ = 0;
};

}  // namespace sockcalc::healthcheck
