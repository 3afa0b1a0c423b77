// SPDX-License-Identifier: MIT
// tools/common/metrics_option.cpp -- implementation of metrics_option.hpp.
#include "metrics_option.hpp"

#include <utility>

#include "cli.hpp"
#include "log.hpp"

namespace sockcalc::cli {

std::vector<Address> metrics_address_or_die(std::string_view text, int runtime_status) {
  const std::string quoted = "invalid --metrics address '" + std::string(text) + "': ";
  if (is_unix_spec(text)) cli::usage_error(quoted + "must be ADDRESS:PORT, over TCP");
  std::string host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) usage_error(quoted + "must be [IPV6]:PORT");
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) usage_error(quoted + "must be ADDRESS:PORT");
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      usage_error(quoted + "an IPv6 address goes between brackets, as in [::1]:9100");
    }
  }
  const std::string port_text(port);
  if (!parse_port(port_text)) usage_error(quoted + "invalid port '" + port_text + "'");
  return resolve_or_die(host, &port_text, Purpose::bind, runtime_status);
}

metrics::HttpEndpoint start_metrics_or_die(const std::vector<Address>& candidates,
                                           metrics::HttpEndpoint::Body body, int failure_status) {
  auto endpoint = metrics::HttpEndpoint::start(candidates, std::move(body));
  if (!endpoint) die(endpoint.error().message(), failure_status);
  log_line(Severity::info, "metrics on " + endpoint->local_address().to_string());
  return std::move(*endpoint);
}

}  // namespace sockcalc::cli
