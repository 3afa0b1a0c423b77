// SPDX-License-Identifier: MIT
// tools/common/privileges.cpp -- implementation of tools/common/privileges.hpp.
#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <vector>

#include "cli.hpp"
#include "number.hpp"

namespace sockcalc::cli {
namespace {
// Enough for any passwd or group entry of a real system (glibc's sysconf hint is 1024 or 16384).
constexpr std::size_t kEntryBuffer = 1 << 16;

// A user or group number: 0..4294967295.
std::optional<std::uint32_t> id_number(const std::string& text) {
  const auto n = parse_whole(text, 0, std::numeric_limits<std::uint32_t>::max());
  if (!n) return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}
}  // namespace

std::optional<Identity> lookup_user(const std::string& text) {
  std::vector<char> buffer(kEntryBuffer);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    return Identity{found->pw_uid, found->pw_gid};
  }
  const auto number = id_number(text);
  if (!number) return std::nullopt;
  const auto uid = static_cast<uid_t>(*number);
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    return Identity{found->pw_uid, found->pw_gid};
  }
  return Identity{uid, static_cast<gid_t>(uid)};
}

std::optional<gid_t> lookup_group(const std::string& text) {
  std::vector<char> buffer(kEntryBuffer);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    return found->gr_gid;
  }
  const auto number = id_number(text);
  if (!number) return std::nullopt;
  return static_cast<gid_t>(*number);
}

Status drop_privileges(const Identity& who) {
  if (::setgroups(0, nullptr) != 0) return errno_error(errno, "cannot setgroups(0)");
  if (::setgid(who.gid) != 0) {
    return errno_error(errno, "cannot setgid(" + std::to_string(who.gid) + ")");
  }
  if (::setuid(who.uid) != 0) {
    return errno_error(errno, "cannot setuid(" + std::to_string(who.uid) + ")");
  }
  if (who.uid != 0 && ::setuid(0) == 0) {
    return validation_error("cannot drop root: setuid(0) still succeeds after setuid(" +
                            std::to_string(who.uid) + ")");
  }
  return Ok{};
}

}  // namespace sockcalc::cli
