// SPDX-License-Identifier: MIT
// server/engine.cpp -- implementation of server/engine.hpp.
#include "sockcalc/server/engine.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <optional>
#include <thread>
#include <utility>

#include "sockcalc/server/worker.hpp"
#include "sockcalc/socket/socket_file.hpp"

namespace sockcalc::server {
namespace {

// Binds `count` sockets to `local`. One socket is bound plainly; several share the port with
// SO_REUSEPORT, after a plain probe bind proved the port free: SO_REUSEPORT alone would let a
// second server join the group of a running one instead of failing.
Result<std::vector<DatagramSocket>> bind_group(const Address& local, const SocketOptions& options,
                                               int count) {
  std::vector<DatagramSocket> sockets;
  if (count <= 1 || local.is_unix()) {
    auto s = DatagramSocket::bind(local, options);
    if (!s) return s.error();
    sockets.push_back(std::move(*s));
    return sockets;
  }
  Address actual = local;
  {
    auto probe = DatagramSocket::bind(local, options);
    if (!probe) return probe.error();
    auto bound = probe->local_address();
    if (!bound) return bound.error();
    actual = *bound;  // the real port, when port 0 was asked for
  }
  SocketOptions shared = options;
  shared.reuse_port = true;
  for (int i = 0; i < count; ++i) {
    auto s = DatagramSocket::bind(actual, shared);
    if (!s) return s.error();
    sockets.push_back(std::move(*s));
  }
  return sockets;
}

}  // namespace

struct Server::State {
  explicit State(Waker w) : control(std::move(w)) {}
  ServerOptions options;
  std::vector<DatagramSocket> sockets;
  Control control;
  std::vector<std::unique_ptr<Worker>> workers;
  Ownership ownership = Ownership::owned;
  std::optional<SocketFile> socket_file;  // the Unix socket file bind() made, removed at the end

  Stats total() const {
    Stats sum;
    for (const auto& w : workers) sum += w->stats();
    return sum;
  }

  void log(const std::string& line) const {
    if (options.log) {
      options.log(line);
    } else {
      std::cerr << "server: " << line << std::endl;
    }
  }
};

Result<Server> Server::bind(const std::vector<Address>& candidates, ServerOptions options) {
  std::optional<Error> first_error;
  for (const Address& a : candidates) {
    auto sockets = bind_group(a, options.socket, options.threads);
    if (!sockets) {
      if (!first_error) first_error = sockets.error();
      continue;
    }
    // Identified right after bind, so that the file removed at the end is the one made here.
    std::optional<SocketFile> file;
    if (a.is_unix() && !a.is_abstract()) {
      if (auto made = SocketFile::identify(a.unix_path())) file = std::move(*made);
    }
    auto server = serve(std::move(*sockets), std::move(options), Ownership::owned);
    if (server) server->state_->socket_file = std::move(file);
    if (!server && file) file->remove_if_unchanged();
    return server;
  }
  if (first_error) return *first_error;
  return validation_error("no address to bind");
}

Result<Server> Server::adopt(DatagramSocket socket, ServerOptions options) {
  std::vector<DatagramSocket> sockets;
  sockets.push_back(std::move(socket));
  return serve(std::move(sockets), std::move(options), Ownership::borrowed);
}

// The one construction path: readies the sockets (destinations on a wildcard address) and
// builds the workers.
Result<Server> Server::serve(std::vector<DatagramSocket> sockets, ServerOptions options,
                             Ownership ownership) {
  auto local = sockets.front().local_address();
  if (!local) return local.error();
  if (is_wildcard(*local)) {
    for (const DatagramSocket& s : sockets) {
      if (auto st = s.receive_destinations(); !st) return st.error();
    }
  }
  auto waker = Waker::create();
  if (!waker) return waker.error();
  auto state = std::make_unique<State>(std::move(*waker));
  state->options = std::move(options);
  state->sockets = std::move(sockets);
  state->ownership = ownership;
  Server server(std::move(state));
  server.local_ = *local;
  server.make_workers();
  return server;
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}
Server::Server(Server&& o) noexcept : local_(o.local_), state_(std::move(o.state_)) {}

Server::~Server() {
  // Not a plain unlink(): the path may hold another server's socket or someone's file by now.
  if (state_ && state_->socket_file) state_->socket_file->remove_if_unchanged();
}

void Server::request_stop() {
  const int saved_errno = errno;  // a signal handler must leave errno as it found it
  state_->control.stop.store(true, std::memory_order_relaxed);
  state_->control.waker.notify();
  // Wakes every worker asleep in a receive on these sockets (shutdown() is async-signal-safe).
  // On an unconnected UDP socket Linux reports ENOTCONN, but shuts it down all the same. Never
  // on a socket another process holds too (socket activation): shut down, it would stay
  // readable for ever, and the next server started on it would spin. Those workers sleep in
  // poll() on the waker instead.
  if (state_->ownership == Ownership::owned) {
    for (const DatagramSocket& s : state_->sockets) s.shutdown_receives();
  }
  errno = saved_errno;
}

void Server::request_report() {
  state_->control.report.store(true, std::memory_order_relaxed);
  state_->control.waker.notify();
}

void Server::request_reload() {
  state_->control.reload.store(true, std::memory_order_relaxed);
  state_->control.waker.notify();
}

Stats Server::stats() const { return state_->total(); }

std::vector<Stats> Server::worker_stats() const {
  std::vector<Stats> each;
  each.reserve(state_->workers.size());
  for (const auto& w : state_->workers) each.push_back(w->stats());
  return each;
}

std::vector<Result<ReceiveMemory>> Server::receive_memory() const {
  std::vector<Result<ReceiveMemory>> each;
  each.reserve(state_->sockets.size());
  for (const DatagramSocket& s : state_->sockets) each.push_back(s.receive_memory());
  return each;
}

Status Server::run() {
  State& st = *state_;
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < st.workers.size(); ++i) {
    threads.emplace_back([w = st.workers[i].get()] { w->run(); });
  }
  st.workers.front()->run();
  for (auto& t : threads) t.join();
  return Ok{};
}

// Builds the workers once, before anyone may call run() or stats(): the list never changes
// afterwards, so stats() can read it from any thread. Needs local_.
void Server::make_workers() {
  State& st = *state_;
  WorkerConfig config{.options = st.options};
  if (st.options.busy_poll) {
    config.idle = IdleWait::spin;
  } else {
    config.idle = st.ownership == Ownership::owned ? IdleWait::in_receive : IdleWait::in_poll;
  }
  if (config.idle == IdleWait::in_receive) {
    // Before any worker runs: the mode is the socket's, read by each worker sharing it. A socket
    // that refuses stays non-blocking, and its workers sleep in poll() instead.
    for (DatagramSocket& s : st.sockets) (void)s.block_receives(kReportTick);
  }
  config.reply_from = is_wildcard(local_) ? ReplyFrom::destination : ReplyFrom::bound_address;
  // State lives on the heap: it stays put when the Server object is moved.
  config.on_report = [&st] { st.log("stats " + st.total().to_string()); };
  config.log = [&st](const std::string& line) { st.log(line); };
  const int count = std::max(1, st.options.threads);
  st.workers.clear();
  for (int i = 0; i < count; ++i) {
    // A Unix or adopted socket is one socket shared by every worker.
    const auto& s = st.sockets[static_cast<std::size_t>(i) % st.sockets.size()];
    st.workers.push_back(std::make_unique<Worker>(s, config, st.control));
  }
}

}  // namespace sockcalc::server
