// SPDX-License-Identifier: MIT
// address/address.cpp -- implementation of address/address.hpp.
#include "sockcalc/address/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "sockcalc/core/escape.hpp"

namespace sockcalc {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";
constexpr socklen_t kUnixHeader = offsetof(sockaddr_un, sun_path);

template <typename T>
T& as(sockaddr_storage& s) {
  return *reinterpret_cast<T*>(&s);
}
template <typename T>
const T& as(const sockaddr_storage& s) {
  return *reinterpret_cast<const T*>(&s);
}

Error invalid(std::string context) { return validation_error(std::move(context)); }

class ResolverCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "resolver"; }
  [[nodiscard]] std::string message(int code) const override { return gai_strerror(code); }
  [[nodiscard]] std::error_condition default_error_condition(int code) const noexcept override {
    if (code == EAI_AGAIN) return std::errc::resource_unavailable_try_again;
    return {code, *this};
  }
};

// getaddrinfo's failure: the resolver's code, or an errno code for the failures of the system
// under it (EAI_SYSTEM, whose errno says which; EAI_MEMORY).
Error resolver_error(int rc, int errno_value, const std::string& host) {
  std::string context = "cannot resolve '" + host + "'";
  if (rc == EAI_SYSTEM) return errno_error(errno_value, std::move(context));
  if (rc == EAI_MEMORY) return errno_error(ENOMEM, std::move(context));
  return Error{std::error_code(rc, resolver_category()), std::move(context)};
}

// Link-local unicast (fe80::/10) and link-local multicast (ff02::/16) addresses name a host
// only together with an interface: without a scope the kernel refuses them (EINVAL).
bool needs_scope(const in6_addr& a) {
  return IN6_IS_ADDR_LINKLOCAL(&a) || IN6_IS_ADDR_MC_LINKLOCAL(&a);
}

// The interface index a scope names: an interface name, escaped as to_string() prints it, or
// else an index in decimal (RFC 4007 section 11.2 allows both).
Result<std::uint32_t> parse_scope(std::string_view scope, std::string_view host) {
  const std::string whole(host);
  if (scope.empty()) {
    return invalid("cannot use " + whole + ": empty scope; write " +
                   whole.substr(0, whole.find('%')) + "%INTERFACE");
  }
  const auto name = unescape_bytes(scope);
  if (name && name->find('\0') == std::string::npos) {
    if (const unsigned index = if_nametoindex(name->c_str()); index != 0) return index;
  }
  std::uint32_t index = 0;
  const auto* end = scope.data() + scope.size();
  const auto [ptr, ec] = std::from_chars(scope.data(), end, index);
  if (ec != std::errc() || ptr != end) {
    return invalid("cannot use " + whole + ": no interface named '" + std::string(scope) + "'");
  }
  if (index == 0) return invalid("cannot use " + whole + ": scope 0 names no interface");
  return index;
}

// A numeric IPv6 address with an optional %SCOPE, as written between brackets (which the
// caller removed): "::1", "fe80::1%eth0", "fe80::1%2". A link-local one needs its scope.
Result<sockaddr_in6> parse_ipv6(std::string_view host) {
  const std::size_t percent = host.find('%');
  const std::string numeric(host.substr(0, percent));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, numeric.c_str(), &a.sin6_addr) != 1) {
    in_addr v4_addr{};
    const bool v4 = inet_pton(AF_INET, numeric.c_str(), &v4_addr) == 1;
    return invalid("cannot use " + std::string(host) + ": " +
                   (v4 && percent != std::string_view::npos
                        ? "a scope goes only with an IPv6 address"
                        : "not a numeric IPv6 address"));
  }
  if (percent != std::string_view::npos) {
    auto index = parse_scope(host.substr(percent + 1), host);
    if (!index) return index.error();
    a.sin6_scope_id = *index;
  } else if (needs_scope(a.sin6_addr)) {
    return invalid("link-local address " + numeric + " needs a scope: write " + numeric +
                   "%INTERFACE");
  }
  return a;
}

// Whether `host` must be a numeric IPv6 address: between brackets, scoped, or with a colon
// (no host name or IPv4 address holds one).
bool is_ipv6_literal(std::string_view host) {
  return host.starts_with('[') || host.find_first_of(":%") != std::string_view::npos;
}

Result<Address> ipv6_literal(std::string_view host, std::uint16_t port) {
  if (host.starts_with('[')) {
    if (host.size() < 2 || !host.ends_with(']')) {
      return invalid("cannot use " + std::string(host) + ": no closing bracket");
    }
    host = host.substr(1, host.size() - 2);
  }
  auto a = parse_ipv6(host);
  if (!a) return a.error();
  a->sin6_port = htons(port);
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&*a), sizeof(sockaddr_in6));
}

// How to_string() names an interface: its name (escaped: names come from the system, but a
// log line takes no control byte from anyone), or its index when it has no name (gone).
std::string scope_name(std::uint32_t index) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(index, name) == nullptr) return std::to_string(index);
  return escape_bytes(name);
}

// A link-local address that a name resolved to carries no scope (the resolver cannot know the
// interface): it could not be used, so resolve() leaves it out.
bool unscoped_link_local(const Address& a) {
  if (a.family() != AF_INET6) return false;
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a.data());
  return needs_scope(in6->sin6_addr) && in6->sin6_scope_id == 0;
}

Address make_ip(Family family, std::uint16_t port, bool loopback) {
  sockaddr_storage s{};
  socklen_t len = 0;
  if (family == Family::v6) {
    auto& a = as<sockaddr_in6>(s);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = loopback ? in6addr_loopback : in6addr_any;
    len = sizeof(sockaddr_in6);
  } else {
    auto& a = as<sockaddr_in>(s);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    len = sizeof(sockaddr_in);
  }
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&s), len);
}

}  // namespace

Address Address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  a.length_ = std::min<socklen_t>(len, capacity());
  std::memcpy(&a.storage_, sa, a.length_);
  return a;
}

Address Address::any(Family family, std::uint16_t port) { return make_ip(family, port, false); }

Address Address::loopback(Family family, std::uint16_t port) { return make_ip(family, port, true); }

Result<Address> Address::parse_unix(std::string_view spec) {
  if (!is_unix_spec(spec))
    return invalid("not a unix address (unix:PATH or unix:@NAME): " + std::string(spec));
  std::string_view text = spec.substr(kUnixPrefix.size());
  const bool abstract = !text.empty() && text.front() == '@';
  if (abstract) text.remove_prefix(1);
  const auto bytes = unescape_bytes(text);
  if (!bytes) {
    return invalid("cannot use " + std::string(spec) +
                   ": a backslash must start \\\\ (a backslash) or \\xHH (a byte)");
  }
  const std::string_view name = *bytes;
  if (name.empty()) return invalid("empty unix socket name in " + std::string(spec));
  if (!abstract && name.find('\0') != std::string_view::npos) {
    return invalid("cannot use " + std::string(spec) + ": a path cannot hold a NUL byte");
  }
  sockaddr_un un{};
  // A path needs its terminating NUL inside sun_path; an abstract name needs its leading NUL.
  if (name.size() + 1 > sizeof(un.sun_path)) {
    return invalid("unix socket name longer than " + std::to_string(sizeof(un.sun_path) - 1) +
                   " bytes: " + std::string(spec));
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path + (abstract ? 1 : 0), name.data(), name.size());
  const auto len = static_cast<socklen_t>(kUnixHeader + 1 + name.size());
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&un), len);
}

Result<std::vector<Address>> Address::resolve(std::string_view host, std::uint16_t port,
                                              Purpose purpose) {
  if (is_ipv6_literal(host)) {
    auto a = ipv6_literal(host, port);
    if (!a) return a.error();
    return std::vector<Address>{*a};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | (purpose == Purpose::bind ? AI_PASSIVE : 0);
  const std::string host_z(host);
  const std::string port_z = std::to_string(port);
  addrinfo* list = nullptr;
  const int rc =
      getaddrinfo(host_z.empty() ? nullptr : host_z.c_str(), port_z.c_str(), &hints, &list);
  if (rc != 0) return resolver_error(rc, errno, host_z);
  std::vector<Address> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    Address a = from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  freeaddrinfo(list);
  if (out.empty()) return invalid("cannot resolve '" + host_z + "': no address");
  const auto usable = std::remove_if(out.begin(), out.end(), unscoped_link_local);
  if (usable == out.begin()) {
    return invalid("cannot use '" + host_z + "': it names only link-local addresses, which " +
                   "need a scope: write ADDRESS%INTERFACE");
  }
  out.erase(usable, out.end());
  return out;
}

Result<Address> Address::parse(std::string_view text) {
  if (is_unix_spec(text)) return parse_unix(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.rfind("]:");
    if (close == std::string_view::npos)
      return invalid("expected [IPv6]:PORT: " + std::string(text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return invalid("expected IPv4:PORT or [IPv6]:PORT: " + std::string(text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  auto p = parse_port(port);
  if (!p) return p.error();
  if (text.front() == '[') return ipv6_literal(host, *p);
  sockaddr_storage s{};
  const std::string host_z(host);
  if (inet_pton(AF_INET, host_z.c_str(), &as<sockaddr_in>(s).sin_addr) == 1) {
    as<sockaddr_in>(s).sin_family = AF_INET;
    as<sockaddr_in>(s).sin_port = htons(*p);
    return from_sockaddr(reinterpret_cast<const sockaddr*>(&s), sizeof(sockaddr_in));
  }
  return invalid("not a numeric address: " + std::string(text));
}

void Address::set_length(socklen_t len) {
  if (len < sizeof(sa_family_t)) {
    storage_.ss_family = AF_UNIX;
    len = sizeof(sa_family_t);
  }
  length_ = std::min<socklen_t>(len, capacity());
}

bool Address::is_unnamed() const { return is_unix() && length_ <= kUnixHeader; }

bool Address::is_abstract() const {
  return is_unix() && length_ > kUnixHeader && as<sockaddr_un>(storage_).sun_path[0] == '\0';
}

std::string Address::unix_path() const {
  if (!is_unix() || is_unnamed() || is_abstract()) return {};
  const auto& un = as<sockaddr_un>(storage_);
  const std::size_t max = length_ - kUnixHeader;
  return std::string(un.sun_path, strnlen(un.sun_path, max));
}

std::uint32_t Address::scope_id() const {
  return family() == AF_INET6 ? as<sockaddr_in6>(storage_).sin6_scope_id : 0;
}

std::uint16_t Address::port() const {
  if (family() == AF_INET6) return ntohs(as<sockaddr_in6>(storage_).sin6_port);
  if (family() == AF_INET) return ntohs(as<sockaddr_in>(storage_).sin_port);
  return 0;
}

void Address::set_port(std::uint16_t port) {
  if (family() == AF_INET6) as<sockaddr_in6>(storage_).sin6_port = htons(port);
  if (family() == AF_INET) as<sockaddr_in>(storage_).sin_port = htons(port);
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case AF_INET6: {
      inet_ntop(AF_INET6, &as<sockaddr_in6>(storage_).sin6_addr, buf, sizeof buf);
      const std::uint32_t scope = scope_id();
      return "[" + std::string(buf) + (scope != 0 ? "%" + scope_name(scope) : "") +
             "]:" + std::to_string(port());
    }
    case AF_INET:
      inet_ntop(AF_INET, &as<sockaddr_in>(storage_).sin_addr, buf, sizeof buf);
      return std::string(buf) + ":" + std::to_string(port());
    case AF_UNIX: {
      // Names are chosen by whoever bound them, a peer too: escaped, they cannot end a log line
      // or drive a terminal, and parse_unix() reads them back.
      if (is_unnamed()) return "unix:(unnamed)";
      if (!is_abstract()) {
        // A path starting with '@' (a relative one) must not read as an abstract name.
        const std::string path = unix_path();
        if (path.starts_with('@')) return "unix:\\x40" + escape_bytes(path.substr(1));
        return "unix:" + escape_bytes(path);
      }
      const auto& un = as<sockaddr_un>(storage_);
      // Abstract names are byte strings, NUL bytes included; autobind names are 5 hex digits.
      return "unix:@" + escape_bytes({un.sun_path + 1, length_ - kUnixHeader - 1});
    }
    default:
      return "(family " + std::to_string(family()) + ")";
  }
}

bool operator==(const Address& a, const Address& b) {
  return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
}

const std::error_category& resolver_category() {
  static const ResolverCategory category;
  return category;
}

bool is_unix_spec(std::string_view text) { return text.starts_with(kUnixPrefix); }

Result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > 65535) {
    return invalid("invalid port '" + std::string(text) + "': must be 0..65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace sockcalc
