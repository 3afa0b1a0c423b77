// SPDX-License-Identifier: MIT
// healthcheck/conntrack.hpp -- internal to the health checker (module sockcalc_healthcheck).
// Deleting the conntrack entries of a removed endpoint, through libnetfilter_conntrack, as
// kube-proxy does: without it a client that keeps its socket (a retransmission) would stay
// NATed to the dead server until the entry times out. Any thread; each call has its handle.
#pragma once

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"

namespace sockcalc::healthcheck {

/// Deletes every UDP conntrack entry of the current network namespace whose destination was
/// NATed to `server` (its address and port), as `conntrack -D -p udp --dst-nat ADDRESS` would.
/// Flows sent to the server's own address (no DNAT) stay. Returns how many were deleted; an
/// entry that vanished meanwhile is not an error.
Result<int> delete_udp_flows_to(const Address& server);

}  // namespace sockcalc::healthcheck
