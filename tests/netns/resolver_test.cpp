// SPDX-License-Identifier: MIT
// tests/netns/resolver_test.cpp -- internal to tests/netns.
// A resolver that cannot answer (EAI_AGAIN) is a failure of the moment, not a usage error
// (issue 12): every program given a host name it cannot resolve now exits with its status for
// a network or system failure, while a name that can never resolve stays a usage error (2).
// The host's resolver is its own: `ip netns exec` bind-mounts /etc/netns/NAMESPACE/resolv.conf
// over /etc/resolv.conf, and ours names 127.0.0.53, the host's own loopback, where nothing
// listens: each query is refused at once, inside the namespace. Test thread only; the
// namespace and its /etc/netns directory are removed, even when a test fails.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "netns.hpp"

namespace sockcalc::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kNetnsEtc = "/etc/netns";  // where `ip netns exec` looks (ip-netns(8))

// A name that only a resolver can answer (.test is reserved, RFC 6761): never in /etc/hosts.
constexpr const char* kName = "calc.sockcalc.test";
// A name no resolver can answer: an empty label, refused before any query is sent.
constexpr const char* kBadName = "no..such.host";
constexpr const char* kTemporary = "cannot resolve 'calc.sockcalc.test': temporary failure";
constexpr int kUsage = 2;  // every program's usage error

// Removes what a run that died left in /etc/netns: directories of lab namespaces that are gone.
void sweep_stale_resolver_dirs() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kNetnsEtc, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("sc-") && !netns_exists(name)) fs::remove_all(entry.path(), ec);
  }
}

class ResolverDown : public ::testing::Test {
 protected:
  void SetUp() override {
    SOCKCALC_REQUIRE_NETNS_OR_SKIP();
    auto made = NetLab::create();
    ASSERT_TRUE(made.ok()) << made.error().message();
    lab_ = std::move(*made);
    SOCKCALC_ASSERT_OK(lab_->add_host("h"));
    sweep_stale_resolver_dirs();
    std::error_code ec;
    made_etc_ = fs::create_directory(kNetnsEtc, ec);
    dir_ = kNetnsEtc / lab_->netns("h");
    ASSERT_TRUE(fs::create_directory(dir_, ec)) << dir_ << ": " << ec.message();
    std::ofstream conf(dir_ / "resolv.conf");
    // One try of one second at most, should a query ever go unanswered instead of refused.
    conf << "nameserver 127.0.0.53\noptions timeout:1 attempts:1\n";
    ASSERT_TRUE(conf.flush()) << "cannot write " << dir_ / "resolv.conf";
  }

  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
    if (made_etc_) fs::remove(kNetnsEtc, ec);  // only when empty: never another's directory
    lab_.reset();
  }

  // `program args...` in the host: it exits with `status` and says `says`; only a usage error
  // (status 2) adds "Try '... --help'.".
  void expect_exit(const std::string& program, const std::vector<std::string>& args, int status,
                   const std::string& says) {
    const RunResult r = lab_->run("h", program, args);
    EXPECT_TRUE(r.status.exited_with(status)) << r.report;
    EXPECT_THAT(r.err, ::testing::HasSubstr(says)) << r.report;
    EXPECT_EQ(r.err.find("--help") != std::string::npos, status == kUsage) << r.report;
  }

  std::unique_ptr<NetLab> lab_;
  fs::path dir_;
  bool made_etc_ = false;
};

TEST_F(ResolverDown, ClientExitsNoReply) {
  expect_exit(SOCKCALC_CLIENT_BIN, {"-op", "+", kName, "10000", "1", "2"}, 4,
              std::string("client: ") + kTemporary);
}

TEST_F(ResolverDown, ServerCannotStart) {
  expect_exit(SOCKCALC_SERVER_BIN, {kName, "10000"}, 1, kTemporary);
}

TEST_F(ResolverDown, LinksimCannotStartOnEitherAddress) {
  expect_exit(SOCKCALC_LINKSIM_BIN, {"::1", "0", kName, "10000"}, 1, kTemporary);
  expect_exit(SOCKCALC_LINKSIM_BIN, {kName, "0", "::1", "10000"}, 1, kTemporary);
}

TEST_F(ResolverDown, LoadgenCannotRun) {
  expect_exit(SOCKCALC_LOADGEN_BIN, {"-d", "1", kName, "10000"}, 3, kTemporary);
}

TEST_F(ResolverDown, ConformanceCannotRun) {
  expect_exit(SOCKCALC_CONFORMANCE_BIN, {"server", kName, "10000"}, 3, kTemporary);
  expect_exit(SOCKCALC_CONFORMANCE_BIN, {"--host", kName, "client", "--", SOCKCALC_CLIENT_BIN}, 3,
              kTemporary);
}

// The same resolver, a name that can never resolve: the user's mistake, a usage error.
TEST_F(ResolverDown, ABadNameIsStillAUsageError) {
  const std::string says = std::string("cannot resolve '") + kBadName + "': name or service";
  expect_exit(SOCKCALC_CLIENT_BIN, {"-op", "+", kBadName, "10000", "1"}, kUsage, says);
  expect_exit(SOCKCALC_SERVER_BIN, {kBadName, "10000"}, kUsage, says);
}

}  // namespace
}  // namespace sockcalc::testing
