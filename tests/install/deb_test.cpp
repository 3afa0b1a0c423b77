// SPDX-License-Identifier: MIT
// tests/install/deb_test.cpp -- internal to tests/install.
// The Debian packages (debian/), built as `make deb` builds them (scripts/build-deb.sh: a copy
// of the source tree, dpkg-buildpackage, lintian) into a temporary directory: no lintian error
// or warning, and every other tag named in docs/INSTALL.md; the control fields and files;
// hardening-check on every program. Then, as root: dpkg -i of both packages, the installed
// programs over ::1, programs built against libsockcalc-dev with find_package only and with
// pkg-config only, the static library linked whole into a shared object, and dpkg --purge
// leaving nothing behind. Skipped where a sockcalc package is installed already; one run at a
// time on the machine (a lock file), since dpkg changes the whole system. Test thread only.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/core/unique_fd.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/version.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

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

// The package build compiles the whole project with -O2: minutes on a busy 2-core machine.
constexpr milliseconds kBuildPatience = std::chrono::minutes(40);
constexpr milliseconds kPackagePatience = std::chrono::minutes(3);
// How long to wait for another run of this test, or for apt/dpkg, to release their locks.
constexpr milliseconds kLockPatience = std::chrono::minutes(4);
constexpr milliseconds kLockRetry{200};

const std::vector<std::string> kPackages = {"sockcalc", "libsockcalc-dev"};

// The machine-wide lock that serialises this test between build directories.
class MachineLock {
 public:
  // Waits up to kLockPatience for the lock; held() tells whether it was taken.
  MachineLock() {
    const char* dir = fs::is_directory("/run/lock") ? "/run/lock" : "/tmp";
    path_ = std::string(dir) + "/sockcalc-deb-test.lock";
    fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_.valid()) return;
    const auto deadline = steady_clock::now() + kLockPatience;
    while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(kLockRetry);  // flock has no timeout of its own
    }
    held_ = true;
  }
  MachineLock(const MachineLock&) = delete;
  MachineLock& operator=(const MachineLock&) = delete;
  ~MachineLock() = default;  // closing fd_ releases the lock
  [[nodiscard]] bool held() const { return held_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  UniqueFd fd_;
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

bool package_installed(const std::string& package) {
  const RunResult r =
      run_program(SOCKCALC_DPKG_QUERY, {"-W", "-f=${Status}", package}, kPackagePatience);
  return r.status.exited_with(0) && r.out.find("installed") != std::string::npos &&
         r.out.find("not-installed") == std::string::npos;
}

// Purges both packages when the test installed them, whatever failed in between.
class PurgeOnExit {
 public:
  PurgeOnExit() = default;
  PurgeOnExit(const PurgeOnExit&) = delete;
  PurgeOnExit& operator=(const PurgeOnExit&) = delete;
  ~PurgeOnExit() {
    if (armed_) {
      const RunResult r = dpkg(concat({"--purge"}, kPackages));
      EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    }
  }
  void arm() { armed_ = true; }
  void disarm() { armed_ = false; }

 private:
  bool armed_ = false;
};

// What scripts/build-deb.sh left in its output directory.
struct Built {
  std::string sockcalc_deb;
  std::string dev_deb;
  std::string dsc;
  std::string changes;
  std::string output;  // build-deb.sh's stdout: its lintian report among it
};

// Finds in `dir` the file whose name is `prefix` followed by anything ending in `suffix`.
std::string find_file(const std::string& dir, const std::string& prefix,
                      const std::string& suffix) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return entry.path().string();
    }
  }
  return "";
}

// `make deb`'s script, into `dir`.
Built build_packages(const std::string& dir) {
  const RunResult r = run_program(std::string(SOCKCALC_SOURCE_DIR) + "/scripts/build-deb.sh", {dir},
                                  kBuildPatience);
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  const std::string v = std::string("_") + kVersion;
  return {find_file(dir, "sockcalc" + v + "_", ".deb"),
          find_file(dir, "libsockcalc-dev" + v + "_", ".deb"),
          find_file(dir, "sockcalc" + v, ".dsc"), find_file(dir, "sockcalc" + v + "_", ".changes"),
          r.out};
}

// The lintian tags in build-deb.sh's output, by severity letter ("E", "W", "I", "P", "X"):
// lines such as "I: sockcalc: package-supports-alternative-init-but-no-init.d-script [...]".
std::map<std::string, std::vector<std::string>> lintian_tags(const std::string& output) {
  std::map<std::string, std::vector<std::string>> tags;
  for (const std::string& line : lines_of(output)) {
    if (line.size() < 4 || line[1] != ':' || line[2] != ' ') continue;
    const std::vector<std::string> words = split_words(line);
    // "I: sockcalc: TAG ..." or "I: sockcalc source: TAG ...".
    const std::size_t at = words.size() > 2 && words[2] == "source:" ? 3 : 2;
    if (words.size() > at) tags[line.substr(0, 1)].push_back(words[at]);
  }
  return tags;
}

void expect_lintian_clean(const std::string& output) {
  const auto tags = lintian_tags(output);
  EXPECT_EQ(tags.count("E"), 0U) << output;
  EXPECT_EQ(tags.count("W"), 0U) << output;
  // Each tag kept is explained in docs/INSTALL.md.
  const std::string install_md = read_file(std::string(SOCKCALC_SOURCE_DIR) + "/docs/INSTALL.md");
  for (const auto& [severity, names] : tags) {
    for (const std::string& name : names) {
      EXPECT_THAT(install_md, HasSubstr("`" + name + "`"))
          << severity << ": " << name << " is not explained in docs/INSTALL.md";
    }
  }
}

std::string multiarch() {
  const RunResult r = run_program(SOCKCALC_DPKG_ARCHITECTURE, {"-qDEB_HOST_MULTIARCH"});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  return lines_of(r.out).empty() ? "" : lines_of(r.out)[0];
}

// The files of a .deb, as "./usr/bin/sockcalc-server" lines.
std::string deb_content(const std::string& deb) {
  const RunResult r = run_program(SOCKCALC_DPKG_DEB, {"-c", deb});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  return r.out;
}

void expect_files(const std::string& content, const std::vector<std::string>& files) {
  for (const std::string& file : files) {
    EXPECT_THAT(content, HasSubstr(" ./" + file + "\n")) << file << "\n" << content;
  }
}

void expect_sockcalc_package(const std::string& deb) {
  const RunResult fields =
      run_program(SOCKCALC_DPKG_DEB, {"-f", deb, "Package", "Version", "Depends", "Section"});
  EXPECT_THAT(fields.out, HasSubstr("Package: sockcalc\n")) << fields.report;
  EXPECT_THAT(fields.out, HasSubstr(std::string("Version: ") + kVersion + "\n"));
  EXPECT_THAT(fields.out, HasSubstr("Depends: libc6")) << fields.out;
  std::vector<std::string> files = {"lib/systemd/system/sockcalc.service",
                                    "lib/systemd/system/sockcalc.socket",
                                    "lib/systemd/system/sockcalc-healthcheck.service",
                                    "usr/share/sockcalc/wireshark/calc.lua",
                                    "usr/share/doc/sockcalc/copyright",
                                    "usr/share/doc/sockcalc/docs/PROTOCOL.md.gz"};
  for (const std::string& tool : tools()) {
    files.push_back("usr/bin/sockcalc-" + tool);
    files.push_back("usr/share/bash-completion/completions/sockcalc-" + tool);
    files.push_back("usr/share/man/man1/sockcalc-" + tool + ".1.gz");
  }
  const std::string content = deb_content(deb);
  expect_files(content, files);
  EXPECT_THAT(content, Not(HasSubstr("/include/"))) << "headers belong to the -dev package";
}

void expect_dev_package(const std::string& deb) {
  const RunResult fields = run_program(SOCKCALC_DPKG_DEB, {"-f", deb, "Package", "Multi-Arch"});
  EXPECT_THAT(fields.out, HasSubstr("Package: libsockcalc-dev\n")) << fields.report;
  EXPECT_THAT(fields.out, HasSubstr("Multi-Arch: same\n")) << fields.out;
  const std::string lib = "usr/lib/" + multiarch();
  expect_files(
      deb_content(deb),
      {lib + "/libsockcalc.a", lib + "/pkgconfig/sockcalc.pc",
       lib + "/cmake/sockcalc/sockcalcConfig.cmake", lib + "/cmake/sockcalc/sockcalcTargets.cmake",
       "usr/include/sockcalc/version.hpp", "usr/include/sockcalc/protocol/codec.hpp",
       "usr/share/doc/libsockcalc-dev/examples/CMakeLists.txt"});
}

// hardening-check on every program of the package, unpacked in `dir`: PIE, stack protector,
// fortify, read-only relocations and immediate binding. Control-flow protection is not asked
// for: Debian 12's dpkg-buildflags does not add -fcf-protection (docs/INSTALL.md).
void expect_hardened(const std::string& deb, const std::string& dir) {
  const RunResult x = run_program(SOCKCALC_DPKG_DEB, {"-x", deb, dir});
  ASSERT_TRUE(x.status.exited_with(0)) << x.report;
  for (const std::string& tool : tools()) {
    const std::string program = dir + "/usr/bin/sockcalc-" + tool;
    const RunResult r = run_program(SOCKCALC_HARDENING_CHECK, {"--nocfprotection", program});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    for (const char* line : {"Position Independent Executable: yes", "Stack protected: yes",
                             "Fortify Source functions: yes", "Read-only relocations: yes",
                             "Immediate binding: yes"}) {
      EXPECT_THAT(r.out, HasSubstr(line)) << program << ": " << line << "\n" << r.out;
    }
  }
}

// The installed programs, as a user runs them.
void expect_programs_run() {
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::start("/usr/bin/sockcalc-server", {"::1", "0"}));
  const std::vector<std::uint32_t> operands = {1, 3, 5, 7, 9};
  const RunResult client =
      run_program("/usr/bin/sockcalc-client",
                  concat({"-op", "*", "-s", "::1", server->port_arg()}, as_args(operands)));
  EXPECT_TRUE(client.status.exited_with(0)) << client.report << server->report();
  EXPECT_EQ(client.out, integration::expected_output(protocol::Op::product, operands))
      << client.report;
  EXPECT_TRUE(server->stop()) << server->report();
  if (!std::string(SOCKCALC_MAN).empty()) {
    const RunResult man = run_program(SOCKCALC_MAN, {"-w", "sockcalc-server"});
    EXPECT_EQ(man.out.rfind("/usr/share/man/man1/sockcalc-server.1", 0), 0U) << man.report;
  }
}

// The examples the -dev package ships, built with find_package(sockcalc) alone (no prefix
// path: CMake finds the package under the multiarch libdir), one of them run against the
// installed server.
void expect_find_package_consumer(const std::string& dir) {
  const std::string build = dir + "/examples";
  const RunResult configure = run_program(SOCKCALC_CMAKE_COMMAND,
                                          {"-S", "/usr/share/doc/libsockcalc-dev/examples", "-B",
                                           build, "-DCMAKE_CXX_COMPILER=" SOCKCALC_CXX_COMPILER},
                                          kPackagePatience);
  ASSERT_TRUE(configure.status.exited_with(0)) << configure.report;
  EXPECT_THAT(read_file(build + "/CMakeCache.txt"),
              HasSubstr("sockcalc_DIR:PATH=/usr/lib/" + multiarch() + "/cmake/sockcalc\n"));
  const RunResult compile = run_program(
      SOCKCALC_CMAKE_COMMAND, {"--build", build, "--target", "03_request_reply"}, kPackagePatience);
  ASSERT_TRUE(compile.status.exited_with(0)) << compile.report;
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::start("/usr/bin/sockcalc-server", {"::1", "0"}));
  const RunResult ask =
      run_program(build + "/03_request_reply", {server->address().to_string(), "20", "22"});
  EXPECT_TRUE(ask.status.exited_with(0)) << ask.report << server->report();
  EXPECT_THAT(ask.out, HasSubstr("\nsum = 42\n")) << ask.report;
}

// tests/install/pkgconfig_consumer.cpp built with `pkg-config --cflags --libs sockcalc` alone.
void expect_pkg_config_consumer(const std::string& dir) {
  ASSERT_NE(std::string(SOCKCALC_PKG_CONFIG), "") << "pkg-config not found";
  const RunResult flags = run_program(SOCKCALC_PKG_CONFIG, {"--cflags", "--libs", "sockcalc"});
  ASSERT_TRUE(flags.status.exited_with(0)) << flags.report;
  const std::string program = dir + "/consumer";
  const RunResult compile = run_program(
      SOCKCALC_CXX_COMPILER,
      concat(
          {"-std=c++20", std::string(SOCKCALC_SOURCE_DIR) + "/tests/install/pkgconfig_consumer.cpp",
           "-o", program},
          split_words(flags.out)),
      kPackagePatience);
  ASSERT_TRUE(compile.status.exited_with(0)) << compile.report;
  const RunResult run = run_program(program, {"20", "22"});
  EXPECT_TRUE(run.status.exited_with(0)) << run.report;
  EXPECT_THAT(run.out, HasSubstr(std::string("sockcalc ") + kVersion + "\n"));
  EXPECT_THAT(run.out, HasSubstr("\nsum = 42\n")) << run.report;
}

// Every object of libsockcalc.a linked into a shared object: only position-independent code
// links there ("relocation ... can not be used when making a shared object").
void expect_library_links_into_shared_object(const std::string& dir) {
  const RunResult link = run_program(
      SOCKCALC_CXX_COMPILER,
      {"-shared", "-o", dir + "/libwhole.so", "-Wl,--whole-archive",
       "/usr/lib/" + multiarch() + "/libsockcalc.a", "-Wl,--no-whole-archive", "-pthread"},
      kPackagePatience);
  EXPECT_TRUE(link.status.exited_with(0)) << link.report;
}

// The paths a .deb holds ("/usr/bin/sockcalc-server", "/usr/share/doc", ...), from the
// "./PATH" word of each `dpkg-deb -c` line.
std::vector<std::string> deb_paths(const std::string& deb) {
  std::vector<std::string> paths;
  for (const std::string& line : lines_of(deb_content(deb))) {
    for (const std::string& word : split_words(line)) {
      if (word.rfind("./", 0) == 0 && word.size() > 2) {
        std::string path = word.substr(1);
        if (path.back() == '/') path.pop_back();
        paths.push_back(path);
        break;
      }
    }
  }
  return paths;
}

bool path_exists(const std::string& path) { return fs::exists(fs::symlink_status(path)); }

// The state files deb-systemd-helper keeps for the units (enabled, masked, or to clean up).
std::vector<std::string> unit_state_files() {
  std::vector<std::string> found;
  for (const char* dir : {"/var/lib/systemd/deb-systemd-helper-enabled",
                          "/var/lib/systemd/deb-systemd-helper-masked"}) {
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
      if (entry.path().filename().string().find("sockcalc") != std::string::npos) {
        found.push_back(entry.path().string());
      }
    }
  }
  return found;
}

TEST(DebianPackages, BuildLintInstallRunPurge) {
  if (SOCKCALC_SANITIZED) GTEST_SKIP() << "sanitized build: the packages are built from source";
  if (std::string(SOCKCALC_DPKG_BUILDPACKAGE).empty()) {
    GTEST_SKIP() << "dpkg-buildpackage not found: not a Debian system with dpkg-dev";
  }
  ASSERT_NE(std::string(SOCKCALC_LINTIAN), "") << "apt-get install lintian (make check-deps)";
  ASSERT_NE(std::string(SOCKCALC_HARDENING_CHECK), "")
      << "apt-get install devscripts (hardening-check; make check-deps)";
  const MachineLock lock;
  ASSERT_TRUE(lock.held()) << "another run held " << lock.path() << " too long";
  for (const std::string& package : kPackages) {
    if (package_installed(package)) {
      GTEST_SKIP() << "the " << package << " package is installed on this machine already: this "
                   << "test does not touch it (dpkg --purge it, then run the test again)";
    }
  }

  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const Built built = build_packages(dir.path() + "/deb");
  ASSERT_NE(built.sockcalc_deb, "") << built.output;
  ASSERT_NE(built.dev_deb, "") << built.output;
  EXPECT_NE(built.dsc, "") << "no source package\n" << built.output;
  EXPECT_NE(built.changes, "") << built.output;
  expect_lintian_clean(built.output);
  expect_sockcalc_package(built.sockcalc_deb);
  expect_dev_package(built.dev_deb);
  expect_hardened(built.sockcalc_deb, dir.path() + "/unpacked");

  if (::geteuid() != 0) {
    GTEST_SKIP() << "not root: the packages were built and checked, not installed (dpkg -i)";
  }
  // What the install adds to the file system: every path of the packages not there before.
  std::vector<std::string> added;
  for (const std::string& deb : {built.sockcalc_deb, built.dev_deb}) {
    for (const std::string& path : deb_paths(deb)) {
      if (!path_exists(path)) added.push_back(path);
    }
  }
  ASSERT_FALSE(added.empty());
  ASSERT_EQ(unit_state_files(), std::vector<std::string>{});
  PurgeOnExit purge;
  const RunResult install = dpkg({"-i", built.sockcalc_deb, built.dev_deb});
  if (install.status.exited_with(0)) purge.arm();
  ASSERT_TRUE(install.status.exited_with(0)) << install.report;
  for (const std::string& path : added) EXPECT_TRUE(path_exists(path)) << path;

  expect_programs_run();
  expect_find_package_consumer(dir.path());
  expect_pkg_config_consumer(dir.path());
  expect_library_links_into_shared_object(dir.path());

  const RunResult remove = dpkg(concat({"--purge"}, kPackages));
  purge.disarm();
  ASSERT_TRUE(remove.status.exited_with(0)) << remove.report;
  for (const std::string& package : kPackages) EXPECT_FALSE(package_installed(package));
  for (const std::string& path : added) {
    EXPECT_FALSE(path_exists(path)) << path << " is left after dpkg --purge";
  }
  EXPECT_EQ(unit_state_files(), std::vector<std::string>{}) << "left after dpkg --purge";
}

}  // namespace
}  // namespace sockcalc::install_test
