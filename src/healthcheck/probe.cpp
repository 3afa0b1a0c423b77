// SPDX-License-Identifier: MIT
// healthcheck/probe.cpp -- internal. One probe through client::Client.
// Any thread; each call owns its socket.
#include "sockcalc/healthcheck/probe.hpp"

#include "sockcalc/client/client.hpp"
#include "sockcalc/protocol/codec.hpp"

namespace sockcalc::healthcheck {

ProbeOutcome probe(const Address& server, std::chrono::milliseconds timeout, std::uint32_t a,
                   std::uint32_t b) {
  auto client = client::Client::connect(server);
  if (!client) return {false, client.error().message()};
  protocol::Request request;
  request.op = protocol::Op::sum;
  request.format = protocol::Format::integer;
  request.operands.push_back(a);
  request.operands.push_back(b);
  client::CallOptions options;
  options.timeout = timeout;
  options.max_timeout = timeout;
  options.retries = 0;  // the checker's next probe is the retransmission
  auto result = client->call(request, options);
  if (!result) return {false, result.error().message()};
  const std::uint32_t expected = a + b;  // wraps modulo 2^32, as the protocol's sum does
  switch (result->status) {
    case client::CallStatus::success:
      if (result->value == expected) return {true, "answered " + std::to_string(expected)};
      return {false, "wrong result " + std::to_string(result->value) + " for " + std::to_string(a) +
                         " + " + std::to_string(b)};
    case client::CallStatus::error_reply:
      return {false, "error reply"};
    case client::CallStatus::malformed:
      return {false, "malformed reply: " + std::string(protocol::to_string(result->malformed))};
    case client::CallStatus::refused:
      return {false, "refused (nobody listens)"};
    case client::CallStatus::no_reply:
      break;
  }
  return {false, "no reply within " + std::to_string(timeout.count()) + " ms"};
}

}  // namespace sockcalc::healthcheck
