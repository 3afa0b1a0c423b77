// SPDX-License-Identifier: MIT
// protocol/answer.cpp -- implementation of server/handler.hpp.
#include "sockcalc/protocol/answer.hpp"

namespace sockcalc::protocol {

Answer answer(Bytes held, std::size_t wire_length, MutableBytes out) {
  Answer a;
  // check_request() judges exactly as decode_request() does, but leaves the operands in the
  // datagram: computing over them in place saves copying up to 256 bytes per request.
  const protocol::CheckedRequest c = protocol::check_request(held, wire_length);
  if (!c.ok()) {
    a.fault = c.fault;
    a.size = protocol::encode_error_reply(*c.fault, wire_length, out);
    return a;
  }
  a.format = c.view.format;
  a.value = protocol::compute_wire(c.view.op, c.view.operands);
  a.size = protocol::encode_success_reply(a.value, c.view.format, out);
  return a;
}

}  // namespace sockcalc::protocol
