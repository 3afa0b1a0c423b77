// SPDX-License-Identifier: MIT
// tools/common/metrics_option.hpp -- internal to tools/.
// The --metrics ENDPOINT (ADDRESS:PORT) option of server, loadgen and linksim: its parsing, and the
// start of the Prometheus endpoint (src/metrics) with its start line "metrics on ADDRESS". Main
// thread; functions named *_or_die exit the process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/metrics/http_endpoint.hpp"

namespace sockcalc::cli {

/// Where --metrics asks to listen, from `text`: `[IPV6]:PORT` (brackets required around an IPv6
/// address, a scope allowed), `IPV4:PORT`, `NAME:PORT`, `:PORT` (every address). A usage error
/// (exit 2) names what is wrong; a resolver that cannot answer now exits `runtime_status`.
std::vector<Address> metrics_address_or_die(std::string_view text, int runtime_status);

/// Listens on the first of `candidates` that binds and serves `body` on its own thread, then
/// logs "metrics on ADDRESS" (info) with the real port. A bind failure (a port in use) exits
/// `failure_status` with the reason, as the program's own bind failures do.
metrics::HttpEndpoint start_metrics_or_die(const std::vector<Address>& candidates,
                                           metrics::HttpEndpoint::Body body, int failure_status);

}  // namespace sockcalc::cli
