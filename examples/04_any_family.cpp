// SPDX-License-Identifier: MIT
// examples/04_any_family.cpp -- example program (a teaching text, examples/README.md).
// The course's point that the socket code does not depend on the address family: the same
// two functions send and receive "hello" over IPv6, IPv4 and a Unix path. Single-threaded.
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include <sockcalc/address/address.hpp>
#include <sockcalc/core/hex.hpp>
#include <sockcalc/socket/datagram_socket.hpp>

using sockcalc::Address;
using sockcalc::DatagramSocket;

constexpr int kTimeoutMs = 2000;

// The same function as 01_send_hello.cpp: nothing in it names a family.
int send_hello_to_peer(const DatagramSocket& sock, const Address& peer) {
  constexpr std::string_view kHello = "hello";
  const int err = sock.send_to(std::as_bytes(std::span(kHello)), peer);
  if (err != 0) std::printf("could not send the message, error: %s\n", std::strerror(err));
  return err;
}

// Receives one datagram on `sock` and prints it with its sender; returns 0 on success.
int receive_and_print(const DatagramSocket& sock) {
  std::byte buffer[2500];
  Address sender;
  if (!sock.wait_readable(kTimeoutMs)) {
    std::printf("nothing received within %d ms\n", kTimeoutMs);
    return 1;
  }
  const auto r = sock.recv_from(buffer, &sender);
  if (r.outcome != sockcalc::RecvOutcome::received) {
    std::printf("could not receive the message, error: %s\n", std::strerror(r.error));
    return 1;
  }
  // A Unix socket that never bound has no name: the receiver could not answer it (P-13).
  std::printf("  received %zu bytes from %s: %s\n", r.held, sender.to_string().c_str(),
              sockcalc::course_hex(std::span(buffer, r.held)).c_str());
  return 0;
}

// Binds a receiver to `text`, then sends it "hello" from a fresh socket of the same family.
int hello_over(const char* text) {
  const auto wanted = Address::parse(text);
  if (!wanted) {
    std::printf("%s\n", wanted.error().message().c_str());
    return 2;
  }
  auto receiver = DatagramSocket::bind(*wanted);
  if (!receiver) {
    std::printf("%s\n", receiver.error().message().c_str());
    return 1;
  }
  const auto bound = receiver->local_address();  // the real port when `text` asked for 0
  auto sender = DatagramSocket::open(wanted->family());
  if (!bound || !sender) {
    std::printf("cannot set up the sender for %s\n", text);
    return 1;
  }
  std::printf("%s:\n", bound->to_string().c_str());
  if (send_hello_to_peer(*sender, *bound) != 0) return 1;
  return receive_and_print(*receiver);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ADDRESS...   (e.g. '[::1]:0' 127.0.0.1:0 unix:/tmp/x.sock)\n",
                 argv[0]);
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) status |= hello_over(argv[i]);
  return status;
}
