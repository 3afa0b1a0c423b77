// SPDX-License-Identifier: MIT
// server/engine.hpp -- public.
// Server: binds its sockets and serves them with one or more workers until asked to stop.
// run() belongs to the thread that calls it (it starts the other workers' threads);
// request_stop(), request_report() and request_reload() may be called from any thread or a signal
// handler; stats() from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/server/engine_kind.hpp"
#include "sockcalc/server/stats.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::server {

/// What happened to one datagram, as the tap sees it.
enum class TapEvent {
  received,      // a datagram arrived (bytes: what was held; wire_length: its real size)
  sent,          // a reply was handed to the kernel
  send_failed,   // the kernel refused the reply (error: the errno); it is lost
  unanswerable,  // from an unnamed Unix socket: no address to reply to (P-13)
  rate_limited,  // over the source's rate limit: dropped without a reply
};

struct TapRecord {
  TapEvent event;
  const Address& peer;
  protocol::Bytes bytes;
  std::size_t wire_length;
  protocol::Format format;  // sent: the format the request asked for
  int error;                // send_failed: the errno
  /// The server's side of the exchange on a wildcard socket: the address the request was sent
  /// to, which is also its reply's source. Null or empty on a socket bound to one address,
  /// whose address (Server::local_address()) is that side.
  const ReplySource* local;
};

struct ServerOptions {
  SocketOptions socket;
  Engine engine = Engine::batch;
  std::size_t batch = 32;
  /// Workers. Over UDP each has its own SO_REUSEPORT socket on the same address (the kernel
  /// spreads clients over them by address hash); a Unix socket is shared by all.
  int threads = 1;
  /// Workers spin on a non-blocking receive instead of sleeping: the lowest latency, at the
  /// price of one busy core per worker.
  bool busy_poll = false;
  /// Requests a second allowed per source address (token bucket, bursts of one second's worth),
  /// per worker; 0 = no limit. Datagrams over the limit are dropped without a reply, counted.
  double rate_limit = 0;
  /// Called for every datagram and reply, e.g. for -v traces or a capture file. Runs on the
  /// serving threads, concurrently when threads > 1; leave it empty on the fast path.
  std::function<void(const TapRecord&)> tap;
  /// Receives each log line (without newline). Default: stderr, prefixed "server: ".
  std::function<void(const std::string&)> log;
  /// Called by one worker, between two batches, after request_reload(): e.g. to reopen a
  /// capture file that was rotated. The other workers go on serving meanwhile.
  std::function<void()> on_reload;
};

class Server {
 public:
  /// Binds the first candidate that accepts (one socket per worker over UDP; see ServerOptions).
  /// A port already in use fails, even by a socket that allows SO_REUSEPORT.
  static Result<Server> bind(const std::vector<Address>& candidates, ServerOptions options);
  /// Serves an already bound socket (e.g. one passed by systemd); workers share it. The socket
  /// stays as the caller gave it: request_stop() wakes the workers without shutting it down,
  /// so that whoever holds another descriptor of it (a service manager) can hand it to the
  /// next server.
  static Result<Server> adopt(DatagramSocket socket, ServerOptions options);

  Server(Server&&) noexcept;
  Server& operator=(Server&&) = delete;
  ~Server();  // removes the Unix socket file this server bound, if it is still that socket

  /// Serves until request_stop(). Every datagram gets exactly one reply (P-7), except one from
  /// an unnamed Unix socket or over its source's rate limit, which is counted instead. On a
  /// wildcard address (`::`, `0.0.0.0`) each reply leaves from the address its request was
  /// sent to (IP_PKTINFO / IPV6_PKTINFO), as a client's connected socket requires.
  Status run();

  void request_stop();    // async-signal-safe
  void request_report();  // async-signal-safe: log the counters at a worker's next turn
  void request_reload();  // async-signal-safe: run options.on_reload at a worker's next turn

  [[nodiscard]] const Address& local_address() const { return local_; }
  /// The counters summed over every worker; any thread, any time.
  [[nodiscard]] Stats stats() const;
  /// Each worker's counters, in worker order (the Nth is worker N); any thread, any time.
  [[nodiscard]] std::vector<Stats> worker_stats() const;
  /// Each socket's receive side as the kernel accounts it, read now (for a scrape, not the
  /// datagram path): one socket per UDP worker, in worker order; one shared by every worker for
  /// a Unix or passed socket. Any thread, any time.
  [[nodiscard]] std::vector<Result<ReceiveMemory>> receive_memory() const;

 private:
  struct State;
  /// Whether the sockets are the server's own (bound by it) or borrowed (adopted).
  enum class Ownership { owned, borrowed };
  static Result<Server> serve(std::vector<DatagramSocket> sockets, ServerOptions options,
                              Ownership ownership);
  explicit Server(std::unique_ptr<State> state);
  void make_workers();
  Address local_;
  std::unique_ptr<State> state_;
};

}  // namespace sockcalc::server
