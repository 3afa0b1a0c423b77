// SPDX-License-Identifier: MIT
// metrics/http_endpoint.hpp -- internal to the programs (library sockcalc_metrics, not installed).
// HttpEndpoint: a small HTTP/1.x server for Prometheus' scrapes: `GET /metrics` (and HEAD)
// answers the text a callback produces at request time; anything else gets its status code.
// It serves on its own thread, started by start() and joined by stop() or the destructor; the
// callback runs on that thread. start(), stop() and local_address() belong to the owner's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"

namespace sockcalc::metrics {

/// What one hostile or slow client may cost. Defaults fit a scraper: Prometheus sends ~250
/// bytes of request, reads at once, and opens one connection per scrape.
struct EndpointLimits {
  /// Request line plus headers. Longer: 431 and the connection closed.
  std::size_t max_request_bytes = 8192;
  /// A connection's whole life, from accept to the last byte of the reply: a client that
  /// sends nothing, or never reads, is closed then (a slowloris costs one slot for this long).
  std::chrono::milliseconds deadline{5000};
  /// Connections served at once. A new one past the limit closes the oldest: the one most
  /// likely to be stuck, since a scrape takes milliseconds.
  std::size_t max_connections = 16;
};

/// The content type of Prometheus' text format, version 0.0.4.
inline constexpr const char* kTextFormat = "text/plain; version=0.0.4; charset=utf-8";

class HttpEndpoint {
 public:
  /// The body of a `GET /metrics` reply, made when the request arrives (on the endpoint's
  /// thread). An exception from it becomes a 500 reply.
  using Body = std::function<std::string()>;

  /// Listens on the first of `candidates` that binds (TCP, IPv6 dual stack on `::`, port 0: a
  /// free port) and starts serving on a thread of its own. Fails with the first bind error
  /// ("cannot bind TCP [::1]:9100: address already in use"), or when the thread cannot start.
  static Result<HttpEndpoint> start(const std::vector<Address>& candidates, Body body,
                                    const EndpointLimits& limits = {});

  HttpEndpoint(HttpEndpoint&&) noexcept;
  HttpEndpoint& operator=(HttpEndpoint&&) noexcept;
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;
  ~HttpEndpoint();  // stop()

  /// The address it listens on, with the real port.
  [[nodiscard]] const Address& local_address() const;

  /// Wakes the thread, which closes every connection and the listening socket, and joins it.
  /// Idempotent; never throws.
  void stop();

 private:
  struct State;
  explicit HttpEndpoint(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// The reply to one complete request head (request line and headers, up to the empty line),
/// as written on the wire: status line, headers (Content-Length, Connection: close), body.
/// `body` is called only for a GET or HEAD of /metrics. Exposed for tests.
std::string respond(std::string_view head, const HttpEndpoint::Body& body);

}  // namespace sockcalc::metrics
