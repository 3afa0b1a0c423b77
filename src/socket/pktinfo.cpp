// SPDX-License-Identifier: MIT
// socket/pktinfo.cpp -- implementation of socket/pktinfo.hpp.
#include "sockcalc/socket/pktinfo.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace sockcalc {
namespace {

// An IPv4 destination a unicast reply cannot come from: multicast (224/4) or the limited
// broadcast. (A subnet broadcast reaching a dual-stack socket is not recognised: its reply
// fails to send and is counted, as documented in docs/SERVICE.md.)
bool is_group_v4(in_addr a) {
  const std::uint32_t host = ntohl(a.s_addr);
  return (host >> 28) == 0xE || host == INADDR_BROADCAST;
}

bool is_group_v6(const in6_addr& a) {
  if (IN6_IS_ADDR_MULTICAST(&a)) return true;
  if (!IN6_IS_ADDR_V4MAPPED(&a)) return false;
  in_addr v4{};
  std::memcpy(&v4, &a.s6_addr[12], sizeof v4);
  return is_group_v4(v4);
}

template <typename T>
std::size_t put_control(PktinfoBuffer& buffer, int level, int type, const T& value) {
  msghdr m{};
  m.msg_control = buffer.bytes.data();
  m.msg_controllen = CMSG_SPACE(sizeof(T));
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof(T));
  std::memcpy(CMSG_DATA(c), &value, sizeof(T));
  return CMSG_SPACE(sizeof(T));
}

}  // namespace

bool is_wildcard(const Address& local) {
  if (local.family() == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(local.data());
    return IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr);
  }
  if (local.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(local.data())->sin_addr.s_addr == INADDR_ANY;
  }
  return false;
}

ReplySource ReplySource::from_received(const msghdr& received) {
  ReplySource r;
  // CMSG_NXTHDR takes a non-const msghdr but only reads it.
  auto& m = const_cast<msghdr&>(received);
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      // ipi_spec_dst is the local address the kernel would answer from: the destination
      // itself for unicast, the interface's address for a broadcast or multicast one.
      r.family_ = AF_INET;
      r.v4_.ipi_spec_dst = info.ipi_spec_dst;
      r.v4_.ipi_ifindex = 0;  // leave the interface to the routing table
      return r;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      if (is_group_v6(info.ipi6_addr)) return r;
      r.family_ = AF_INET6;
      r.v6_.ipi6_addr = info.ipi6_addr;
      // A link-local address is only unique with its interface; for any other the routing
      // table picks the interface, as it would for a socket bound to that address.
      r.v6_.ipi6_ifindex = IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr) ? info.ipi6_ifindex : 0;
      return r;
    }
  }
  return r;
}

std::size_t ReplySource::write_control(PktinfoBuffer& buffer) const {
  if (family_ == AF_INET) return put_control(buffer, IPPROTO_IP, IP_PKTINFO, v4_);
  if (family_ == AF_INET6) return put_control(buffer, IPPROTO_IPV6, IPV6_PKTINFO, v6_);
  return 0;
}

Address ReplySource::address(std::uint16_t port) const {
  if (family_ == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr = v4_.ipi_spec_dst;
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&a), sizeof a);
  }
  if (family_ == AF_INET6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = v6_.ipi6_addr;
    a.sin6_scope_id = v6_.ipi6_ifindex;
    return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&a), sizeof a);
  }
  return Address{};
}

}  // namespace sockcalc
