// server/engine.hpp -- public.
// Server: owns the listening socket and serves it until asked to stop. run() belongs to one
// thread; request_stop() and request_report() may be called from any thread or a signal
// handler.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "address/address.hpp"
#include "core/result.hpp"
#include "core/waker.hpp"
#include "protocol/codec.hpp"
#include "server/rate_limiter.hpp"
#include "server/stats.hpp"
#include "socket/datagram_socket.hpp"

namespace sockcalc::server {

/// What happened to one datagram, as the tap sees it.
enum class TapEvent {
  received,      // a datagram arrived (bytes: what was held; wire_length: its real size)
  sent,          // a reply was handed to the kernel
  send_failed,   // the kernel refused the reply (error: the errno); it is lost
  unanswerable,  // from an unnamed Unix socket: no address to reply to
  rate_limited,  // over the source's --rate-limit: dropped without a reply
};

struct TapRecord {
  TapEvent event;
  const Address& peer;
  protocol::Bytes bytes;
  std::size_t wire_length;
  protocol::Format format;  // sent: the format the request asked for
  int error;                // send_failed: the errno
};

struct ServerOptions {
  SocketOptions socket;
  /// Requests a second allowed per source address (token bucket, bursts of one second's worth);
  /// 0 = no limit. Datagrams over the limit are dropped without a reply and counted.
  double rate_limit = 0;
  /// Called for every datagram and reply, e.g. for -v traces or a capture file. Runs on the
  /// serving thread; leave it empty on the fast path.
  std::function<void(const TapRecord&)> tap;
  /// Receives each log line (without newline). Default: stderr, prefixed "server: ".
  std::function<void(const std::string&)> log;
};

class Server {
 public:
  /// Binds the first candidate that accepts (see DatagramSocket::bind_first).
  static Result<Server> bind(const std::vector<Address>& candidates, ServerOptions options);
  /// Serves an already bound socket (e.g. one passed by systemd).
  static Result<Server> adopt(DatagramSocket socket, ServerOptions options);

  Server(Server&&) noexcept;
  Server& operator=(Server&&) = delete;
  ~Server();  // removes the Unix socket file this server bound, if any

  /// Serves until request_stop(). Every datagram gets exactly one reply (P-7), except one from
  /// an unnamed Unix socket, which cannot be answered and is counted.
  Status run();

  void request_stop();    // async-signal-safe
  void request_report();  // async-signal-safe: log the counters at the loop's next turn

  [[nodiscard]] const Address& local_address() const { return local_; }
  /// The counters; call from run()'s thread or after run() returned.
  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  struct Control;
  Server(DatagramSocket socket, Address local, ServerOptions options,
         std::unique_ptr<Control> control);
  void serve_ready();
  void serve_one(std::size_t wire_length, std::size_t held, const Address& peer);
  void log(const std::string& line) const;
  void tap(TapEvent event, const Address& peer, protocol::Bytes bytes, std::size_t wire_length,
           protocol::Format format = protocol::Format::integer, int error = 0) const;

  DatagramSocket socket_;
  Address local_;
  ServerOptions options_;
  std::unique_ptr<Control> control_;
  Stats stats_;
  std::optional<RateLimiter> limiter_;
  std::string owned_path_;  // Unix socket file to remove on destruction
};

}  // namespace sockcalc::server
