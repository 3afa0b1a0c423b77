// SPDX-License-Identifier: MIT
// tools/common/privileges.hpp -- internal to tools/.
// Who a program runs as: user and group names looked up, and the drop from root to them
// (--user, --group). Main thread, before any other thread starts.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "sockcalc/core/result.hpp"

namespace sockcalc::cli {

/// A user to run as: its ids and its primary group.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

/// A user name, or a number (a uid without a passwd entry keeps gid = uid's number: name the
/// group with --group then). Nullopt: no such user.
std::optional<Identity> lookup_user(const std::string& text);

/// A group name, or a number. Nullopt: no such group.
std::optional<gid_t> lookup_group(const std::string& text);

/// Becomes `who` for good: supplementary groups cleared (setgroups(0)), then setgid, then
/// setuid -- that order, since each later call takes away the right to make the earlier ones.
/// Then checks that setuid(0) fails: a drop that could be undone is no drop.
/// Fails with "cannot CALL(ID): reason" and leaves the process as it was at that call; the
/// caller must not go on serving. glibc applies each call to every thread of the process.
Status drop_privileges(const Identity& who);

}  // namespace sockcalc::cli
