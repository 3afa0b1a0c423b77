// SPDX-License-Identifier: MIT
// healthcheck/ecmp_route.cpp -- internal. The anycast prefix's multipath route through
// rtnetlink with libmnl: one request per change, acknowledged by the kernel.
// One thread per EcmpRoute (its netlink socket and sequence numbers are its own).
#include "sockcalc/healthcheck/ecmp_route.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>

namespace sockcalc::healthcheck {
namespace {

// The address bytes of an IPv6 or IPv4 Address, for RTA_DST and RTA_GATEWAY.
std::pair<const void*, std::size_t> ip_bytes(const Address& a) {
  if (a.family() == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(a.data());
    return {&sa->sin6_addr, sizeof sa->sin6_addr};
  }
  const auto* sa = reinterpret_cast<const sockaddr_in*>(a.data());
  return {&sa->sin_addr, sizeof sa->sin_addr};
}

// A route message for `prefix` in the main table, its header in `buffer`.
nlmsghdr* route_header(std::vector<char>& buffer, const Prefix& prefix, std::uint16_t type,
                       std::uint16_t flags) {
  buffer.assign(MNL_SOCKET_BUFFER_SIZE, 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<unsigned char>(prefix.address.family());
  rtm->rtm_dst_len = static_cast<unsigned char>(prefix.length);
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  const auto [dst, size] = ip_bytes(prefix.address);
  mnl_attr_put(nlh, RTA_DST, size, dst);
  return nlh;
}

// One rtnexthop with its RTA_GATEWAY, appended inside the RTA_MULTIPATH nest.
void put_nexthop(nlmsghdr* nlh, const Address& gateway) {
  auto* rtnh = static_cast<rtnexthop*>(mnl_nlmsg_get_payload_tail(nlh));
  std::memset(rtnh, 0, sizeof *rtnh);  // ifindex 0: the kernel finds the link to the gateway
  nlh->nlmsg_len += MNL_ALIGN(sizeof *rtnh);
  const auto [gw, size] = ip_bytes(gateway);
  mnl_attr_put(nlh, RTA_GATEWAY, size, gw);
  rtnh->rtnh_len = static_cast<unsigned short>(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                               reinterpret_cast<char*>(rtnh));
}

}  // namespace

Family Prefix::family() const { return address.family() == AF_INET6 ? Family::v6 : Family::v4; }

std::string Prefix::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  const auto [bytes, size] = ip_bytes(address);
  inet_ntop(address.family(), bytes, text, sizeof text);
  return std::string(text) + "/" + std::to_string(length);
}

Result<Prefix> parse_prefix(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  const std::size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  Prefix p;
  in6_addr v6{};
  in_addr v4{};
  int max = 0;
  std::vector<unsigned char> bytes;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = v6;
    p.address = Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    max = 128;
    bytes.assign(v6.s6_addr, v6.s6_addr + 16);
  } else if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = v4;
    p.address = Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    max = 32;
    const auto* b = reinterpret_cast<const unsigned char*>(&v4.s_addr);
    bytes.assign(b, b + 4);
  } else {
    return validation_error("invalid prefix " + quoted +
                            ": must be a numeric IPv6 or IPv4 address, with /LENGTH or not");
  }
  p.length = max;
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    int value = 0;
    bool digits = !len.empty() && len.size() <= 3;
    for (char c : len) {
      digits = digits && c >= '0' && c <= '9';
      value = value * 10 + (c - '0');
    }
    if (!digits || value < 1 || value > max) {
      return validation_error("invalid prefix " + quoted + ": length must be 1.." +
                              std::to_string(max));
    }
    p.length = value;
  }
  for (int bit = p.length; bit < max; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return validation_error("invalid prefix " + quoted + ": bits set past /" +
                              std::to_string(p.length));
    }
  }
  return p;
}

Result<std::unique_ptr<EcmpRoute>> EcmpRoute::open(const Prefix& prefix,
                                                   const std::vector<Endpoint>& endpoints) {
  bool any = false;
  for (const Endpoint& e : endpoints) any = any || e.address_of(prefix.family()).has_value();
  if (!any) {
    return validation_error("no endpoint has an " +
                            std::string(prefix.family() == Family::v6 ? "IPv6" : "IPv4") +
                            " address to route " + prefix.to_string() + " through");
  }
  mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
  if (nl == nullptr) return errno_error(errno, "cannot open a route netlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int e = errno;
    mnl_socket_close(nl);
    return errno_error(e, "cannot bind a route netlink socket");
  }
  return std::unique_ptr<EcmpRoute>(new EcmpRoute(prefix, nl));
}

EcmpRoute::~EcmpRoute() { mnl_socket_close(nl_); }

Status EcmpRoute::apply(const std::vector<const Endpoint*>& live) {
  std::vector<Address> gateways;
  for (const Endpoint* e : live) {
    if (auto a = e->address_of(prefix_.family())) gateways.push_back(*a);
  }
  std::vector<char> buffer;
  if (gateways.empty()) {
    route_header(buffer, prefix_, RTM_DELROUTE, 0);
    return talk(buffer, "withdraw the route to " + prefix_.to_string(), true);
  }
  nlmsghdr* nlh = route_header(buffer, prefix_, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  nlattr* nest = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
  for (const Address& gw : gateways) put_nexthop(nlh, gw);
  mnl_attr_nest_end(nlh, nest);
  return talk(buffer, "set the route to " + prefix_.to_string(), false);
}

Status EcmpRoute::talk(std::vector<char>& message, const std::string& what, bool absent_is_fine) {
  auto* nlh = reinterpret_cast<nlmsghdr*>(message.data());
  nlh->nlmsg_seq = ++sequence_;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return errno_error(errno, "cannot " + what);
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  const ssize_t n = mnl_socket_recvfrom(nl_, reply.data(), reply.size());
  if (n < 0) return errno_error(errno, "cannot " + what);
  if (mnl_cb_run(reply.data(), static_cast<std::size_t>(n), sequence_, mnl_socket_get_portid(nl_),
                 nullptr, nullptr) < 0) {
    if (absent_is_fine && errno == ESRCH) return Ok{};
    return errno_error(errno, "cannot " + what);
  }
  return Ok{};
}

}  // namespace sockcalc::healthcheck
