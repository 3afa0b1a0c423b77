// SPDX-License-Identifier: MIT
// examples/02_print_datagrams.cpp -- example program (a teaching text, examples/README.md).
// The course's "Receiving data from a peer using a socket": bind to an address, then print
// each datagram in hex with the address of its sender (recvfrom). Single-threaded.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sockcalc/address/address.hpp>
#include <sockcalc/core/hex.hpp>
#include <sockcalc/socket/datagram_socket.hpp>

using sockcalc::Address;
using sockcalc::DatagramSocket;
using sockcalc::RecvOutcome;

// The course's MAX_MESSAGE_SIZE: larger than any datagram this example expects.
constexpr std::size_t kMaxMessageSize = 2500;

// Waits up to `timeout_ms` for one datagram and prints it; returns false when none came.
bool print_one_datagram(const DatagramSocket& sock, int timeout_ms) {
  std::vector<std::byte> buffer(kMaxMessageSize);
  Address peer;  // recvfrom() fills it in and tells its real length
  sockcalc::RecvResult r;
  do {  // a wake-up with nothing to read (would_block) waits again
    if (!sock.wait_readable(timeout_ms)) return false;
    r = sock.recv_from(buffer, &peer);
  } while (r.outcome == RecvOutcome::would_block);
  if (r.outcome == RecvOutcome::failed) {
    std::printf("could not receive the message, error: %s\n", std::strerror(r.error));
    return false;
  }
  const std::span<const std::byte> bytes(buffer.data(), r.held);
  std::printf("received %zu bytes from %s (a %u-byte address):\n", r.wire_length,
              peer.to_string().c_str(), static_cast<unsigned>(peer.length()));
  // Never assume a string: print every byte, then the text only when all of it is printable.
  std::printf("%s", sockcalc::course_hex(bytes).c_str());
  if (const std::string text = sockcalc::printable_or_empty(bytes); !text.empty()) {
    std::printf(" ('%s')", text.c_str());
  }
  std::printf("\n");
  if (r.truncated()) std::printf("(cut to the first %zu bytes)\n", r.held);
  std::fflush(stdout);  // one datagram, one flush: a reader sees it at once
  return true;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr,
                 "usage: %s ADDRESS [COUNT [TIMEOUT_MS]]   (e.g. '[::1]:0', unix:PATH)\n"
                 "  prints COUNT datagrams (default 1); gives up after TIMEOUT_MS (default 10000)"
                 " without one\n",
                 argv[0]);
    return 2;
  }
  const auto local = Address::parse(argv[1]);
  if (!local) {
    std::fprintf(stderr, "%s\n", local.error().message().c_str());
    return 2;
  }
  const int count = argc > 2 ? std::atoi(argv[2]) : 1;
  const int timeout_ms = argc > 3 ? std::atoi(argv[3]) : 10000;

  // socket() + bind(): our address, which the peers must know to reach us.
  auto sock = DatagramSocket::bind(*local);
  if (!sock) {
    std::fprintf(stderr, "%s\n", sock.error().message().c_str());
    return 1;
  }
  // With port 0 the system chose one: getsockname() tells which.
  const auto bound = sock->local_address();
  std::fprintf(stderr, "listening on %s\n", bound ? bound->to_string().c_str() : argv[1]);

  for (int i = 0; i < count; ++i) {
    if (!print_one_datagram(*sock, timeout_ms)) {
      std::fprintf(stderr, "no datagram within %d ms\n", timeout_ms);
      return 1;
    }
  }
  return 0;
}
