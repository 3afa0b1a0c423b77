// SPDX-License-Identifier: MIT
// msc/roles.cpp -- implementation of msc/roles.hpp.
#include "sockcalc/msc/roles.hpp"

namespace sockcalc::msc {

RoleRule::RoleRule(std::vector<std::uint16_t> server_ports)
    : ports_(server_ports.begin(), server_ports.end()) {}

Role RoleRule::decide(const End& from, const End& to) {
  const bool to_server = to.port != 0 && ports_.contains(to.port);
  const bool from_server = from.port != 0 && ports_.contains(from.port);
  if (to_server != from_server) return to_server ? Role::request : Role::reply;
  const std::string forward = from.text + '\x1f' + to.text;
  const std::string backward = to.text + '\x1f' + from.text;
  if (servers_.contains(backward)) return Role::reply;
  servers_.insert(forward);
  return Role::request;
}

}  // namespace sockcalc::msc
