// SPDX-License-Identifier: MIT
// tests/install/manifest_test.cpp -- internal to tests/install.
// `cmake --install` of this build as `make install PREFIX=... DESTDIR=...` runs it, into
// temporary directories: where the systemd units go for /usr, /usr/local and any other prefix
// (cmake/install_units.cmake), that install_manifest.txt lists every installed file, and that
// after the Makefile's install, `make uninstall` (cmake/uninstall.cmake) removes those files
// and sockcalc's directories but nothing else. Each install rewrites the build's
// install_manifest.txt: ctest runs this under RESOURCE_LOCK sockcalc_install. Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"

using ::testing::HasSubstr;

namespace sockcalc::install_test {
namespace {

namespace fs = std::filesystem;
using integration::concat;
using testing::run_program;
using testing::RunResult;
using testing::StartOptions;
using testing::TempDir;

constexpr std::chrono::milliseconds kInstallPatience = std::chrono::minutes(2);
const std::string kBuildDir = SOCKCALC_BUILD_DIR;

// `cmake --install` of this build with --prefix `prefix`, DESTDIR=`destdir` when not empty;
// returns the files the install manifest lists.
std::vector<std::string> install(const std::string& prefix, const std::string& destdir = "") {
  StartOptions options;
  if (!destdir.empty()) options.env.push_back("DESTDIR=" + destdir);
  const RunResult r =
      run_program(SOCKCALC_CMAKE_COMMAND, {"--install", kBuildDir, "--prefix", prefix}, options,
                  kInstallPatience);
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  return lines_of(read_file(kBuildDir + "/install_manifest.txt"));
}

bool listed(const std::vector<std::string>& manifest, const std::string& file) {
  return std::find(manifest.begin(), manifest.end(), file) != manifest.end();
}

// Both units in `dir` under `destdir`, in the manifest (which, as CMake writes it, leaves
// DESTDIR out), the service starting `server`.
void expect_units(const std::vector<std::string>& manifest, const std::string& destdir,
                  const std::string& dir, const std::string& server) {
  for (const char* unit :
       {"/sockcalc.socket", "/sockcalc.service", "/sockcalc-healthcheck.service"}) {
    EXPECT_TRUE(fs::is_regular_file(destdir + dir + unit)) << destdir + dir + unit;
    EXPECT_TRUE(listed(manifest, dir + unit)) << dir + unit << " is not in install_manifest.txt";
  }
  const std::string service = read_file(destdir + dir + "/sockcalc.service");
  EXPECT_THAT(service, HasSubstr("\nExecStart=" + server + "\n")) << service;
  // The health checker's unit starts the health checker installed next to that server.
  const std::string checker = read_file(destdir + dir + "/sockcalc-healthcheck.service");
  const std::string bin = server.substr(0, server.rfind('/') + 1);
  EXPECT_THAT(checker, HasSubstr("\nExecStart=" + bin + "sockcalc-healthcheck --nft ")) << checker;
}

// The regular files and symbolic links under `root`.
std::vector<std::string> files_under(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.push_back(entry.path().string());
  }
  return files;
}

TEST(InstallManifest, PrefixUsrPutsTheUnitsInSystemdsDirectory) {
  ASSERT_OK_AND_ASSIGN(TempDir dest, TempDir::create());
  const std::vector<std::string> manifest = install("/usr", dest.path());
  // systemd's directory for packaged units: /lib/systemd/system on Debian 12, /usr/lib/... after.
  int found = 0;
  for (const char* dir : {"/lib/systemd/system", "/usr/lib/systemd/system"}) {
    if (!fs::exists(dest.path() + dir)) continue;
    ++found;
    expect_units(manifest, dest.path(), dir, "/usr/bin/sockcalc-server");
  }
  EXPECT_EQ(found, 1);
  EXPECT_FALSE(fs::exists(dest.path() + "/usr/share/sockcalc/systemd"));
}

TEST(InstallManifest, PrefixUsrLocalPutsTheUnitsWhereSystemdReadsThem) {
  ASSERT_OK_AND_ASSIGN(TempDir dest, TempDir::create());
  const std::vector<std::string> manifest = install("/usr/local", dest.path());
  expect_units(manifest, dest.path(), "/usr/local/lib/systemd/system",
               "/usr/local/bin/sockcalc-server");
  EXPECT_FALSE(fs::exists(dest.path() + "/lib"));
  EXPECT_FALSE(fs::exists(dest.path() + "/usr/lib"));
}

TEST(InstallManifest, AnotherPrefixGetsTheUnitsAsCopiesOutsideSystemdsPath) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string prefix = dir.path() + "/opt/sockcalc";
  const std::vector<std::string> manifest = install(prefix);
  expect_units(manifest, "", prefix + "/share/sockcalc/systemd", prefix + "/bin/sockcalc-server");
  EXPECT_FALSE(fs::exists(prefix + "/lib/systemd"));
}

TEST(InstallManifest, ListsEveryInstalledFile) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string prefix = dir.path() + "/p";
  const std::vector<std::string> manifest = install(prefix);
  const std::vector<std::string> files = files_under(prefix);
  EXPECT_GT(files.size(), 30U);
  for (const std::string& file : files) {
    EXPECT_TRUE(listed(manifest, file)) << file << " is not in install_manifest.txt";
  }
  EXPECT_TRUE(listed(manifest, prefix + "/share/sockcalc/wireshark/calc.lua"));
  EXPECT_TRUE(listed(manifest, prefix + "/share/doc/sockcalc/docs/INSTALL.md"));
}

// `make TARGET VAR=VALUE...` in the source tree: the Makefile's own recipes.
RunResult make(const std::vector<std::string>& args) {
  return run_program(SOCKCALC_MAKE,
                     concat({"--no-print-directory", "-C", SOCKCALC_SOURCE_DIR}, args),
                     kInstallPatience);
}

// `make install` without its build step (install-built), staged under DESTDIR as a packager
// does, then `make uninstall`: everything installed is gone, another program's files in the
// same directories are not, and neither are the directories sockcalc shares with others.
TEST(Uninstall, RemovesWhatMakeInstallInstalledAndNothingElse) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string dest = dir.path() + "/stage";
  const std::string local = dest + "/usr/local";
  const std::vector<std::string> others = {local + "/bin/other", local + "/share/man/man1/other.1",
                                           local + "/include/other.hpp"};
  for (const std::string& file : others) {
    fs::create_directories(fs::path(file).parent_path());
    std::ofstream(file) << "not sockcalc's\n";
  }
  // Its own manifest, not the build's: a real `make install` of this build keeps its own.
  const std::string manifest = "INSTALL_MANIFEST=" + dir.path() + "/make_install_manifest.txt";
  const RunResult installed = make({"install-built", "INSTALL_BUILD=" + kBuildDir, manifest,
                                    "PREFIX=/usr/local", "DESTDIR=" + dest});
  ASSERT_TRUE(installed.status.exited_with(0)) << installed.report;
  EXPECT_TRUE(fs::is_regular_file(local + "/bin/sockcalc-server"));
  EXPECT_TRUE(fs::is_regular_file(local + "/lib/systemd/system/sockcalc.service"));

  const RunResult r = make({"uninstall", manifest});
  EXPECT_TRUE(r.status.exited_with(0)) << r.report;
  std::vector<std::string> left = files_under(dest);
  std::sort(left.begin(), left.end());
  std::vector<std::string> expected = others;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(left, expected);
  for (const auto& entry : fs::recursive_directory_iterator(dest)) {
    EXPECT_NE(entry.path().filename(), "sockcalc") << entry.path() << " is left";
  }
  EXPECT_TRUE(fs::is_directory(local + "/share/man/man1"));  // shared: kept
  EXPECT_FALSE(fs::exists(dir.path() + "/make_install_manifest.txt"));

  // Once more: nothing to do, not an error.
  const RunResult again = make({"uninstall", manifest});
  EXPECT_TRUE(again.status.exited_with(0)) << again.report;
  EXPECT_THAT(again.out, HasSubstr("nothing to uninstall")) << again.report;
}

}  // namespace
}  // namespace sockcalc::install_test
