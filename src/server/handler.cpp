// server/handler.cpp -- implementation of server/handler.hpp.
#include "server/handler.hpp"

namespace sockcalc::server {

Answer answer(protocol::Bytes held, std::size_t wire_length, protocol::MutableBytes out) {
  Answer a;
  const protocol::DecodedRequest d = protocol::decode_request(held, wire_length);
  if (!d.ok()) {
    a.fault = d.fault;
    a.size = protocol::encode_error_reply(*d.fault, wire_length, out);
    return a;
  }
  a.format = d.request.format;
  a.value = protocol::compute(d.request.op, d.request.operands.values());
  a.size = protocol::encode_success_reply(a.value, d.request.format, out);
  return a;
}

}  // namespace sockcalc::server
