// server/engine.cpp -- implementation of server/engine.hpp.
#include "server/engine.hpp"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <iostream>
#include <utility>

#include "server/handler.hpp"

namespace sockcalc::server {
namespace {

// Datagrams served per wake-up before the stop and report flags are looked at again, so that a
// flood cannot delay a stop.
constexpr int kMaxPerWake = 256;

// The receive buffer is one byte longer than the longest valid request: a datagram that fills
// it is too long, and MSG_TRUNC tells its real length.
thread_local std::array<std::byte, wire::kRecvBufferSize> rx_buffer;
// The longest reply is an error reply, which is never longer than the request (P-8).
thread_local std::array<std::byte, wire::kRecvBufferSize> tx_buffer;

}  // namespace

struct Server::Control {
  explicit Control(Waker w) : waker(std::move(w)) {}
  Waker waker;
  std::atomic<bool> stop{false};
  std::atomic<bool> report{false};
};

Result<Server> Server::bind(const std::vector<Address>& candidates, ServerOptions options) {
  auto s = DatagramSocket::bind_first(candidates, options.socket);
  if (!s) return s.error();
  auto server = adopt(std::move(*s), std::move(options));
  if (server && server->local_.is_unix() && !server->local_.is_abstract()) {
    server->owned_path_ = server->local_.unix_path();
  }
  return server;
}

Result<Server> Server::adopt(DatagramSocket socket, ServerOptions options) {
  auto local = socket.local_address();
  if (!local) return local.error();
  auto waker = Waker::create();
  if (!waker) return waker.error();
  auto control = std::make_unique<Control>(std::move(*waker));
  return Server(std::move(socket), *local, std::move(options), std::move(control));
}

Server::Server(DatagramSocket socket, Address local, ServerOptions options,
               std::unique_ptr<Control> control)
    : socket_(std::move(socket)),
      local_(std::move(local)),
      options_(std::move(options)),
      control_(std::move(control)) {
  if (options_.rate_limit > 0) limiter_.emplace(options_.rate_limit, options_.rate_limit);
}

Server::Server(Server&& o) noexcept
    : socket_(std::move(o.socket_)),
      local_(o.local_),
      options_(std::move(o.options_)),
      control_(std::move(o.control_)),
      stats_(o.stats_),
      limiter_(std::move(o.limiter_)),
      owned_path_(std::exchange(o.owned_path_, {})) {}

Server::~Server() {
  if (!owned_path_.empty()) ::unlink(owned_path_.c_str());
}

void Server::request_stop() {
  control_->stop.store(true, std::memory_order_relaxed);
  control_->waker.notify();
}

void Server::request_report() {
  control_->report.store(true, std::memory_order_relaxed);
  control_->waker.notify();
}

void Server::log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "server: " << line << '\n';
  }
}

Status Server::run() {
  std::array<pollfd, 2> fds{{{socket_.fd(), POLLIN, 0}, {control_->waker.fd(), POLLIN, 0}}};
  while (!control_->stop.load(std::memory_order_relaxed)) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "cannot poll " + local_.to_string());
    }
    if (fds[1].revents != 0) {
      control_->waker.drain();
      if (control_->report.exchange(false)) log("stats " + stats_.to_string());
    }
    if (fds[0].revents != 0) serve_ready();
  }
  return Ok{};
}

void Server::serve_ready() {
  for (int i = 0; i < kMaxPerWake; ++i) {
    Address peer;
    const RecvResult rx = socket_.recv_from(rx_buffer, &peer);
    if (rx.outcome == RecvOutcome::would_block) return;
    if (rx.outcome == RecvOutcome::failed) {
      ++stats_.recv_failed;
      return;
    }
    serve_one(rx.wire_length, rx.held, peer);
  }
}

void Server::tap(TapEvent event, const Address& peer, protocol::Bytes bytes,
                 std::size_t wire_length, protocol::Format format, int error) const {
  if (options_.tap) options_.tap(TapRecord{event, peer, bytes, wire_length, format, error});
}

void Server::serve_one(std::size_t wire_length, std::size_t held, const Address& peer) {
  ++stats_.received;
  if (wire_length > held) ++stats_.truncated;
  const protocol::Bytes request(rx_buffer.data(), held);
  tap(TapEvent::received, peer, request, wire_length);
  if (limiter_ && !limiter_->allow(peer, RateLimiter::Clock::now())) {
    ++stats_.rate_limited;
    tap(TapEvent::rate_limited, peer, request, wire_length);
    return;
  }
  if (peer.is_unnamed()) {
    ++stats_.unanswerable;
    tap(TapEvent::unanswerable, peer, request, wire_length);
    return;
  }
  const Answer a = answer(request, wire_length, tx_buffer);
  if (a.fault) {
    stats_.count_error(a.fault->error);
  } else {
    ++stats_.results;
  }
  const protocol::Bytes reply(tx_buffer.data(), a.size);
  if (const int err = socket_.send_to(reply, peer); err != 0) {
    // ENOBUFS, EAGAIN, a vanished Unix peer: the reply is lost like any datagram. Never fatal.
    ++stats_.send_failed;
    tap(TapEvent::send_failed, peer, reply, a.size, a.format, err);
    return;
  }
  ++stats_.answered;
  tap(TapEvent::sent, peer, reply, a.size, a.format);
}

}  // namespace sockcalc::server
