// SPDX-License-Identifier: MIT
// socket/socket_file.hpp -- public.
// SocketFile: the file a Unix-domain socket was bound to, known by device and inode, so that
// its maker removes it on exit only while it is still that socket. A value; any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>

#include "sockcalc/core/result.hpp"

namespace sockcalc {

class SocketFile {
 public:
  /// Identifies the socket file at `path`; call it right after bind() made it, before anyone
  /// else can replace it. Fails with "cannot stat socket file PATH: reason" when `path` does
  /// not exist any more, or is not a socket (ENOTSOCK).
  static Result<SocketFile> identify(const std::string& path);

  /// Removes the file at path() if it is still the socket identify() saw (same device and
  /// inode, by lstat). Anything else there is left alone: another program's socket bound to
  /// the same path after ours was removed, or a file someone put in its place. Returns
  /// whether it removed the file. Never throws.
  ///
  /// Between the check and the unlink() another program could still replace the file; no
  /// call removes a path only if it is a given inode, and the window is a few microseconds.
  bool remove_if_unchanged() const;

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  SocketFile(std::string path, dev_t device, ino_t inode)
      : path_(std::move(path)), device_(device), inode_(inode) {}
  std::string path_;
  dev_t device_;
  ino_t inode_;
};

}  // namespace sockcalc
