// SPDX-License-Identifier: MIT
// tests/conformance/wrong_server.cpp -- test-only program: a calc server with one named
// mistake. It computes the right reply with the project's handler (protocol::answer), then applies
// the mutation --mistake names. Single-threaded; runs until SIGTERM or SIGINT.
//
//   wrong_server --mistake NAME [ADDRESS PORT | unix:PATH]     (default: ::1 0)
//
// --mistake wrong-source binds the wildcard of ADDRESS's family instead (`::` by default) and
// replies with a plain sendto(), letting routing choose the reply's source: the classic bug.
//
// It prints "server: listening on ADDRESS" on stderr, as the real server does.
#include <signal.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sockcalc/address/address.hpp"
#include "sockcalc/protocol/answer.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/protocol/wire.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace {

using namespace sockcalc;
using Bytes = std::vector<std::byte>;

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

// How often the loop looks at g_stop while no datagram comes.
constexpr int kStopCheckMs = 100;

enum class Mistake {
  none,             // the right server: a control
  little_endian,    // integer results in host (little-endian) byte order
  nul_terminated,   // string results followed by a NUL byte
  unmasked_opcode,  // opcode = byte0 >> 1, the unused bits not masked off
  no_opcode_error,  // opcodes 2..7 computed as a sum instead of an error reply
  partial_sum,      // more than 64 integers: the result over the first 64
  error_s_bit,      // error replies sent with S = 1
  long_error,       // error replies carry the whole reason, longer than the request
  silent_empty,     // no reply to an empty datagram
  leading_zeros,    // string results with a leading '0'
  saturating,       // results that overflow 32 bits saturate at 4294967295
  wrong_source,     // bound to the wildcard, replies leave from the routing table's choice
  // Not a mistake: legal, but not what our server sends (conformance warns).
  sets_unused_bits,  // every reply's unused header bits set (success 0xff, error 0x7f)
};

const std::map<std::string, Mistake>& mistakes() {
  static const std::map<std::string, Mistake> m = {
      {"none", Mistake::none},
      {"little-endian", Mistake::little_endian},
      {"nul-terminated", Mistake::nul_terminated},
      {"unmasked-opcode", Mistake::unmasked_opcode},
      {"no-opcode-error", Mistake::no_opcode_error},
      {"partial-sum", Mistake::partial_sum},
      {"error-s-bit", Mistake::error_s_bit},
      {"long-error", Mistake::long_error},
      {"silent-empty", Mistake::silent_empty},
      {"leading-zeros", Mistake::leading_zeros},
      {"saturating", Mistake::saturating},
      {"wrong-source", Mistake::wrong_source},
      {"sets-unused-bits", Mistake::sets_unused_bits},
  };
  return m;
}

Bytes answer(protocol::Bytes held, std::size_t wire_length, protocol::Answer* info) {
  std::array<std::byte, 64> out{};
  *info = protocol::answer(held, wire_length, out);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(info->size)};
}

Bytes error_reply(const protocol::RequestFault& fault, std::size_t request_length) {
  std::array<std::byte, 64> out{};
  const std::size_t n = protocol::encode_error_reply(fault, request_length, out);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

Bytes success_reply(std::uint32_t value, protocol::Format format) {
  std::array<std::byte, wire::kMaxSuccessReplySize> out{};
  const std::size_t n = protocol::encode_success_reply(value, format, out);
  return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

// The reply with the mistake applied; nullopt: no reply at all.
std::optional<Bytes> reply_for(Mistake mistake, protocol::Bytes held, std::size_t wire_length) {
  protocol::Answer a;
  Bytes reply = answer(held, wire_length, &a);
  const bool success = !a.fault;
  const auto header = held.empty() ? 0u : std::to_integer<unsigned>(held[0]);
  switch (mistake) {
    case Mistake::none:
    case Mistake::wrong_source:  // the right bytes, from the wrong address (see main)
      break;
    case Mistake::little_endian:
      if (success && a.format == protocol::Format::integer) {
        std::reverse(reply.begin() + wire::kHeaderSize, reply.end());
      }
      break;
    case Mistake::nul_terminated:
      if (success && a.format == protocol::Format::string) reply.push_back(std::byte{0});
      break;
    case Mistake::leading_zeros:
      if (success && a.format == protocol::Format::string) {
        reply.insert(reply.begin() + wire::kHeaderSize, std::byte{'0'});
      }
      break;
    case Mistake::unmasked_opcode:
      if (success && (header >> wire::kOpcodeShift) > 1) {
        return error_reply({protocol::RequestError::unknown_opcode, header >> wire::kOpcodeShift},
                           wire_length);
      }
      break;
    case Mistake::no_opcode_error:
      if (a.fault && a.fault->error == protocol::RequestError::unknown_opcode) {
        Bytes copy(held.begin(), held.end());
        copy[0] &= std::byte(static_cast<std::uint8_t>(~wire::kOpcodeMask));
        return answer(copy, wire_length, &a);
      }
      break;
    case Mistake::partial_sum:
      if (a.fault && a.fault->error == protocol::RequestError::too_many_operands) {
        return answer(held.first(wire::kMaxRequestSize), wire::kMaxRequestSize, &a);
      }
      break;
    case Mistake::error_s_bit:
      if (a.fault) reply[0] |= std::byte{wire::kStatusMask};
      break;
    case Mistake::long_error:
      if (a.fault) return error_reply(*a.fault, 64);  // 64: longer than any reason, never cut
      break;
    case Mistake::silent_empty:
      if (wire_length == 0) return std::nullopt;
      break;
    case Mistake::sets_unused_bits:
      reply[0] |= std::byte{wire::kReplyUnusedMask};
      break;
    case Mistake::saturating:
      if (success) {
        const auto d = protocol::decode_request(held, wire_length);
        std::uint64_t acc = d.request.op == protocol::Op::product ? 1 : 0;
        constexpr std::uint64_t kMax = std::numeric_limits<std::uint32_t>::max();
        for (std::uint32_t v : d.request.operands.values()) {
          acc = d.request.op == protocol::Op::product ? std::min(acc * v, kMax)
                                                      : std::min(acc + v, kMax);
        }
        return success_reply(static_cast<std::uint32_t>(acc), a.format);
      }
      break;
  }
  return reply;
}

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "wrong_server: " << message
            << "\nusage: wrong_server --mistake NAME [ADDRESS PORT | unix:PATH]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2 || args[0] != "--mistake") usage("missing --mistake NAME");
  const auto it = mistakes().find(args[1]);
  if (it == mistakes().end()) usage("unknown mistake '" + args[1] + "'");
  Address local = Address::loopback(Family::v6, 0);
  if (args.size() == 3) {
    auto a = Address::parse_unix(args[2]);
    if (!a) usage(a.error().message());
    local = *a;
  } else if (args.size() == 4) {
    auto port = parse_port(args[3]);
    if (!port) usage(port.error().message());
    auto list = Address::resolve(args[2], *port, Purpose::bind);
    if (!list) usage(list.error().message());
    local = list->front();
  } else if (args.size() != 2) {
    usage("expected ADDRESS PORT or unix:PATH");
  }
  if (it->second == Mistake::wrong_source && !local.is_unix()) {
    local = Address::any(local.family() == AF_INET ? Family::v4 : Family::v6, local.port());
  }
  auto socket = DatagramSocket::bind(local);
  if (!socket) {
    std::cerr << "wrong_server: " << socket.error().message() << '\n';
    return 1;
  }
  auto bound = socket->local_address();
  if (!bound) return 1;
  std::signal(SIGTERM, on_stop);
  std::signal(SIGINT, on_stop);
  std::cerr << "server: listening on " << bound->to_string() << std::endl;
  // The real server's buffer: one byte more than the longest valid request, MSG_TRUNC for
  // the real length (docs/PROTOCOL.md, P-6).
  std::array<std::byte, wire::kRecvBufferSize> buffer{};
  while (g_stop == 0) {
    Address peer;
    const RecvResult r = socket->recv_from(buffer, &peer);
    if (r.outcome == RecvOutcome::would_block) {
      (void)socket->wait_readable(kStopCheckMs);
      continue;
    }
    if (r.outcome != RecvOutcome::received || peer.is_unnamed()) continue;
    const auto reply = reply_for(it->second, {buffer.data(), r.held}, r.wire_length);
    if (reply) (void)socket->send_to(*reply, peer);
  }
  return 0;
}
