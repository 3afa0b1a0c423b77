// SPDX-License-Identifier: MIT
// address/address.hpp -- public.
// Address: a copyable socket address value (IPv4, IPv6, Unix path or abstract name) that
// parses, resolves and prints itself. No shared state; any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockcalc/core/result.hpp"

namespace sockcalc {

enum class Family { v4, v6 };

/// Whether a resolved address will be bound (a server's) or sent to (a client's).
enum class Purpose { bind, connect };

class Address {
 public:
  /// An all-zero AF_UNSPEC address; only useful as a target to fill.
  Address() = default;

  /// Copies `len` bytes of `sa`; `len` is clamped to sizeof(sockaddr_storage).
  static Address from_sockaddr(const sockaddr* sa, socklen_t len);

  /// The wildcard (`::` or `0.0.0.0`) or loopback (`::1` or `127.0.0.1`) address of `family`.
  static Address any(Family family, std::uint16_t port);
  static Address loopback(Family family, std::uint16_t port);

  /// A Unix-domain address from `unix:PATH` or `unix:@NAME` (abstract namespace). PATH and
  /// NAME may hold the escapes to_string() writes (`\\` a backslash, `\xHH` any byte), so a
  /// printed name reads back. Fails on a missing prefix, an empty name, a backslash starting
  /// anything else, a NUL byte in a path, or a name too long for sun_path.
  static Result<Address> parse_unix(std::string_view spec);

  /// Every address `host` names, for UDP on `port`: numeric IPv6 or IPv4 (`::1`, `::`,
  /// `127.0.0.1`) or a host name through getaddrinfo, in getaddrinfo's order. An IPv6 address
  /// may carry a scope, an interface name or index (`fe80::1%eth0`, `fe80::1%2`, kept in
  /// sin6_scope_id) and may stand between brackets (`[::1]`, `[fe80::1%eth0]`), as
  /// to_string() prints it. A bind purpose turns an empty host into the wildcard.
  /// Fails, with a message for the user, on a link-local address without a scope, an unknown
  /// interface, or a scope on anything but a numeric IPv6 address (validation errors, no code);
  /// or with the resolver's reason, its EAI_* code in resolver_category() ("cannot resolve
  /// 'x': name or service not known"). A resolver that cannot answer now (EAI_AGAIN: no name
  /// server answered) fails with a code equal to std::errc::resource_unavailable_try_again:
  /// the name may be fine, try later. EAI_SYSTEM and EAI_MEMORY come as errno codes. The
  /// link-local addresses a name resolves to have no scope: they are left out.
  static Result<std::vector<Address>> resolve(std::string_view host, std::uint16_t port,
                                              Purpose purpose);

  /// Parses the text form to_string() prints (numeric only): `[::1]:10000`,
  /// `[fe80::1%eth0]:10000`, `127.0.0.1:10000`, `unix:/path`, `unix:@name` (escapes as in
  /// parse_unix()). Fails as resolve() does on a scope it cannot use.
  static Result<Address> parse(std::string_view text);

  [[nodiscard]] const sockaddr* data() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  sockaddr* data() { return reinterpret_cast<sockaddr*>(&storage_); }
  [[nodiscard]] socklen_t length() const { return length_; }
  /// Sets the real length after a call such as recvfrom() filled data(). Linux reports a
  /// length of 0, and writes nothing, for a sender with no address (a Unix socket that never
  /// bound): the address then becomes the unnamed Unix address (is_unnamed()).
  void set_length(socklen_t len);
  static constexpr socklen_t capacity() { return sizeof(sockaddr_storage); }

  [[nodiscard]] int family() const { return storage_.ss_family; }  // AF_INET, AF_INET6, AF_UNIX
  [[nodiscard]] bool is_unix() const { return family() == AF_UNIX; }
  /// A Unix address with no name (a peer that never bound): it cannot be replied to.
  [[nodiscard]] bool is_unnamed() const;
  /// A Unix address in the abstract namespace (no file in the file system).
  [[nodiscard]] bool is_abstract() const;
  /// The file-system path of a path-bound Unix address, else "".
  [[nodiscard]] std::string unix_path() const;

  /// The interface index of a scoped IPv6 address (sin6_scope_id), 0 for others.
  [[nodiscard]] std::uint32_t scope_id() const;

  /// The port of an IP address, 0 for others.
  [[nodiscard]] std::uint16_t port() const;
  void set_port(std::uint16_t port);

  /// `[2001:db8::1]:10000`, `[fe80::1%eth0]:10000` (the interface's name, or its index when
  /// it has none), `127.0.0.1:10000`, `unix:/run/calc.sock`, `unix:@name`, `unix:(unnamed)`.
  /// Unix names are written with escape_bytes() (core/escape.hpp): a byte outside printable
  /// ASCII as `\xHH`, a backslash as `\\`, a path's leading '@' as `\x40`; the text holds no
  /// control byte, whoever chose the name. parse() reads every form back. Calls
  /// if_indextoname() for a scoped address: meant for logs, not for a per-datagram path.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Address& a, const Address& b);

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

/// True when `text` names a Unix-domain address (starts with `unix:`).
bool is_unix_spec(std::string_view text);

/// Parses a decimal port 0..65535.
Result<std::uint16_t> parse_port(std::string_view text);

/// The category of getaddrinfo's EAI_* codes (name "resolver"): message() is gai_strerror's
/// text; EAI_AGAIN is equivalent to std::errc::resource_unavailable_try_again.
const std::error_category& resolver_category();

}  // namespace sockcalc
