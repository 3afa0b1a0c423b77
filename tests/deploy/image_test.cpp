// SPDX-License-Identifier: MIT
// tests/deploy/image_test.cpp -- internal to tests/deploy.
// The container image of the Containerfile, built with podman by scripts/build-image.sh from
// this build's static programs, in podman storage of the test's own and inside a network
// namespace that has only loopback (nothing can be pulled). Its file system and configuration
// are read back, and the server runs from that file system alone (chroot, as the image's user)
// inside the namespace, asked by the client. No container is run: podman cannot run one on a
// host whose cgroups are in hybrid mode (docs/SERVICE.md, "Container image"). Test thread only.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"
#include "support/netlab.hpp"

using ::testing::HasSubstr;

namespace sockcalc::integration {
namespace {

namespace fs = std::filesystem;
using testing::NetLab;

const std::vector<std::string> kPrograms = {"server", "client", "linksim", "loadgen",
                                            "conformance"};
const std::vector<std::uint32_t> kIntegers = {1, 3, 5, 7, 9};
// The course's port, which the image exposes and its command binds.
const std::string kPort = "10000";
// Building takes about 6 s here; a loaded machine (make check's parallel tests) may take longer.
constexpr milliseconds kBuildTimeout{120000};
// The programs of the image run inside the lab through chroot and ip netns exec.
constexpr milliseconds kRunTimeout{10000};

bool has_program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    if (::access((std::string(dir) + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// config.txt of build-image.sh --export: one KEY=VALUE a line.
std::map<std::string, std::string> read_config(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    out[line.substr(0, eq)] = value;
  }
  return out;
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "Uid:\t65532\t65532\t65532\t65532" and the like, from /proc/PID/status.
std::string status_field(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) return line.substr(key.size() + 1);
  }
  return "(no " + key + " line)";
}

class ContainerImage : public ::testing::Test {
 protected:
  // Builds the image and exports it; every test needs both.
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    if (!has_program("podman")) {
      GTEST_SKIP() << "podman is not installed (Debian: podman; make check-deps installs it)";
    }
    auto made = NetLab::create();
    ASSERT_TRUE(made.ok()) << made.error().message();
    lab_ = std::move(*made);
    ASSERT_TRUE(lab_->add_host("box").ok());
    auto dir = TempDir::create();
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));

    const fs::path storage = fs::path(dir_->path()) / "storage";
    out_ = fs::path(dir_->path()) / "out";
    const RunResult built = lab_->run(
        "box", SOCKCALC_SOURCE_DIR "/scripts/build-image.sh",
        {"--tag", "sockcalc:test", "--storage", storage, "--export", out_, SOCKCALC_STATIC_BIN_DIR},
        kBuildTimeout);
    ASSERT_TRUE(built.status.exited_with(0)) << built.report;
    rootfs_ = out_ / "rootfs";
    config_ = read_config(out_ / "config.txt");
  }

  // `program args...` from the image's file system, as the image's user, inside the lab.
  std::vector<std::string> in_image(const std::string& program,
                                    const std::vector<std::string>& args) const {
    std::vector<std::string> out = {"--userspec=" + config_.at("User"), rootfs_.string(), program};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }

  std::unique_ptr<NetLab> lab_;
  std::unique_ptr<TempDir> dir_;
  fs::path out_;
  fs::path rootfs_;
  std::map<std::string, std::string> config_;
};

// What the image holds and how it is configured to start. Each test builds the image anew (a
// ctest process of its own): two tests, not one per check, to build it twice, not five times.
TEST_F(ContainerImage, HoldsOnlyTheStaticProgramsSetToServeAsNonRoot) {
  std::set<std::string> expected = {"usr", "usr/bin"};
  for (const auto& p : kPrograms) expected.insert("usr/bin/sockcalc-" + p);
  std::set<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(rootfs_)) {
    found.insert(fs::relative(entry.path(), rootfs_).string());
  }
  EXPECT_EQ(found, expected);

  for (const auto& p : kPrograms) {
    const fs::path file = rootfs_ / "usr/bin" / ("sockcalc-" + p);
    struct stat st {};
    ASSERT_EQ(::lstat(file.c_str(), &st), 0) << file;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << file;
    // Root's and not writable by anyone else: the image's user runs them, cannot change them.
    EXPECT_EQ(st.st_uid, 0u) << file;
    EXPECT_EQ(st.st_mode & 07777, 0755u) << file;
  }

  // The configuration: the server on the course's port, as a user that is not root.
  EXPECT_EQ(config_["User"], "65532:65532");
  EXPECT_EQ(config_["ExposedPorts"], kPort + "/udp");
  EXPECT_EQ(config_["Entrypoint"], "/usr/bin/sockcalc-server");
  EXPECT_EQ(config_["Cmd"], ":: " + kPort);
  EXPECT_EQ(config_["Layers"], "1");
  EXPECT_EQ(config_["Licenses"], "MIT");

  // Each program starts from the image alone: no loader, no shared library, no file outside it.
  for (const auto& p : kPrograms) {
    const RunResult r =
        lab_->run("box", "chroot", in_image("/usr/bin/sockcalc-" + p, {"--version"}), kRunTimeout);
    EXPECT_TRUE(r.status.exited_with(0)) << r.report;
    EXPECT_THAT(r.out, HasSubstr("(sockcalc) ")) << r.report;
  }
}

// The image's own command (entry point and arguments), from its file system, as its user, in a
// namespace: the client of this build and the image's own client (the exec probe) get answers.
TEST_F(ContainerImage, ServerFromTheImageAnswersTheClient) {
  std::vector<std::string> command = split_words(config_["Entrypoint"]);
  const auto cmd = split_words(config_["Cmd"]);
  command.insert(command.end(), cmd.begin(), cmd.end());
  ASSERT_FALSE(command.empty());
  const std::vector<std::string> args(command.begin() + 1, command.end());
  auto started = Process::start(testing::ip_program(),
                                lab_->in_host("box", "chroot", in_image(command[0], args)));
  ASSERT_TRUE(started.ok()) << started.error().message();
  Process& server = **started;
  const auto ready = server.wait_for_line("sockcalc-server: listening on ", kPatience);
  ASSERT_TRUE(ready.has_value()) << server.report();
  EXPECT_TRUE(ready->starts_with("[::]:" + kPort)) << *ready;

  // The process runs as the image's user, with no supplementary group, rooted in the image.
  EXPECT_EQ(split_words(status_field(server.pid(), "Uid")), std::vector<std::string>(4, "65532"));
  EXPECT_EQ(split_words(status_field(server.pid(), "Gid")), std::vector<std::string>(4, "65532"));
  EXPECT_EQ(split_words(status_field(server.pid(), "Groups")), std::vector<std::string>{});
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(server.pid()) + "/root"), rootfs_);

  const RunResult sum =
      lab_->run("box", SOCKCALC_CLIENT_BIN, concat({"-op", "+", "::1", kPort}, as_args(kIntegers)));
  EXPECT_TRUE(sum.status.exited_with(kClientOk)) << sum.report << server.report();
  EXPECT_EQ(sum.out, expected_output(protocol::Op::sum, kIntegers));

  const RunResult product =
      lab_->run("box", SOCKCALC_CLIENT_BIN,
                concat({"-op", "*", "-s", "127.0.0.1", kPort}, as_args(kIntegers)));
  EXPECT_TRUE(product.status.exited_with(kClientOk)) << product.report << server.report();
  EXPECT_EQ(product.out, expected_output(protocol::Op::product, kIntegers));

  const RunResult probe =
      lab_->run("box", "chroot",
                in_image("/usr/bin/sockcalc-client",
                         {"-op", "+", "--retries", "1", "--timeout", "200", "::1", kPort, "0"}),
                kRunTimeout);
  EXPECT_TRUE(probe.status.exited_with(kClientOk)) << probe.report << server.report();
  EXPECT_EQ(probe.out, expected_output(protocol::Op::sum, {0}));

  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_exit(kPatience)) << server.report();
  EXPECT_TRUE(server.status().exited_with(kServerOk)) << server.report();
  EXPECT_THAT(server.err(), HasSubstr("sockcalc-server: stopped; received=3 answered=3"))
      << server.report();
}

}  // namespace
}  // namespace sockcalc::integration
