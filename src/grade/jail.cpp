// SPDX-License-Identifier: MIT
// grade/jail.cpp -- implementation of grade/jail.hpp.
// Mounts are made in a private mount namespace only (MS_PRIVATE first, so nothing propagates
// to the host); read-only comes from remounting every mount of /proc/self/mountinfo as a
// read-only bind, keeping its nosuid/nodev/noexec flags.
#include "sockcalc/grade/jail.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "sockcalc/core/unique_fd.hpp"

namespace sockcalc::grade {
namespace {

namespace fs = std::filesystem;

// The tmpfs of /run: the work dir's mount point and the grader's log files only.
constexpr std::uint64_t kRunBytes = 8ull << 20;

Status fail(const std::string& what) { return errno_error(errno, "cannot " + what); }

// mountinfo writes a space, tab, newline and backslash of a path as \ooo.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> mount_points() {
  std::vector<std::string> points;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (fields >> id >> parent >> dev >> root >> point) points.push_back(unescape_octal(point));
  }
  return points;
}

// The flags a read-only bind remount must keep (the kernel refuses to drop locked ones, and
// dropping nosuid or noexec would weaken the host's own choice).
unsigned long kept_flags(const std::string& point) {
  struct statvfs st {};
  if (::statvfs(point.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

// Every mount read-only. A mount point hidden under another mount (ENOENT, EACCES on a path
// the later mount covers) cannot be reached by the submission either; any other failure
// stops the grading.
Status remount_read_only() {
  for (const std::string& point : mount_points()) {
    const unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(point);
    if (::mount(nullptr, point.c_str(), nullptr, flags, nullptr) == 0) continue;
    if (errno == ENOENT || errno == EACCES || errno == ENOTDIR) continue;
    if (point == "/" || errno != EINVAL) return fail("remount " + point + " read-only");
  }
  return Ok{};
}

Status mount_tmpfs(const std::string& where, const std::string& mode, std::uint64_t bytes,
                   uid_t owner) {
  const std::string data = "size=" + std::to_string(bytes) + ",mode=" + mode +
                           ",uid=" + std::to_string(owner) + ",gid=" + std::to_string(owner);
  if (::mount("tmpfs", where.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
    return fail("mount a tmpfs on " + where);
  }
  return Ok{};
}

Status loopback_up() {
  const UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail("open a socket to set lo up");
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFFLAGS, &req) != 0) return fail("set lo up");
  req.ifr_flags |= IFF_UP;
  if (::ioctl(fd.get(), SIOCSIFFLAGS, &req) != 0) return fail("set lo up");
  return Ok{};
}

}  // namespace

Status make_jail(const JailOptions& o) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail("make the mounts private");
  }
  if (auto st = remount_read_only(); !st) return st;
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return fail("mount /proc");
  }
  // /run (and /var/run, its link) holds the host's sockets (D-Bus, ...): hidden behind an
  // empty tmpfs that only root may write.
  if (auto st = mount_tmpfs("/run", "755", kRunBytes, 0); !st) return st;
  if (::mkdir(kGraderDir, 0700) != 0 || ::mkdir(kWorkDir, 0700) != 0) {
    return fail("make the jail's directories");
  }
  if (auto st = mount_tmpfs(kWorkDir, "700", o.disk_bytes, o.uid); !st) return st;
  // Copied before /tmp is hidden: the submission may live there.
  if (auto st = copy_submission(o.source, o.uid); !st) return st;
  for (const char* shared : {"/tmp", "/var/tmp", "/dev/shm"}) {
    if (!fs::is_directory(shared)) continue;
    if (auto st = mount_tmpfs(shared, "1777", o.disk_bytes, 0); !st) return st;
  }
  return loopback_up();
}

Status copy_submission(const std::string& source, uid_t uid) {
  std::error_code ec;
  fs::copy(source, kWorkDir, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return Error{ec, "cannot copy " + source + " to the work dir"};
  for (auto it = fs::recursive_directory_iterator(kWorkDir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (::lchown(it->path().c_str(), uid, uid) != 0) return fail("chown " + it->path().string());
  }
  if (ec) return Error{ec, "cannot list the work dir"};
  return Ok{};
}

Result<DiskUse> disk_use(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return errno_error(errno, "cannot statvfs " + path);
  return DiskUse{.used = (st.f_blocks - st.f_bfree) * st.f_frsize,
                 .size = st.f_blocks * st.f_frsize};
}

}  // namespace sockcalc::grade
