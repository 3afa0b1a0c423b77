// SPDX-License-Identifier: MIT
// socket/socket_access.hpp -- internal to src/socket (used by DatagramSocket::bind).
// Who may connect to a Unix-domain socket bound to a path: its file's mode and group, set so
// that the file never allows more than asked, not even between bind() and chmod().
// Not thread-safe: bind_socket_file() changes the process's umask while it binds.
#pragma once

#include "sockcalc/address/address.hpp"
#include "sockcalc/core/result.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

namespace sockcalc {

/// Whether `options` ask for a socket file mode or group.
[[nodiscard]] bool restricts_socket_file(const SocketOptions& options);

/// bind(fd, local); returns the errno (0 on success). When `options` ask for a file mode or
/// group and `local` is a Unix path, the file is created under a umask that leaves it only the
/// bits of its final mode that are safe before its group is set: the owner's alone when a
/// group is asked for (the file's first group is the server's), all of them otherwise. The
/// umask is the process's: call this before starting threads that create files.
[[nodiscard]] int bind_socket_file(int fd, const Address& local, const SocketOptions& options);

/// After bind_socket_file() succeeded: gives the file its group (lchown), then its final mode
/// (fchmodat without following a symbolic link), as `options` ask; nothing when they ask for
/// neither. Fails for an address that is not a Unix path (an IP address, an abstract name:
/// there is no file). On failure the file is removed and the error names the step.
[[nodiscard]] Status finish_socket_file(const Address& local, const SocketOptions& options);

}  // namespace sockcalc
