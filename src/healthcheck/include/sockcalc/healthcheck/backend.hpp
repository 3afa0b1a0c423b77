// SPDX-License-Identifier: MIT
// healthcheck/backend.hpp -- internal to the health checker (module sockcalc_healthcheck).
// Backend: what the health checker changes when the live set of endpoints changes (the
// nftables service, an ECMP route). Used by the checker's thread only.
#pragma once

#include <string>
#include <vector>

#include "sockcalc/core/result.hpp"
#include "sockcalc/healthcheck/endpoint.hpp"

namespace sockcalc::healthcheck {

class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  /// What this backend changes, for log lines ("nftables inet sockcalc").
  [[nodiscard]] virtual std::string describe() const = 0;

  /// Makes `live` (in the order of the command line) the endpoints in use. All or nothing for
  /// each object the backend changes: on failure the object is as it was before the call.
  virtual Status apply(const std::vector<const Endpoint*>& live) = 0;

  /// Called once `gone` has left the live set and apply() succeeded: drops state that would
  /// keep sending traffic to it (conntrack entries); returns how many entries it dropped.
  /// Nothing (0) by default.
  virtual Result<int> forget(const Endpoint& gone);
};

}  // namespace sockcalc::healthcheck
