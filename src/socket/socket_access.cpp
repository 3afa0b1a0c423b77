// SPDX-License-Identifier: MIT
// socket/socket_access.cpp -- implementation of socket/socket_access.hpp.
#include "sockcalc/socket/socket_access.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "sockcalc/socket/sys.hpp"

namespace sockcalc {
namespace {

constexpr mode_t kAllBits = 0777;
constexpr mode_t kOwnerBits = 0700;

mode_t current_umask() {
  const mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

// The mode the file ends with: the one asked for, else what the umask gives a new socket.
mode_t final_mode(const SocketOptions& o) {
  return o.file_mode ? (*o.file_mode & kAllBits) : (kAllBits & ~current_umask());
}

bool is_socket_file(const Address& a) { return a.is_unix() && !a.is_abstract(); }

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
  return text;
}

Error failed(int err, const Address& local, const std::string& what) {
  ::unlink(local.unix_path().c_str());  // the file was created a moment ago, by this bind
  return errno_error(err, "cannot set the " + what + " of " + local.to_string());
}

}  // namespace

bool restricts_socket_file(const SocketOptions& options) {
  return options.file_mode.has_value() || options.file_group.has_value();
}

int bind_socket_file(int fd, const Address& local, const SocketOptions& options) {
  if (!restricts_socket_file(options) || !is_socket_file(local)) {
    return sys::calls().bind(fd, local.data(), local.length()) == 0 ? 0 : errno;
  }
  // bind() creates the file with 0777 & ~umask. Until lchown() has run, the file's group is the
  // server's own, which must not get in: so only the owner's bits, then.
  const mode_t first = final_mode(options) & (options.file_group ? kOwnerBits : kAllBits);
  const mode_t saved = ::umask(kAllBits & ~first);
  const int err = sys::calls().bind(fd, local.data(), local.length()) == 0 ? 0 : errno;
  ::umask(saved);
  return err;
}

Status finish_socket_file(const Address& local, const SocketOptions& options) {
  if (!restricts_socket_file(options)) return Ok{};
  if (!is_socket_file(local)) {
    return validation_error("cannot set the mode or group of " + local.to_string() +
                            ": only a unix:PATH socket has a file");
  }
  const std::string path = local.unix_path();
  // Neither call follows a symbolic link: whoever could swap the file for one in the moment
  // since bind() must not get our chown or chmod applied to another file.
  if (options.file_group && ::lchown(path.c_str(), static_cast<uid_t>(-1), *options.file_group)) {
    return failed(errno, local, "group to " + std::to_string(*options.file_group));
  }
  // Also when bind() already gave the mode: a default ACL on the directory overrides the umask.
  const mode_t mode = final_mode(options);
  if (::fchmodat(AT_FDCWD, path.c_str(), mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return failed(errno, local, "mode to " + octal(mode));
  }
  return Ok{};
}

}  // namespace sockcalc
