// SPDX-License-Identifier: MIT
// healthcheck/probe.hpp -- internal to the health checker (module sockcalc_healthcheck).
// One health probe: a real calc request to a server, through the library's client, and a
// check of its answer. Blocking (at most the timeout); any thread, no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sockcalc/address/address.hpp"

namespace sockcalc::healthcheck {

/// What one probe found: whether the server answered right, and in words what happened
/// ("answered 7", "no reply within 150 ms", "refused", "wrong result 8 for 3 + 4", ...).
struct ProbeOutcome {
  bool good = false;
  std::string detail;
};

/// Sends the request "a + b" (sum, 32-bit integer) to `server` from a fresh connected socket
/// (a late reply to an earlier probe can never count for this one), once, without
/// retransmission, and waits up to `timeout` for the reply. Good only for a success reply
/// carrying a + b modulo 2^32; an error reply, a malformed or wrong one, a refusal (nobody
/// listens), silence or a local failure (no socket) are bad, `detail` says which.
ProbeOutcome probe(const Address& server, std::chrono::milliseconds timeout, std::uint32_t a,
                   std::uint32_t b);

}  // namespace sockcalc::healthcheck
