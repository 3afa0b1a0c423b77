// SPDX-License-Identifier: MIT
// server/stats.cpp -- implementation of server/stats.hpp.
#include "sockcalc/server/stats.hpp"

namespace sockcalc::server {

Stats& Stats::operator+=(const Stats& o) {
  received += o.received;
  answered += o.answered;
  results += o.results;
  error_replies += o.error_replies;
  for (std::size_t i = 0; i < by_error.size(); ++i) by_error[i] += o.by_error[i];
  truncated += o.truncated;
  unanswerable += o.unanswerable;
  rate_limited += o.rate_limited;
  send_failed += o.send_failed;
  recv_failed += o.recv_failed;
  return *this;
}

std::string Stats::to_string() const {
  std::string out =
      "received=" + std::to_string(received) + " answered=" + std::to_string(answered) +
      " results=" + std::to_string(results) + " errors=" + std::to_string(error_replies) + " (";
  for (protocol::RequestError e : protocol::kRequestErrors) {
    const std::size_t i = protocol::index(e);
    out += (i ? " " : "") + std::string(protocol::name(e)) + "=" + std::to_string(by_error[i]);
  }
  out +=
      ") truncated=" + std::to_string(truncated) + " unanswerable=" + std::to_string(unanswerable) +
      " rate_limited=" + std::to_string(rate_limited) +
      " send_failed=" + std::to_string(send_failed) + " recv_failed=" + std::to_string(recv_failed);
  return out;
}

}  // namespace sockcalc::server
