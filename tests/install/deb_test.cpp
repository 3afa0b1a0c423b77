// tests/install/deb_test.cpp -- internal to tests/install.
// The Debian package of this build: cpack -G DEB (what `make deb` runs) into a temporary
// directory, its control fields and content, then, as root, dpkg -i, the installed
// /usr/bin/sockcalc-server and sockcalc-client talking over ::1, the man page and completion
// in place, and dpkg --purge. Runs only where the sockcalc package is not installed already,
// and one at a time on the machine (a lock file), since dpkg changes the whole system; no
// other test looks at /usr. Test thread only.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"
#include "protocol/codec.hpp"
#include "version.hpp"

namespace sockcalc::install_test {
namespace {

namespace fs = std::filesystem;
using integration::as_args;
using integration::concat;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::run_program;
using testing::RunResult;
using testing::ServerProcess;
using testing::TempDir;

constexpr milliseconds kPackagePatience = std::chrono::minutes(3);
// How long to wait for another run of this test, or for apt/dpkg, to release their locks.
constexpr milliseconds kLockPatience = std::chrono::minutes(4);
constexpr milliseconds kLockRetry{200};

// The machine-wide lock that serialises this test between build directories.
class MachineLock {
 public:
  // Waits up to kLockPatience for the lock; held() tells whether it was taken.
  MachineLock() {
    const char* dir = fs::is_directory("/run/lock") ? "/run/lock" : "/tmp";
    path_ = std::string(dir) + "/sockcalc-deb-test.lock";
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;
    const auto deadline = steady_clock::now() + kLockPatience;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(kLockRetry);  // flock has no timeout of its own
    }
    held_ = true;
  }
  MachineLock(const MachineLock&) = delete;
  MachineLock& operator=(const MachineLock&) = delete;
  ~MachineLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  [[nodiscard]] bool held() const { return held_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool held_ = false;
};

// dpkg ARGS..., tried again while apt or another dpkg holds dpkg's lock.
RunResult dpkg(const std::vector<std::string>& args) {
  const auto deadline = steady_clock::now() + kLockPatience;
  for (;;) {
    RunResult r = run_program(SOCKCALC_DPKG, args, kPackagePatience);
    const bool locked = !r.status.exited_with(0) && r.err.find("lock") != std::string::npos;
    if (!locked || steady_clock::now() >= deadline) return r;
    std::this_thread::sleep_for(kLockRetry);
  }
}

bool package_installed() {
  const RunResult r =
      run_program(SOCKCALC_DPKG_QUERY, {"-W", "-f=${Status}", "sockcalc"}, kPackagePatience);
  return r.status.exited_with(0) && r.out.find("installed") != std::string::npos &&
         r.out.find("not-installed") == std::string::npos;
}

// Purges the package when the test installed it, whatever failed in between.
class PurgeOnExit {
 public:
  PurgeOnExit() = default;
  PurgeOnExit(const PurgeOnExit&) = delete;
  PurgeOnExit& operator=(const PurgeOnExit&) = delete;
  ~PurgeOnExit() {
    if (armed_) {
      const RunResult r = dpkg({"--purge", "sockcalc"});
      EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    }
  }
  void arm() { armed_ = true; }
  void disarm() { armed_ = false; }

 private:
  bool armed_ = false;
};

TEST(DebianPackage, BuildsInstallsRunsAndRemoves) {
  if (SOCKCALC_SANITIZED) {
    GTEST_SKIP() << "sanitized build: the package is made from the default preset's build";
  }
  if (std::string(SOCKCALC_DPKG).empty()) GTEST_SKIP() << "dpkg not found: not a Debian system";
  const MachineLock lock;
  ASSERT_TRUE(lock.held()) << "another run held " << lock.path() << " too long";
  if (package_installed()) {
    GTEST_SKIP() << "a sockcalc package is installed on this machine already: this test does "
                    "not touch it (dpkg --purge sockcalc, then run the test again)";
  }

  // cpack -G DEB, as `make deb`, but into a directory of its own.
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const RunResult cpack =
      run_program(SOCKCALC_CPACK_COMMAND,
                  {"-G", "DEB", "--config", std::string(SOCKCALC_BUILD_DIR) + "/CPackConfig.cmake",
                   "-B", dir.path()},
                  kPackagePatience);
  ASSERT_TRUE(cpack.status.exited_with(0)) << cpack.report;
  std::string deb;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".deb") deb = entry.path().string();
  }
  ASSERT_NE(deb, "") << "no .deb in " << dir.path() << "\n" << cpack.report;
  EXPECT_EQ(fs::path(deb).filename().string().rfind(std::string("sockcalc_") + kVersion + "_", 0),
            0U)
      << deb;

  // The control fields.
  const RunResult fields = run_program(
      SOCKCALC_DPKG_DEB, {"-f", deb, "Package", "Version", "Maintainer", "Depends", "Description"});
  ASSERT_TRUE(fields.status.exited_with(0)) << fields.report;
  EXPECT_NE(fields.out.find("Package: sockcalc\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find(std::string("Version: ") + kVersion + "\n"), std::string::npos)
      << fields.out;
  EXPECT_NE(fields.out.find("Maintainer: "), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Depends: libc6"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("libstdc++6"), std::string::npos) << fields.out;

  // Its content: programs, man pages and completions under the installed names, the library.
  const RunResult content = run_program(SOCKCALC_DPKG_DEB, {"-c", deb});
  ASSERT_TRUE(content.status.exited_with(0)) << content.report;
  std::vector<std::string> expected = {
      "./usr/lib/libsockcalc.a", "./usr/include/sockcalc/protocol/codec.hpp",
      "./usr/lib/pkgconfig/sockcalc.pc", "./usr/lib/systemd/system/sockcalc.service",
      "./usr/lib/systemd/system/sockcalc.socket"};
  for (const std::string& tool : tools()) {
    expected.push_back("./usr/bin/sockcalc-" + tool);
    expected.push_back("./usr/share/bash-completion/completions/sockcalc-" + tool);
    if (SOCKCALC_MAN_PAGES) expected.push_back("./usr/share/man/man1/sockcalc-" + tool + ".1");
  }
  for (const std::string& file : expected) {
    EXPECT_NE(content.out.find(" " + file + "\n"), std::string::npos) << file;
  }

  if (::geteuid() != 0) {
    GTEST_SKIP() << "not root: the package was built and checked, not installed (dpkg -i)";
  }
  PurgeOnExit purge;
  const RunResult install = dpkg({"-i", deb});
  if (install.status.exited_with(0)) purge.arm();
  ASSERT_TRUE(install.status.exited_with(0)) << install.report;
  ASSERT_TRUE(package_installed());

  // The installed programs, as a user runs them.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::start("/usr/bin/sockcalc-server", {"::1", "0"}));
  const std::vector<std::uint32_t> operands = {1, 3, 5, 7, 9};
  const RunResult client =
      run_program("/usr/bin/sockcalc-client",
                  concat({"-op", "*", "-s", "::1", server->port_arg()}, as_args(operands)));
  EXPECT_TRUE(client.status.exited_with(0)) << client.report << server->report();
  EXPECT_EQ(client.out, integration::expected_output(protocol::Op::product, operands))
      << client.report;
  EXPECT_TRUE(server->stop()) << server->report();

  if (SOCKCALC_MAN_PAGES && !std::string(SOCKCALC_MAN).empty()) {
    const RunResult man = run_program(SOCKCALC_MAN, {"-w", "sockcalc-server"});
    EXPECT_TRUE(man.status.exited_with(0)) << man.report;
    EXPECT_EQ(man.out.rfind("/usr/share/man/man1/sockcalc-server.1", 0), 0U) << man.report;
  }
  EXPECT_TRUE(fs::is_regular_file("/usr/share/bash-completion/completions/sockcalc-client"));
  if (!std::string(SOCKCALC_PKG_CONFIG).empty()) {
    const RunResult pc = run_program(SOCKCALC_PKG_CONFIG, {"--modversion", "sockcalc"});
    EXPECT_EQ(pc.out, std::string(kVersion) + "\n") << pc.report;
  }

  const RunResult remove = dpkg({"--purge", "sockcalc"});
  purge.disarm();
  EXPECT_TRUE(remove.status.exited_with(0)) << remove.report;
  EXPECT_FALSE(fs::exists("/usr/bin/sockcalc-server"));
  EXPECT_FALSE(package_installed());
}

}  // namespace
}  // namespace sockcalc::install_test
