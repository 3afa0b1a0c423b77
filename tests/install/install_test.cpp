// SPDX-License-Identifier: MIT
// tests/install/install_test.cpp -- internal to tests/install.
// What `cmake --install` put under a prefix (the ctest fixture install_prefix.cmake installs
// this build into SOCKCALC_TEST_PREFIX first), used as users use it: the programs under their
// sockcalc- names, man pages, bash completion loaded by bash-completion, and outside builds of
// examples/ (CMake package) and of a small program (pkg-config) run against real sockets.
// Test thread only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "install_support.hpp"
#include "integration.hpp"
#include "sockcalc/core/hex.hpp"
#include "sockcalc/protocol/codec.hpp"
#include "sockcalc/version.hpp"

using ::testing::HasSubstr;

namespace sockcalc::install_test {
namespace {

namespace fs = std::filesystem;
using integration::as_args;
using integration::concat;
using testing::kPatience;
using testing::run_program;
using testing::RunResult;
using testing::ServerProcess;
using testing::TempDir;

const std::string kPrefix = SOCKCALC_TEST_PREFIX;
const std::string kLibDir = kPrefix + "/" + SOCKCALC_LIBDIR;

// A configure or a build of an outside project: generous on a loaded machine.
constexpr std::chrono::milliseconds kBuildPatience = std::chrono::minutes(4);

// The sanitized builds install a library that needs the sanitizer runtime: an outside build
// would have to repeat their flags. The default preset's ctest runs these tests.
#define SKIP_IF_SANITIZED()                                                                 \
  if (SOCKCALC_SANITIZED) {                                                                 \
    GTEST_SKIP() << "sanitized build: its library needs the sanitizer runtime, so outside " \
                    "builds are tested in the non-sanitized builds (default preset)";       \
  }

bool is_executable_file(const std::string& path) {
  return fs::is_regular_file(path) && ::access(path.c_str(), X_OK) == 0;
}

TEST(InstallPrefix, HoldsEveryProgramUnderItsSockcalcName) {
  ASSERT_FALSE(tools().empty());
  for (const std::string& tool : tools()) {
    const std::string program = kPrefix + "/bin/sockcalc-" + tool;
    ASSERT_TRUE(is_executable_file(program)) << program;
    EXPECT_FALSE(fs::exists(kPrefix + "/bin/" + tool)) << "an unprefixed " << tool;
    const RunResult r = run_program(program, {"--version"});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_THAT(r.out, HasSubstr(std::string("(sockcalc) ") + kVersion)) << r.report;
  }
}

TEST(InstallPrefix, HoldsTheManPageOfEveryProgram) {
  if (!SOCKCALC_MAN_PAGES) GTEST_SKIP() << "help2man was not found when this build was configured";
  for (const std::string& tool : tools()) {
    const std::string page = kPrefix + "/share/man/man1/sockcalc-" + tool + ".1";
    const std::string text = read_file(page);
    ASSERT_NE(text, "") << "no man page " << page;
    std::string upper = tool;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    EXPECT_THAT(text, HasSubstr(".TH SOCKCALC-" + upper + " \"1\"")) << page;
    // The synopsis names the installed command, not the build tree's program.
    EXPECT_THAT(text, HasSubstr(".SH SYNOPSIS\n.B sockcalc-" + tool + "\n")) << text;
    EXPECT_THAT(text, HasSubstr("\\-\\-version")) << text;  // roff's "--version"
    EXPECT_THAT(text, HasSubstr(std::string("sockcalc ") + kVersion)) << text;
  }
}

// The systemd units (docs/SERVICE.md): the service starts the program under this prefix. Not
// a system prefix: they are copies under share/, not in a directory systemd reads
// (manifest_test.cpp has /usr and /usr/local).
TEST(InstallPrefix, HoldsTheSystemdUnitsPointingAtThisPrefix) {
  const std::string units = kPrefix + "/share/sockcalc/systemd/";
  EXPECT_TRUE(fs::is_regular_file(units + "sockcalc.socket"));
  const std::string service = read_file(units + "sockcalc.service");
  EXPECT_THAT(service, HasSubstr("\nExecStart=" + kPrefix + "/bin/sockcalc-server\n")) << service;
  const std::string checker = read_file(units + "sockcalc-healthcheck.service");
  EXPECT_THAT(checker, HasSubstr("\nExecStart=" + kPrefix + "/bin/sockcalc-healthcheck --nft "))
      << checker;
  EXPECT_FALSE(fs::exists(kPrefix + "/lib/systemd"));
}

TEST(InstallPrefix, HoldsTheWiresharkDissectorAndTheDocs) {
  EXPECT_EQ(read_file(kPrefix + "/share/sockcalc/wireshark/calc.lua"),
            read_file(std::string(SOCKCALC_SOURCE_DIR) + "/tools/wireshark/calc.lua"));
  const std::string doc = kPrefix + "/share/doc/sockcalc/";
  EXPECT_TRUE(fs::is_regular_file(doc + "README.md"));
  // The README's links to docs/ work there too.
  for (const char* page : {"docs/INSTALL.md", "docs/PROTOCOL.md", "docs/SERVICE.md"}) {
    EXPECT_TRUE(fs::is_regular_file(doc + page)) << page;
  }
}

TEST(InstallPrefix, HoldsTheLibraryItsHeadersAndItsPackageFiles) {
  EXPECT_TRUE(fs::is_regular_file(kLibDir + "/libsockcalc.a"));
  EXPECT_TRUE(fs::is_regular_file(kLibDir + "/cmake/sockcalc/sockcalcConfig.cmake"));
  EXPECT_TRUE(fs::is_regular_file(kLibDir + "/cmake/sockcalc/sockcalcConfigVersion.cmake"));
  EXPECT_TRUE(fs::is_regular_file(kLibDir + "/cmake/sockcalc/sockcalcTargets.cmake"));
  const std::string pc = read_file(kLibDir + "/pkgconfig/sockcalc.pc");
  EXPECT_THAT(pc, HasSubstr(std::string("\nVersion: ") + kVersion + "\n")) << pc;
  EXPECT_TRUE(fs::is_regular_file(kPrefix + "/include/sockcalc/version.hpp"));
  // The public modules' headers and nothing else (docs/ARCHITECTURE.md, "Layers the build
  // enforces"): exactly src/MODULE/include/sockcalc/MODULE/*.hpp of those six, and version.hpp.
  const fs::path src = fs::path(SOCKCALC_SOURCE_DIR) / "src";
  std::set<std::string> expected = {"version.hpp"};
  for (const char* module : {"core", "protocol", "address", "socket", "client", "server"}) {
    const fs::path dir = src / module / "include/sockcalc";
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.path().extension() == ".hpp") expected.insert(fs::relative(entry.path(), dir));
    }
  }
  std::set<std::string> installed;
  const fs::path include = fs::path(kPrefix) / "include/sockcalc";
  for (const auto& entry : fs::recursive_directory_iterator(include)) {
    if (entry.is_regular_file()) installed.insert(fs::relative(entry.path(), include));
  }
  EXPECT_EQ(installed, expected);
  EXPECT_GT(expected.size(), 10u);
  for (const char* internal : {"linksim", "loadgen", "conformance", "capture", "process", "metrics",
                               "healthcheck", "msc"}) {
    EXPECT_FALSE(fs::exists(include / internal)) << internal << " is not part of the library";
  }
}

TEST(InstallPrefix, BashCompletionLoadsOnDemandForEveryProgram) {
  // bash-completion's own loader, as an interactive shell runs it on the first <TAB>.
  const std::string loader = "/usr/share/bash-completion/bash_completion";
  if (!fs::exists(loader)) GTEST_SKIP() << "bash-completion is not installed (" << loader << ")";
  const char* path = std::getenv("PATH");
  for (const std::string& tool : tools()) {
    const std::string command = "sockcalc-" + tool;
    EXPECT_TRUE(fs::is_regular_file(kPrefix + "/share/bash-completion/completions/" + command));
    const RunResult r = run_program(
        SOCKCALC_ENV, {"XDG_DATA_DIRS=" + kPrefix + "/share",
                       "PATH=" + kPrefix + "/bin:" + (path != nullptr ? path : "/usr/bin:/bin"),
                       SOCKCALC_BASH, "-c",
                       "source \"$1\" && __load_completion \"$2\" || exit 3\n"
                       "complete -p \"$2\"\n"
                       "_sockcalc \"$2\" --vers \"$2\" && printf '%s\\n' \"${COMPREPLY[@]}\"",
                       "bash", loader, command});
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_THAT(r.out, HasSubstr("-F _sockcalc " + command + "\n")) << r.report;
    EXPECT_THAT(r.out, HasSubstr("\n--version\n")) << r.report;
  }
}

// The installed server, started on [::1] port 0.
Result<std::unique_ptr<ServerProcess>> start_installed_server() {
  return ServerProcess::start(kPrefix + "/bin/sockcalc-server", {"::1", "0"});
}

TEST(InstallConsumer, BuildsTheExamplesAgainstTheInstalledCMakePackage) {
  SKIP_IF_SANITIZED();
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const std::string build = dir.path() + "/examples";
  const RunResult configure =
      run_program(SOCKCALC_CMAKE_COMMAND,
                  {"-S", std::string(SOCKCALC_SOURCE_DIR) + "/examples", "-B", build,
                   "-DCMAKE_PREFIX_PATH=" + kPrefix, "-DCMAKE_CXX_COMPILER=" SOCKCALC_CXX_COMPILER},
                  kBuildPatience);
  ASSERT_TRUE(configure.status.exited_with(0)) << configure.report;
  // find_package() took the installed package, not this build.
  EXPECT_THAT(read_file(build + "/CMakeCache.txt"),
              HasSubstr("sockcalc_DIR:PATH=" + kLibDir + "/cmake/sockcalc\n"));
  const RunResult compile =
      run_program(SOCKCALC_CMAKE_COMMAND, {"--build", build, "-j", "2"}, kBuildPatience);
  ASSERT_TRUE(compile.status.exited_with(0)) << compile.report;

  // 04_any_family over IPv6 and a Unix path.
  const RunResult any =
      run_program(build + "/04_any_family", {"[::1]:0", "unix:" + dir.path() + "/any.sock"});
  EXPECT_TRUE(any.status.exited_with(0)) << any.report;
  const std::string hello_hex = course_hex(std::as_bytes(std::span(std::string_view("hello"))));
  EXPECT_EQ(lines_of(any.out).size(), 4U) << any.report;
  EXPECT_THAT(any.out, HasSubstr("from unix:(unnamed): " + hello_hex + "\n")) << any.report;

  // 03_request_reply against the installed server.
  ASSERT_OK_AND_ASSIGN(auto server, start_installed_server());
  const std::vector<std::uint32_t> operands = {1, 3, 5, 7, 9};
  const RunResult ask = run_program(build + "/03_request_reply",
                                    concat({server->address().to_string()}, as_args(operands)));
  EXPECT_TRUE(ask.status.exited_with(0)) << ask.report << server->report();
  EXPECT_THAT(
      ask.out,
      HasSubstr("\nsum = " + std::to_string(protocol::compute(protocol::Op::sum, operands)) + "\n"))
      << ask.report;
}

TEST(InstallConsumer, CompilesEveryHeaderAndAProgramWithPkgConfig) {
  SKIP_IF_SANITIZED();
  if (std::string(SOCKCALC_PKG_CONFIG).empty()) GTEST_SKIP() << "pkg-config not found";
  const std::string pc_path = "PKG_CONFIG_PATH=" + kLibDir + "/pkgconfig";
  const RunResult version =
      run_program(SOCKCALC_ENV, {pc_path, SOCKCALC_PKG_CONFIG, "--modversion", "sockcalc"});
  EXPECT_TRUE(version.status.exited_with(0)) << version.report;
  EXPECT_EQ(version.out, std::string(kVersion) + "\n");
  const RunResult flags =
      run_program(SOCKCALC_ENV, {pc_path, SOCKCALC_PKG_CONFIG, "--cflags", "--libs", "sockcalc"});
  ASSERT_TRUE(flags.status.exited_with(0)) << flags.report;

  // One file that includes every installed header as outside code writes it, so that each
  // one is found, and finds what it includes, with those flags alone.
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::create());
  const fs::path include = fs::path(kPrefix) / "include";
  std::ofstream all(dir.path() + "/all_headers.cpp");
  for (const auto& entry : fs::recursive_directory_iterator(include / "sockcalc")) {
    if (entry.path().extension() == ".hpp") {
      all << "#include <" << fs::relative(entry.path(), include).string() << ">\n";
    }
  }
  all.close();

  const std::string program = dir.path() + "/consumer";
  const RunResult compile = run_program(
      SOCKCALC_CXX_COMPILER,
      concat(
          {"-std=c++20", std::string(SOCKCALC_SOURCE_DIR) + "/tests/install/pkgconfig_consumer.cpp",
           dir.path() + "/all_headers.cpp", "-o", program},
          split_words(flags.out)),
      kBuildPatience);
  ASSERT_TRUE(compile.status.exited_with(0)) << compile.report;

  const std::vector<std::uint32_t> operands = {4294967295U, 2, 40};
  const RunResult run = run_program(program, as_args(operands));
  EXPECT_TRUE(run.status.exited_with(0)) << run.report;
  protocol::Request request;
  for (std::uint32_t v : operands) request.operands.push_back(v);
  std::byte bytes[wire::kMaxRequestSize];
  const std::size_t size = protocol::encode_request(request, bytes);
  EXPECT_EQ(run.out,
            std::string("sockcalc ") + kVersion + "\n" + course_hex(std::span(bytes, size)) +
                "\nsum = " + std::to_string(protocol::compute(protocol::Op::sum, operands)) + "\n");
}

}  // namespace
}  // namespace sockcalc::install_test
