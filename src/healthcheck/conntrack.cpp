// SPDX-License-Identifier: MIT
// healthcheck/conntrack.cpp -- internal. Deleting conntrack entries with libnetfilter_conntrack:
// dump the table of the server's family, keep the UDP entries NATed to the server, then
// destroy them one by one (a handle cannot be queried from its own callback).
// Any thread; each call opens and closes its own handle.
#include "sockcalc/healthcheck/conntrack.hpp"

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace sockcalc::healthcheck {
namespace {

struct CtDeleter {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using CtPtr = std::unique_ptr<nf_conntrack, CtDeleter>;

struct Match {
  const Address* server;
  std::vector<CtPtr> found;
};

// A UDP flow whose destination was rewritten (DNAT) to `server`: its reply comes from there.
// Flows sent to the server's own address (the health checker's probes) are left alone.
bool nated_to_server(const nf_conntrack* ct, const Address& server) {
  if (nfct_get_attr_u8(ct, ATTR_REPL_L4PROTO) != IPPROTO_UDP) return false;
  if (nfct_getobjopt(ct, NFCT_GOPT_IS_DNAT) != 1) return false;
  if (server.family() == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(server.data());
    const void* src = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC);
    return src != nullptr && std::memcmp(src, &sa->sin6_addr, sizeof sa->sin6_addr) == 0 &&
           nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC) == sa->sin6_port;
  }
  const auto* sa = reinterpret_cast<const sockaddr_in*>(server.data());
  return nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC) == sa->sin_addr.s_addr &&
         nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC) == sa->sin_port;
}

int collect(nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  auto* match = static_cast<Match*>(data);
  if (nated_to_server(ct, *match->server)) match->found.emplace_back(nfct_clone(ct));
  return NFCT_CB_CONTINUE;
}

struct HandleCloser {
  void operator()(nfct_handle* h) const { nfct_close(h); }
};

}  // namespace

Result<int> delete_udp_flows_to(const Address& server) {
  const std::string context = "conntrack entries of " + server.to_string();
  std::unique_ptr<nfct_handle, HandleCloser> handle(nfct_open(CONNTRACK, 0));
  if (!handle) return errno_error(errno, "cannot open conntrack to delete the " + context);
  Match match{&server, {}};
  nfct_callback_register(handle.get(), NFCT_T_ALL, collect, &match);
  std::uint32_t family = static_cast<std::uint32_t>(server.family());
  if (nfct_query(handle.get(), NFCT_Q_DUMP, &family) != 0) {
    return errno_error(errno, "cannot list the " + context);
  }
  int deleted = 0;
  for (const CtPtr& ct : match.found) {
    if (nfct_query(handle.get(), NFCT_Q_DESTROY, ct.get()) == 0) {
      ++deleted;
    } else if (errno != ENOENT) {  // gone meanwhile (timed out): what we wanted
      return errno_error(errno, "cannot delete the " + context);
    }
  }
  return deleted;
}

}  // namespace sockcalc::healthcheck
