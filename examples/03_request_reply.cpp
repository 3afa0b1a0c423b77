// SPDX-License-Identifier: MIT
// examples/03_request_reply.cpp -- example program (a teaching text, examples/README.md).
// The course's "connect: connecting a socket to a remote address": connect, write one calc
// request (a sum, built by the library's codec), read the reply and decode it. Single-threaded.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include <sockcalc/address/address.hpp>
#include <sockcalc/core/hex.hpp>
#include <sockcalc/protocol/codec.hpp>
#include <sockcalc/socket/datagram_socket.hpp>

using sockcalc::Address;
using sockcalc::DatagramSocket;
namespace protocol = sockcalc::protocol;
namespace wire = sockcalc::wire;

// One try, no retransmission: a lost datagram means no answer (client/client.hpp retries).
constexpr int kReplyTimeoutMs = 2000;

// Sends `request` on a socket connected to `peer` and prints the reply; returns 0 on a result.
int ask_connected_peer(const Address& peer, const protocol::Request& request) {
  // connect(): send() needs no address, and only the peer's datagrams are received.
  auto sock = DatagramSocket::connect(peer);
  if (!sock) {
    std::printf("%s\n", sock.error().message().c_str());
    return 1;
  }
  std::byte out[wire::kMaxRequestSize];
  const std::size_t size = protocol::encode_request(request, out);  // network byte order
  const std::span<const std::byte> datagram(out, size);
  std::printf("sent %zu bytes: %s\n", size, sockcalc::course_hex(datagram).c_str());
  if (const int err = sock->send(datagram); err != 0) {
    std::printf("could not send the message, error: %s\n", std::strerror(err));
    return 1;
  }

  std::byte in[wire::kMaxSuccessReplySize + 64];
  if (!sock->wait_readable(kReplyTimeoutMs)) {
    std::printf("no reply within %d ms\n", kReplyTimeoutMs);
    return 1;
  }
  const auto r = sock->recv_from(in, nullptr);
  if (r.outcome != sockcalc::RecvOutcome::received) {
    // A connected UDP socket learns of an ICMP "port unreachable" here: ECONNREFUSED.
    std::printf("could not read on the socket, error: %s\n", std::strerror(r.error));
    return 1;
  }
  const std::span<const std::byte> reply_bytes(in, r.held);
  std::printf("received %zu bytes: %s\n", r.wire_length, sockcalc::course_hex(reply_bytes).c_str());
  // Check the reply before believing it (P-11).
  const auto decoded = protocol::decode_reply(reply_bytes, request.format);
  if (!decoded.ok()) {
    const std::string_view why = protocol::to_string(*decoded.error);
    std::printf("malformed reply: %.*s\n", static_cast<int>(why.size()), why.data());
    return 1;
  }
  if (!decoded.reply.success) {
    std::printf("error reply: %s\n", sockcalc::printable_or_empty(decoded.reply.reason).c_str());
    return 1;
  }
  const std::string_view op = protocol::to_string(request.op);
  std::printf("%.*s = %u\n", static_cast<int>(op.size()), op.data(), decoded.reply.value);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ADDRESS INT...   (e.g. '[::1]:10000' 1 3 5 7 9)\n", argv[0]);
    return 2;
  }
  const auto peer = Address::parse(argv[1]);
  if (!peer) {
    std::fprintf(stderr, "%s\n", peer.error().message().c_str());
    return 2;
  }
  protocol::Request request;  // a sum, the result as a 32-bit integer
  for (int i = 2; i < argc; ++i) {
    if (!request.operands.push_back(
            static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10)))) {
      std::fprintf(stderr, "at most %zu integers\n", wire::kMaxOperands);
      return 2;
    }
  }
  return ask_connected_peer(*peer, request);
}
