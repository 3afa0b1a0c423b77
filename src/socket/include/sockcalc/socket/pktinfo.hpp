// SPDX-License-Identifier: MIT
// socket/pktinfo.hpp -- public.
// ReplySource: the address a datagram was sent to, as a socket bound to a wildcard address learns
// it from IP_PKTINFO / IPV6_PKTINFO, and the control message that makes the reply leave from it.
// Value types over caller-owned buffers: nothing allocates; any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <span>

#include "sockcalc/address/address.hpp"

namespace sockcalc {

/// Room for the one control message a destination-aware socket receives or sends: IPV6_PKTINFO,
/// the larger of the two. A datagram that carries more (an option this socket never asked for)
/// gets MSG_CTRUNC, which only drops the extra messages.
inline constexpr std::size_t kPktinfoSpace = CMSG_SPACE(sizeof(in6_pktinfo));

/// A control buffer aligned as the kernel's cmsghdr parser needs it.
struct alignas(cmsghdr) PktinfoBuffer {
  std::array<std::byte, kPktinfoSpace> bytes{};
};

/// True for `::` and `0.0.0.0`: a socket bound there is reached at every local address, and a
/// reply leaves from whichever address the routing table picks unless told otherwise. That is
/// wrong on a host with several addresses (and for 127.0.0.2): the client's connected socket
/// drops a reply that does not come from the address it asked.
bool is_wildcard(const Address& local);

/// The local address a received datagram was sent to. Empty when the datagram carried no
/// pktinfo (the socket did not ask for it) or when replying from it would be wrong (a multicast
/// or broadcast destination): the reply then leaves from the kernel's choice.
class ReplySource {
 public:
  ReplySource() = default;

  /// Reads the destination from the control messages of a datagram recvmsg() filled in.
  static ReplySource from_received(const msghdr& received);

  [[nodiscard]] bool empty() const { return family_ == AF_UNSPEC; }

  /// Writes into `buffer` the control message that makes a reply leave from this address
  /// (IPv4: ipi_spec_dst; IPv6 and IPv4-mapped: ipi6_addr, with the interface only for a
  /// link-local address, whose scope it is). Returns the bytes written, 0 when empty().
  std::size_t write_control(PktinfoBuffer& buffer) const;

  /// The destination as an address with `port`, e.g. for a capture; an empty Address when
  /// empty().
  [[nodiscard]] Address address(std::uint16_t port) const;

 private:
  int family_ = AF_UNSPEC;  // AF_INET: v4_ is set; AF_INET6: v6_ is set
  in_pktinfo v4_{};
  in6_pktinfo v6_{};
};

}  // namespace sockcalc
