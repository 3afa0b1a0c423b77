// SPDX-License-Identifier: MIT
// client/client.cpp -- implementation of client/client.hpp.
#include "sockcalc/client/client.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>

#include "sockcalc/core/deadline.hpp"

namespace sockcalc::client {
namespace {

using Clock = std::chrono::steady_clock;

// Large enough for any reply a broken server may send (a UDP datagram is at most 64 KiB), so
// that an oversized reply is judged on all of its bytes.
constexpr std::size_t kReplyBufferSize = 65536;

std::chrono::milliseconds next_wait(std::chrono::milliseconds wait, const CallOptions& options) {
  const auto grown = static_cast<std::chrono::milliseconds::rep>(static_cast<double>(wait.count()) *
                                                                 options.backoff);
  return std::min(std::chrono::milliseconds(grown), std::max(options.max_timeout, wait));
}

bool is_refusal(int err) { return err == ECONNREFUSED || err == ENOENT; }

// How often a send interrupted by a signal is tried again before it counts as lost.
constexpr int kMaxInterruptedSends = 3;

// A send failure that loses the datagram and no more (ENOBUFS, EAGAIN, EINTR again and again):
// the try's timeout covers it.
bool is_transient(int err) { return err == ENOBUFS || err == EAGAIN || err == EINTR; }

// How the wait for one try's reply ended: a reply (its size), a refusal (ICMP port unreachable,
// or no socket file), or none (timed out, or lost: send again).
struct TryEnd {
  enum Kind { answered, refused, none } kind = none;
  std::size_t held = 0;
};

// Waits until `deadline` for the reply to one try, read into `in`.
Result<TryEnd> await_reply(const DatagramSocket& socket, const Address& server,
                           Clock::time_point deadline, std::span<std::byte> in) {
  for (int left = remaining_ms(deadline); left > 0; left = remaining_ms(deadline)) {
    const WaitResult w = socket.wait(left);
    if (w.outcome == WaitOutcome::failed) {
      // Not a timeout: poll() would fail again at once, and the loop would spin to the deadline.
      return errno_error(w.error, "cannot wait for a reply from " + server.to_string());
    }
    if (w.outcome != WaitOutcome::readable) continue;  // EINTR, timeout: the deadline decides
    const RecvResult rx = socket.recv_from(in, nullptr);
    if (rx.outcome == RecvOutcome::would_block) continue;
    if (rx.outcome == RecvOutcome::received) return TryEnd{TryEnd::answered, rx.held};
    if (is_refusal(rx.error)) return TryEnd{TryEnd::refused};
    // A router dropped the request as larger than its next link and said so (ICMP
    // "fragmentation needed", reported on a connected IPv4 socket). The kernel has learned the
    // path's MTU and fragments the next send: the request is lost, send it again now.
    if (rx.error == EMSGSIZE) return TryEnd{TryEnd::none};
    return errno_error(rx.error, "cannot receive from " + server.to_string());
  }
  return TryEnd{TryEnd::none};
}

}  // namespace

Result<Client> Client::connect(const Address& server) {
  auto s = DatagramSocket::connect(server);
  if (!s) return s.error();
  return Client(std::move(*s), server);
}

int Client::send_once(protocol::Bytes datagram) const {
  int err = socket_.send(datagram);
  for (int i = 0; err == EINTR && i < kMaxInterruptedSends; ++i) err = socket_.send(datagram);
  return err;
}

CallResult Client::classify(protocol::Bytes datagram, protocol::Format expected) const {
  CallResult r;
  r.peer = server_;
  r.reply.assign(datagram.begin(), datagram.end());
  const auto decoded = protocol::decode_reply(datagram, expected);
  if (!decoded.ok()) {
    r.status = CallStatus::malformed;
    r.malformed = *decoded.error;
  } else if (!decoded.reply.success) {
    r.status = CallStatus::error_reply;
    for (std::byte b : decoded.reply.reason) r.reason.push_back(static_cast<char>(b));
  } else {
    r.status = CallStatus::success;
    r.value = decoded.reply.value;
  }
  return r;
}

Result<CallResult> Client::call(const protocol::Request& request, const CallOptions& options) {
  std::array<std::byte, wire::kMaxRequestSize> out{};
  const std::size_t size = protocol::encode_request(request, out);
  if (size == 0) {
    return validation_error("cannot encode a request with no integer");
  }
  const protocol::Bytes datagram(out.data(), size);
  std::vector<std::byte> in(kReplyBufferSize);
  // The socket's own address, for the trace only (autobound at connect()).
  Address local;
  if (options.trace) {
    if (auto a = socket_.local_address()) local = *a;
  }
  auto wait = options.timeout;
  CallResult result;
  result.peer = server_;
  for (int attempt = 0; attempt <= options.retries; ++attempt, wait = next_wait(wait, options)) {
    const int err = send_once(datagram);
    if (err != 0 && !is_transient(err)) {
      if (!is_refusal(err)) return errno_error(err, "cannot send to " + server_.to_string());
      result.status = CallStatus::refused;
      return result;
    }
    if (err == 0 && options.trace) options.trace(Direction::sent, local, server_, datagram);
    ++result.tries;
    const auto end = await_reply(socket_, server_, Clock::now() + wait, in);
    if (!end) return end.error();
    if (end->kind == TryEnd::refused) {
      result.status = CallStatus::refused;
      return result;
    }
    if (end->kind == TryEnd::answered) {
      const protocol::Bytes reply(in.data(), end->held);
      if (options.trace) options.trace(Direction::received, local, server_, reply);
      CallResult done = classify(reply, request.format);
      done.tries = result.tries;
      return done;
    }
  }
  result.status = CallStatus::no_reply;
  return result;
}

Result<CallResult> call_first(const std::vector<Address>& candidates,
                              const protocol::Request& request, const CallOptions& options) {
  std::optional<Result<CallResult>> last;
  for (const Address& server : candidates) {
    auto client = Client::connect(server);
    if (!client) {
      if (!is_refusal(client.error().code.value())) return client.error();
      CallResult refused;  // a Unix path with no socket, or no listener behind it
      refused.status = CallStatus::refused;
      refused.peer = server;
      last.emplace(std::move(refused));
      continue;
    }
    last.emplace(client->call(request, options));
    if (!last->ok() || (*last)->status != CallStatus::refused) break;
  }
  if (!last) return validation_error("no address to call");
  return std::move(*last);
}

}  // namespace sockcalc::client
