// SPDX-License-Identifier: MIT
// examples/01_send_hello.cpp -- example program (a teaching text, examples/README.md).
// The course's "Sending data to a peer using a socket": send the bytes 'h' 'e' 'l' 'l' 'o'
// to a peer whose address is given on the command line. Single-threaded.
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include <sockcalc/address/address.hpp>
#include <sockcalc/socket/datagram_socket.hpp>

using sockcalc::Address;
using sockcalc::DatagramSocket;

// The course's send_hello_to_peer(): sendto() takes the socket and the peer's address and
// nothing else, so the function works for any address family.
int send_hello_to_peer(const DatagramSocket& sock, const Address& peer) {
  constexpr std::string_view kHello = "hello";  // 5 bytes: no '\0' goes on the wire
  const int err = sock.send_to(std::as_bytes(std::span(kHello)), peer);
  if (err != 0) {
    std::printf("could not send the message, error: %s\n", std::strerror(err));
    return err;
  }
  std::printf("sent %zu bytes to %s\n", kHello.size(), peer.to_string().c_str());
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ADDRESS   (e.g. '[::1]:10000', 127.0.0.1:10000, unix:PATH)\n",
                 argv[0]);
    return 2;
  }
  const auto peer = Address::parse(argv[1]);  // numeric text form: no name resolution
  if (!peer) {
    std::fprintf(stderr, "%s\n", peer.error().message().c_str());
    return 2;
  }
  // socket(family, SOCK_DGRAM, 0): the family comes from the address, never hard-coded.
  auto sock = DatagramSocket::open(peer->family());
  if (!sock) {
    std::fprintf(stderr, "%s\n", sock.error().message().c_str());
    return 1;
  }
  return send_hello_to_peer(*sock, *peer) == 0 ? 0 : 1;
}
