// SPDX-License-Identifier: MIT
// tests/support/hostile.cpp -- implementation of tests/support/hostile.hpp.
#include "support/hostile.hpp"

#include <sys/un.h>

#include <cstddef>
#include <cstring>

namespace sockcalc::testing {

Address raw_unix_address(const std::string& bytes, UnixNamespace where) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  const std::size_t skip = where == UnixNamespace::abstract ? 1 : 0;
  std::memcpy(un.sun_path + skip, bytes.data(), std::min(bytes.size(), sizeof un.sun_path - skip));
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + bytes.size() + 1);
  return Address::from_sockaddr(reinterpret_cast<const sockaddr*>(&un), len);
}

bool only_printable_ascii(const std::string& text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace sockcalc::testing
