// address/address.cpp -- implementation of address/address.hpp.
#include "address/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>

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

Error invalid(std::string context) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(context)};
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
  std::string_view name = spec.substr(kUnixPrefix.size());
  const bool abstract = !name.empty() && name.front() == '@';
  if (abstract) name.remove_prefix(1);
  if (name.empty()) return invalid("empty unix socket name in " + std::string(spec));
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
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | (purpose == Purpose::bind ? AI_PASSIVE : 0);
  const std::string host_z(host);
  const std::string port_z = std::to_string(port);
  addrinfo* list = nullptr;
  const int rc =
      getaddrinfo(host_z.empty() ? nullptr : host_z.c_str(), port_z.c_str(), &hints, &list);
  if (rc != 0) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 "cannot resolve '" + host_z + "': " + gai_strerror(rc)};
  }
  std::vector<Address> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    Address a = from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  freeaddrinfo(list);
  if (out.empty()) return invalid("cannot resolve '" + host_z + "': no address");
  return out;
}

Result<Address> Address::parse(std::string_view text) {
  if (is_unix_spec(text)) return parse_unix(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
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
  sockaddr_storage s{};
  const std::string host_z(host);
  if (inet_pton(AF_INET6, host_z.c_str(), &as<sockaddr_in6>(s).sin6_addr) == 1 &&
      text.front() == '[') {
    as<sockaddr_in6>(s).sin6_family = AF_INET6;
    as<sockaddr_in6>(s).sin6_port = htons(*p);
    return from_sockaddr(reinterpret_cast<const sockaddr*>(&s), sizeof(sockaddr_in6));
  }
  if (inet_pton(AF_INET, host_z.c_str(), &as<sockaddr_in>(s).sin_addr) == 1 &&
      text.front() != '[') {
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
    case AF_INET6:
      inet_ntop(AF_INET6, &as<sockaddr_in6>(storage_).sin6_addr, buf, sizeof buf);
      return "[" + std::string(buf) + "]:" + std::to_string(port());
    case AF_INET:
      inet_ntop(AF_INET, &as<sockaddr_in>(storage_).sin_addr, buf, sizeof buf);
      return std::string(buf) + ":" + std::to_string(port());
    case AF_UNIX: {
      if (is_unnamed()) return "unix:(unnamed)";
      if (!is_abstract()) return "unix:" + unix_path();
      const auto& un = as<sockaddr_un>(storage_);
      // Abstract names are byte strings; autobind names are 5 hex digits.
      return "unix:@" + std::string(un.sun_path + 1, length_ - kUnixHeader - 1);
    }
    default:
      return "(family " + std::to_string(family()) + ")";
  }
}

bool operator==(const Address& a, const Address& b) {
  return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
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
