// SPDX-License-Identifier: MIT
// tests/support/datagrams.cpp -- implementation of tests/support/datagrams.hpp.
#include "support/datagrams.hpp"

#include "sockcalc/protocol/wire.hpp"

namespace sockcalc::testing {

Datagram encode(const protocol::Request& request) { return protocol::encoded_request(request); }

Datagram encode_success(std::uint32_t value, protocol::Format format) {
  return protocol::encoded_success_reply(value, format);
}

Datagram encode_error(const protocol::RequestFault& fault, std::size_t request_length) {
  return protocol::encoded_error_reply(fault, request_length);
}

Datagram datagram_of_size(std::size_t size, protocol::Op op) {
  protocol::Request r;
  r.op = op;
  for (std::uint32_t i = 1; i <= wire::kMaxOperands; ++i) r.operands.push_back(i);
  Datagram d = encode(r);
  d.resize(size);
  return d;
}

Datagram spec_bytes(std::initializer_list<unsigned> values) {
  Datagram d;
  for (unsigned v : values) d.push_back(static_cast<std::byte>(v));
  return d;
}

}  // namespace sockcalc::testing
