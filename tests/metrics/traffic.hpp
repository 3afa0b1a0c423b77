// SPDX-License-Identifier: MIT
// tests/metrics/traffic.hpp -- internal to tests/metrics.
// What the tests of the programs' --metrics share: a known mix of good and bad requests sent to
// a real server (good ones by the real client), a scrape over TCP, and the sum of a metric's
// samples read back from the text. Test thread only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "integration.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/datagrams.hpp"
#include "tcp_client.hpp"

namespace sockcalc::metrics_test {

/// What was sent: requests answered with a result, and bad ones by the error name the server's
/// counters use (protocol::name).
struct Traffic {
  std::uint64_t good = 0;
  std::map<std::string, std::uint64_t> errors;
  [[nodiscard]] std::uint64_t total() const {
    std::uint64_t n = good;
    for (const auto& [name, count] : errors) n += count;
    return n;
  }
};

/// Sends `good` requests with the client program and a few bad datagrams of each cause,
/// each answered before the next is sent; fails the test when a reply is missing.
inline Traffic send_known_traffic(const Address& server, std::uint64_t good) {
  Traffic sent;
  const std::string host = server.family() == AF_INET6 ? "::1" : "127.0.0.1";
  for (std::uint64_t i = 0; i < good; ++i) {
    // One datagram per call: a retransmission (a slow server under a loaded test run) would
    // make the server count more datagrams than were meant.
    const auto r = integration::run_client({"--timeout", "5000", "--retries", "0", "-op", "+", host,
                                            std::to_string(server.port()), std::to_string(i), "1"});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    if (r.status.exited_with(0)) ++sent.good;
  }
  std::vector<std::byte> unknown_opcode = testing::datagram_of_size(5);
  unknown_opcode[0] = std::byte{(2u << wire::kOpcodeShift) & wire::kOpcodeMask};
  const std::vector<std::pair<std::string, std::vector<std::byte>>> bad = {
      {"empty", {}},
      {"no_integer", testing::datagram_of_size(wire::kHeaderSize)},
      {"misaligned", testing::datagram_of_size(wire::kMinRequestSize + 2)},
      {"too_many", testing::datagram_of_size(wire::kMaxRequestSize + 4)},
      {"unknown_opcode", unknown_opcode},
  };
  auto socket = DatagramSocket::connect(server);
  EXPECT_TRUE(socket.ok());
  if (!socket) return sent;
  std::vector<std::byte> reply(512);
  std::uint64_t copies = 1;
  for (const auto& [name, datagram] : bad) {
    for (std::uint64_t i = 0; i < copies; ++i) {
      EXPECT_EQ(socket->send(datagram), 0);
      EXPECT_TRUE(socket->wait_readable(5000)) << name;
      if (socket->recv_from(reply, nullptr).outcome == RecvOutcome::received) ++sent.errors[name];
    }
    ++copies;  // 1 empty, 2 no_integer, ...: a mix-up of causes shows
  }
  return sent;
}

/// The body of GET /metrics from `endpoint`, or nullopt when the reply is not a 200.
inline std::optional<std::string> scrape(const Address& endpoint) {
  const std::string reply = http_exchange(endpoint, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  if (!reply.starts_with("HTTP/1.1 200 ")) return std::nullopt;
  return body_of(reply);
}

/// The sum of the samples of metric `name` whose labels include every one of `with` (as written:
/// `error="empty"`), or nullopt when there is none.
inline std::optional<double> sum_of(const std::string& text, std::string_view name,
                                    const std::vector<std::string>& with = {}) {
  std::istringstream lines(text);
  std::optional<double> sum;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with('#') || !line.starts_with(name)) continue;
    const std::string_view rest = std::string_view(line).substr(name.size());
    if (!rest.starts_with('{') && !rest.starts_with(' ')) continue;  // a longer name
    bool all = true;
    for (const std::string& label : with) all = all && rest.find(label) != std::string::npos;
    if (!all) continue;
    sum = sum.value_or(0) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

/// The metric names a text declares (its # TYPE lines).
inline std::set<std::string> families(const std::string& text) {
  std::set<std::string> names;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    names.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return names;
}

}  // namespace sockcalc::metrics_test
