// SPDX-License-Identifier: MIT
// socket/socket_file.cpp -- implementation of socket/socket_file.hpp.
#include "sockcalc/socket/socket_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace sockcalc {

Result<SocketFile> SocketFile::identify(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno_error(errno, "cannot stat socket file " + path);
  if (!S_ISSOCK(st.st_mode)) return validation_error("cannot use " + path + ": not a socket");
  return SocketFile(path, st.st_dev, st.st_ino);
}

bool SocketFile::remove_if_unchanged() const {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0) return false;  // already gone
  if (!S_ISSOCK(st.st_mode) || st.st_dev != device_ || st.st_ino != inode_) return false;
  return ::unlink(path_.c_str()) == 0;
}

}  // namespace sockcalc
