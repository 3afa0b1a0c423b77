// server/engine.hpp -- public.
// Server: owns the listening socket and serves it until asked to stop. run() belongs to one
// thread; request_stop() and request_report() may be called from any thread or a signal
// handler.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "address/address.hpp"
#include "core/result.hpp"
#include "core/waker.hpp"
#include "server/stats.hpp"
#include "socket/datagram_socket.hpp"

namespace sockcalc::server {

struct ServerOptions {
  SocketOptions socket;
  /// Log every datagram and reply (in hex, with the peer and the decoded meaning).
  bool verbose = false;
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

  DatagramSocket socket_;
  Address local_;
  ServerOptions options_;
  std::unique_ptr<Control> control_;
  Stats stats_;
  std::string owned_path_;  // Unix socket file to remove on destruction
};

}  // namespace sockcalc::server
