// server/engine.cpp -- implementation of server/engine.hpp.
#include "server/engine.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <thread>
#include <utility>

#include "server/worker.hpp"

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
  std::string owned_path;  // Unix socket file to remove on destruction

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
    auto server = adopt(std::move(sockets->front()), options);
    if (!server) return server.error();
    for (std::size_t i = 1; i < sockets->size(); ++i) {
      server->state_->sockets.push_back(std::move((*sockets)[i]));
    }
    if (a.is_unix() && !a.is_abstract()) server->state_->owned_path = a.unix_path();
    server->make_workers();
    return server;
  }
  if (first_error) return *first_error;
  return Error{std::make_error_code(std::errc::invalid_argument), "no address to bind"};
}

Result<Server> Server::adopt(DatagramSocket socket, ServerOptions options) {
  auto local = socket.local_address();
  if (!local) return local.error();
  auto waker = Waker::create();
  if (!waker) return waker.error();
  auto state = std::make_unique<State>(std::move(*waker));
  state->options = std::move(options);
  state->sockets.push_back(std::move(socket));
  Server server(std::move(state));
  server.local_ = *local;
  server.make_workers();
  return server;
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}
Server::Server(Server&& o) noexcept : local_(o.local_), state_(std::move(o.state_)) {}

Server::~Server() {
  if (state_ && !state_->owned_path.empty()) ::unlink(state_->owned_path.c_str());
}

void Server::request_stop() {
  const int saved_errno = errno;  // a signal handler must leave errno as it found it
  state_->control.stop.store(true, std::memory_order_relaxed);
  state_->control.waker.notify();
  // Wakes every worker asleep in a receive on these sockets (shutdown() is async-signal-safe).
  // On an unconnected UDP socket Linux reports ENOTCONN, but shuts it down all the same.
  for (const DatagramSocket& s : state_->sockets) ::shutdown(s.fd(), SHUT_RD);
  errno = saved_errno;
}

void Server::request_report() {
  state_->control.report.store(true, std::memory_order_relaxed);
  state_->control.waker.notify();
}

Stats Server::stats() const { return state_->total(); }

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
// afterwards, so stats() can read it from any thread.
void Server::make_workers() {
  State& st = *state_;
  WorkerConfig config;
  config.mechanism = st.options.engine == Engine::simple ? IoMechanism::simple : IoMechanism::batch;
  config.batch = st.options.batch;
  config.busy_poll = st.options.busy_poll;
  config.rate_limit = st.options.rate_limit;
  config.tap = &st.options.tap;
  // State lives on the heap: it stays put when the Server object is moved.
  config.on_report = [&st] { st.log("stats " + st.total().to_string()); };
  const int count = std::max(1, st.options.threads);
  st.workers.clear();
  for (int i = 0; i < count; ++i) {
    // A Unix or adopted socket is one socket shared by every worker.
    const auto& s = st.sockets[static_cast<std::size_t>(i) % st.sockets.size()];
    st.workers.push_back(std::make_unique<Worker>(s.fd(), config, st.control));
  }
}

}  // namespace sockcalc::server
