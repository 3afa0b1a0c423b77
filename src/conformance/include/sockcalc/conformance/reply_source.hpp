// SPDX-License-Identifier: MIT
// conformance/reply_source.hpp -- internal to src/conformance.
// The reply-source check (P-14): a request from an unconnected socket, whose reply may come from
// any address, and the comparison of that address with the one asked. The probes of the other
// checks are connected: a reply from another address never reaches them.
// Single-threaded; blocks for at most twice the timeout.
#pragma once

#include <chrono>

#include "sockcalc/address/address.hpp"
#include "sockcalc/conformance/outcome.hpp"

namespace sockcalc::conformance {

/// Asks `target` for the course's sum from an unconnected socket and judges where the reply came
/// from, into `outcome` (id, rule and title already set): fail when it is not `target`. On
/// 127.0.0.1 or ::1, where a wildcard server's reply leaves from the right address anyway, it
/// also asks 127.0.0.2 (IPv4) or ::ffff:127.0.0.2 (IPv6, dual stack); a server that does not
/// answer there cannot be tested this way: skip, with the reason. A Unix target is skipped (one
/// socket, one name). Returns whether any reply came back.
bool check_reply_source(CheckOutcome& outcome, const Address& target,
                        std::chrono::milliseconds timeout);

}  // namespace sockcalc::conformance
