// SPDX-License-Identifier: MIT
// tests/loadgen/fake_peer.cpp -- implementation of tests/loadgen/fake_peer.hpp.
#include "fake_peer.hpp"

#include <array>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc::loadgen_test {
namespace {

using Clock = std::chrono::steady_clock;

// The longest a fake serves, whatever the test does: every loop in a test is bounded.
constexpr auto kMaxLifetime = std::chrono::seconds(60);
constexpr int kPollMs = 2;

struct Pending {
  Clock::time_point due;
  Address peer;
  std::array<std::byte, wire::kMaxSuccessReplySize> reply{};
  std::size_t size = 0;
};

}  // namespace

struct FakePeer::Impl {
  DatagramSocket socket;
  Policy policy;
  std::chrono::milliseconds delay;
};

FakePeer::FakePeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<FakePeer> FakePeer::start(Policy policy, std::chrono::milliseconds delay) {
  auto socket = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  if (!socket) return nullptr;
  auto local = socket->local_address();
  if (!local) return nullptr;
  auto impl = std::make_unique<Impl>(Impl{std::move(*socket), std::move(policy), delay});
  std::unique_ptr<FakePeer> peer(new FakePeer(std::move(impl)));
  peer->port_ = local->port();
  peer->thread_ = std::thread([p = peer.get()] { p->serve(); });
  return peer;
}

FakePeer::~FakePeer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void FakePeer::serve() {
  const auto end = Clock::now() + kMaxLifetime;
  std::vector<Pending> pending;
  std::array<std::byte, wire::kRecvBufferSize> buffer{};
  while (!stop_.load() && Clock::now() < end) {
    const auto now = Clock::now();
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->due <= now) {
        (void)impl_->socket.send_to({it->reply.data(), it->size}, it->peer);
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (!impl_->socket.wait_readable(kPollMs)) continue;
    Address peer;
    const auto r = impl_->socket.recv_from(buffer, &peer);
    if (r.outcome != RecvOutcome::received) continue;
    const std::uint64_t n = received_.fetch_add(1);
    const auto decoded = protocol::decode_request({buffer.data(), r.held}, r.wire_length);
    Pending p;
    p.peer = peer;
    if (!decoded.ok()) {
      std::array<std::byte, wire::kRecvBufferSize> error{};
      const auto size = protocol::encode_error_reply(*decoded.fault, r.wire_length, error);
      (void)impl_->socket.send_to({error.data(), size}, peer);
      continue;
    }
    const auto& req = decoded.request;
    std::uint32_t value = protocol::compute(req.op, req.operands.values());
    const PeerAction action = impl_->policy(n);
    if (action == PeerAction::drop) continue;
    if (action == PeerAction::plus_one) ++value;
    p.size = protocol::encode_success_reply(value, req.format, p.reply);
    if (action == PeerAction::late) {
      p.due = Clock::now() + impl_->delay;
      pending.push_back(p);
    } else {
      (void)impl_->socket.send_to({p.reply.data(), p.size}, peer);
    }
  }
}

}  // namespace sockcalc::loadgen_test
