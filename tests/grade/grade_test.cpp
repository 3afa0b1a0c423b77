// SPDX-License-Identifier: MIT
// tests/grade/grade_test.cpp -- `conformance grade` over a class of fixture submissions (C
// sources in fixtures/, one Makefile each made here): the right one passes every check while
// the classic mistakes fail exactly their checks and the hostile ones (fork bomb, network
// escape, writes outside, a client that never exits, a build that never ends, a full disk) are
// contained and reported; then report.json against the documented shape, report.xml through
// xmllint, report.html in headless Chromium. Runs as root only (skipped otherwise, failed
// under SOCKCALC_REQUIRE_NETNS). Single-threaded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/netlab.hpp"
#include "support/process.hpp"

namespace sockcalc::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// The class is graded with these, small enough for a test (docs/CONFORMANCE.md has the
// defaults): a check waits 2 s, a build or a submission 120 s (a loaded
// machine builds slowly; BuildThatNeverEnds has its own); 32 processes, 8 MiB of disk.
const std::vector<std::string> kGradeOptions = {"-t",           "2000", "--build-timeout", "120",
                                                "--time-limit", "120",  "--processes",     "32",
                                                "--disk",       "8",    "--jobs",          "10"};
constexpr milliseconds kGradeRun{240'000};
constexpr milliseconds kBrowserRun{90'000};

// A socket of the test on the host's loopback (port 0: the OS picks), which the network
// fixture is told to reach; it must receive nothing.
class Listener {
 public:
  Listener(int family, int type) {
    fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    }
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
          (type == SOCK_DGRAM || ::listen(fd_, 8) == 0) &&
          ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    type_ = type;
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] int port() const { return port_; }
  /// True when a datagram or a connection reached it.
  [[nodiscard]] bool reached() const {
    if (type_ == SOCK_DGRAM) {
      char b[64];
      return ::recv(fd_, b, sizeof b, MSG_DONTWAIT) >= 0;
    }
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) ::close(c);
    return c >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  int type_ = SOCK_DGRAM;
  bool ok_ = false;
};

// xmllint --xpath's answer without its line end.
std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// A Makefile building ./server and ./client from the fixtures with `cflags`, `extra` first.
std::string makefile(const std::string& cflags, const std::string& extra = "") {
  return "CFLAGS = -O2 " + cflags + "\nall: server client\n" + extra +
         "server: server.c\n\tcc $(CFLAGS) -o server server.c\n"
         "client: client.c\n\tcc $(CFLAGS) -o client client.c\n";
}

// The graded class: a scratch directory of the build with the submissions, the reports, and
// the paths the hostile fixtures aim at; removed at the end.
class GradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      if (netns_required()) FAIL() << "grading needs root, and SOCKCALC_REQUIRE_NETNS=1";
      GTEST_SKIP() << "grading needs root (namespaces, mounts, user ids)";
    }
    scratch_ = fs::path(SOCKCALC_GRADE_SCRATCH) / ("scratch-" + std::to_string(::getpid()));
    fs::remove_all(scratch_);
    fs::create_directories(scratch_ / "class");
    fs::create_directories(outside());
    // World-writable: only the jail's read-only mounts keep the submissions out.
    fs::permissions(outside(), fs::perms::all);
    escape_name_ = "sockcalc-grade-escape-" + std::to_string(::getpid());
  }
  void TearDown() override {
    if (!scratch_.empty()) fs::remove_all(scratch_);
    for (const char* dir : {"/tmp/", "/var/tmp/", "/dev/shm/"}) {
      if (!escape_name_.empty()) fs::remove(dir + escape_name_);
    }
  }

  fs::path outside() const { return scratch_ / "outside"; }
  fs::path out() const { return scratch_ / "report"; }

  fs::path add(const std::string& name, const std::string& make) {
    const fs::path dir = scratch_ / "class" / name;
    fs::create_directories(dir);
    for (const char* f : {"server.c", "client.c"}) {
      fs::copy_file(fs::path(SOCKCALC_GRADE_FIXTURES) / f, dir / f);
    }
    write_file(dir / "Makefile", make);
    fs::permissions(dir, fs::perms::all);
    submissions_.push_back(dir.string());
    return dir;
  }

  // Each test process its own user ids, so that tests run at once share no RLIMIT_NPROC.
  static std::string uid_base() {
    constexpr long kBase = 2'000'000'000;
    constexpr long kSlots = 16;
    return std::to_string(kBase + (::getpid() % 100'000) * kSlots);
  }

  RunResult grade(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"grade", "--out", out().string(), "--uid-base", uid_base()};
    args.insert(args.end(), kGradeOptions.begin(), kGradeOptions.end());
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), submissions_.begin(), submissions_.end());
    return run_program(SOCKCALC_CONFORMANCE_BIN, args, kGradeRun);
  }

  fs::path scratch_;
  std::string escape_name_;
  std::vector<std::string> submissions_;
};

// The ids of the checks of one mode with `status`.
std::set<std::string> with_status(const Json& s, const std::string& mode,
                                  const std::string& status) {
  std::set<std::string> ids;
  for (const Json& c : s[mode + "_checks"]["checks"]) {
    if (c["status"] == status) ids.insert(c["id"].get<std::string>());
  }
  return ids;
}

std::string notes(const Json& s) {
  std::string all;
  for (const Json& n : s["notes"]) all += n.get<std::string>() + "\n";
  return all;
}

// report.json has the shape docs/CONFORMANCE.md documents, and its counts add up.
void expect_json_shape(const Json& doc, std::size_t submissions) {
  EXPECT_EQ(doc["schema"], "sockcalc-grade/1");
  for (const char* key : {"result", "summary", "limits", "checks", "submissions"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
  ASSERT_EQ(doc["submissions"].size(), submissions);
  std::size_t graded = 0;
  std::size_t passed = 0;
  for (const Json& s : doc["submissions"]) {
    for (const char* key :
         {"name", "path", "graded", "reason", "result", "seconds", "summary", "build", "server",
          "server_checks", "client_checks", "processes_killed", "notes"}) {
      EXPECT_TRUE(s.contains(key)) << s["name"] << " lacks " << key;
    }
    graded += s["graded"].get<bool>() ? 1 : 0;
    passed += s["result"] == "pass" ? 1 : 0;
    if (!s["graded"].get<bool>()) continue;
    EXPECT_THAT(std::set<std::string>({"ok", "failed", "timed_out", "not_started"}),
                Contains(s["build"]["status"].get<std::string>()));
    std::size_t checks = 0;
    for (const char* mode : {"server", "client"}) {
      const Json& r = s[std::string(mode) + "_checks"];
      EXPECT_EQ(r["schema"], "sockcalc-conformance/1");
      EXPECT_EQ(r["mode"], mode);
      checks += r["checks"].size();
    }
    EXPECT_EQ(s["summary"]["checks"], checks);
    EXPECT_EQ(s["summary"]["checks"].get<std::size_t>(),
              s["summary"]["pass"].get<std::size_t>() + s["summary"]["warn"].get<std::size_t>() +
                  s["summary"]["fail"].get<std::size_t>() +
                  s["summary"]["skip"].get<std::size_t>());
    EXPECT_EQ(checks, doc["checks"].size());
  }
  EXPECT_EQ(doc["summary"]["submissions"], submissions);
  EXPECT_EQ(doc["summary"]["graded"], graded);
  EXPECT_EQ(doc["summary"]["passed"], passed);
  EXPECT_EQ(doc["result"], graded == submissions ? "graded" : "not_graded");
}

// report.xml is well-formed JUnit with a testsuite per submission and a testcase per check
// (and the build).
void expect_junit(const fs::path& xml, const Json& doc) {
  const RunResult lint = run_program("/usr/bin/xmllint", {"--noout", xml.string()});
  ASSERT_TRUE(lint.status.exited_with(0)) << lint.report;
  const RunResult suites =
      run_program("/usr/bin/xmllint", {"--xpath", "count(/testsuites/testsuite)", xml.string()});
  EXPECT_EQ(trimmed(suites.out), std::to_string(doc["submissions"].size()));
  const Json& first = doc["submissions"][0];
  const RunResult cases = run_program(
      "/usr/bin/xmllint",
      {"--xpath",
       "count(/testsuites/testsuite[@name='" + first["name"].get<std::string>() + "']/testcase)",
       xml.string()});
  EXPECT_EQ(trimmed(cases.out), std::to_string(doc["checks"].size() + 1));
  const RunResult failures =
      run_program("/usr/bin/xmllint", {"--xpath", "count(//testcase/failure)", xml.string()});
  std::size_t failed = 0;
  for (const Json& s : doc["submissions"]) {
    failed += s["summary"]["fail"].get<std::size_t>();
    failed += s["graded"].get<bool>() && s["build"]["status"] != "ok" ? 1 : 0;
  }
  EXPECT_EQ(trimmed(failures.out), std::to_string(failed));
}

// report.html loads in Chromium without a script error and shows the counts of report.json;
// #sort=fail puts the submissions with fewest failures first.
void expect_page(const fs::path& html, const Json& doc) {
  if (::access("/usr/bin/chromium", X_OK) != 0) {
    if (netns_required()) FAIL() << "no /usr/bin/chromium (make check installs it)";
    GTEST_SKIP() << "no /usr/bin/chromium";
  }
  const RunResult dom =
      run_program("/usr/bin/chromium",
                  {"--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                   "--v=0", "--user-data-dir=" + (html.parent_path() / "chromium").string(),
                   "--dump-dom", "file://" + html.string() + "#sort=fail"},
                  kBrowserRun);
  ASSERT_TRUE(dom.status.exited_with(0)) << dom.report;
  EXPECT_THAT(dom.err, Not(HasSubstr("CONSOLE"))) << "a script error or log on the page";
  EXPECT_THAT(dom.out, HasSubstr("data-ready=\"yes\""));
  EXPECT_THAT(dom.out, HasSubstr("data-sorted=\"fail\""));
  const Json& t = doc["summary"];
  std::size_t failed_checks = 0;
  for (const Json& s : doc["submissions"]) failed_checks += s["summary"]["fail"].get<std::size_t>();
  EXPECT_THAT(dom.out,
              HasSubstr("data-submissions=\"" + std::to_string(t["submissions"].get<int>()) +
                        "\" data-graded=\"" + std::to_string(t["graded"].get<int>()) +
                        "\" data-passed=\"" + std::to_string(t["passed"].get<int>()) +
                        "\" data-failed-checks=\"" + std::to_string(failed_checks) + "\""));
  // Sorted by failures: the first row is a submission with none.
  const std::size_t rows = dom.out.find("<tbody id=\"rows\">");
  ASSERT_NE(rows, std::string::npos);
  EXPECT_THAT(dom.out.substr(rows, 400), HasSubstr("<td>correct</td>"));
}

TEST_F(GradeTest, ContainsHostileSubmissionsAndGradesTheOthers) {
  Listener udp4(AF_INET, SOCK_DGRAM), udp6(AF_INET6, SOCK_DGRAM);
  Listener tcp4(AF_INET, SOCK_STREAM), tcp6(AF_INET6, SOCK_STREAM);
  ASSERT_TRUE(udp4.ok() && udp6.ok() && tcp4.ok() && tcp6.ok());

  add("correct", makefile(""));
  add("little-endian", makefile("-DMISTAKE_LITTLE_ENDIAN"));
  add("no-retransmission", makefile("-DMISTAKE_NO_RETRANSMISSION"));
  add("ignores-status", makefile("-DMISTAKE_IGNORES_STATUS"));
  add("fork-bomb", makefile("-DHOSTILE_FORK_BOMB"));
  add("network", makefile("-DHOSTILE_NETWORK -DPROBE_UDP4=" + std::to_string(udp4.port()) +
                          " -DPROBE_UDP6=" + std::to_string(udp6.port()) +
                          " -DPROBE_TCP4=" + std::to_string(tcp4.port()) +
                          " -DPROBE_TCP6=" + std::to_string(tcp6.port())));
  const fs::path writer = scratch_ / "class" / "write-outside";
  add("write-outside", makefile("-DHOSTILE_WRITE_OUTSIDE -DOUTSIDE_DIR='\"" + outside().string() +
                                    "\"' -DSOURCE_DIR='\"" + writer.string() +
                                    "\"' -DESCAPE_NAME='\"" + escape_name_ + "\"'",
                                "\t-touch " + outside().string() + "/escaped-build\n"));
  add("never-exits", makefile("-DHOSTILE_NEVER_EXITS"));
  add("fills-disk", makefile("-DHOSTILE_FILL_DISK"));

  const RunResult run = grade();
  ASSERT_TRUE(run.status.exited_with(0)) << run.report;
  const Json doc = Json::parse(read_file(out() / "report.json"));
  expect_json_shape(doc, submissions_.size());
  std::map<std::string, Json> by_name;
  for (const Json& s : doc["submissions"]) by_name[s["name"].get<std::string>()] = s;

  for (const auto& [name, s] : by_name) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(s["graded"].get<bool>()) << s["reason"];
  }
  // The right one, graded next to the hostile ones: every check passes.
  const Json& correct = by_name["correct"];
  EXPECT_EQ(correct["result"], "pass") << correct.dump(1).substr(0, 4000);
  EXPECT_EQ(correct["summary"]["pass"], doc["checks"].size());
  EXPECT_EQ(correct["processes_killed"], 0);

  // Classic mistakes: exactly the checks that show them.
  EXPECT_THAT(with_status(by_name["little-endian"], "server", "fail"),
              AllOf(Contains("course-sum"), Not(Contains("course-product-string"))));
  EXPECT_TRUE(with_status(by_name["little-endian"], "client", "fail").empty());
  EXPECT_EQ(with_status(by_name["no-retransmission"], "client", "fail"),
            std::set<std::string>({"dropped-first-request"}));
  EXPECT_THAT(with_status(by_name["ignores-status"], "client", "fail"), Contains("error-reply"));
  EXPECT_TRUE(with_status(by_name["ignores-status"], "server", "fail").empty());

  // Fork bomb: stopped by the process limit, killed after the server checks; the server and
  // then the client (same user id) still work.
  const Json& bomb = by_name["fork-bomb"];
  EXPECT_THAT(notes(bomb), HasSubstr("(the process limit is 32)"));
  EXPECT_GE(bomb["processes_killed"].get<int>(), 30);
  EXPECT_EQ(bomb["result"], "pass") << notes(bomb);

  // Network: nothing reached the test's listeners on the host's loopback.
  for (const Listener* l : {&udp4, &udp6, &tcp4, &tcp6}) EXPECT_FALSE(l->reached());
  EXPECT_THAT(by_name["network"]["server"]["output"].get<std::string>(),
              AllOf(HasSubstr("probe tcp 127.0.0.1"), HasSubstr("Connection refused")));
  EXPECT_EQ(by_name["network"]["result"], "pass");

  // Writes outside: refused outside the work dir; /tmp, /var/tmp and /dev/shm are private.
  EXPECT_FALSE(fs::exists(outside() / "escaped-server"));
  EXPECT_FALSE(fs::exists(outside() / "escaped-build"));
  EXPECT_FALSE(fs::exists(writer / "escaped-server"));
  for (const char* dir : {"/tmp/", "/var/tmp/", "/dev/shm/"}) {
    EXPECT_FALSE(fs::exists(dir + escape_name_)) << dir;
  }
  // Read-only, or hidden under the sandbox's private /tmp when the checkout lives in /tmp.
  EXPECT_THAT(by_name["write-outside"]["server"]["output"].get<std::string>(),
              AnyOf(HasSubstr("/escaped-server: Read-only file system"),
                    HasSubstr("/outside/escaped-server: No such file or directory")));

  // Never exits: the success checks time out, each run killed by its pid.
  const std::set<std::string> hung = with_status(by_name["never-exits"], "client", "fail");
  EXPECT_THAT(hung, Contains("course-sum"));
  for (const Json& c : by_name["never-exits"]["client_checks"]["checks"]) {
    if (c["status"] == "fail") {
      EXPECT_TRUE(c["client"]["timed_out"].get<bool>()) << c["id"];
    }
  }

  // A full disk: its own tmpfs filled, the server then serves.
  const Json& full = by_name["fills-disk"];
  EXPECT_THAT(notes(full), HasSubstr("the work dir was full"));
  EXPECT_THAT(full["server"]["output"].get<std::string>(), HasSubstr("disk full after"));
  EXPECT_EQ(full["result"], "pass") << notes(full);

  expect_junit(out() / "report.xml", doc);
  expect_page(out() / "report.html", doc);
}

// A build that never ends: killed at --build-timeout with what it started, nothing checked; the
// submission is graded (and fails).
TEST_F(GradeTest, BuildThatNeverEnds) {
  add("build-never-ends", "all:\n\tsleep 3600\n");
  const RunResult run = grade({"--build-timeout", "2"});
  ASSERT_TRUE(run.status.exited_with(0)) << run.report;
  const Json doc = Json::parse(read_file(out() / "report.json"));
  expect_json_shape(doc, 1);
  const Json& endless = doc["submissions"][0];
  EXPECT_EQ(endless["build"]["status"], "timed_out");
  EXPECT_THAT(notes(endless), HasSubstr("the build did not end within 2 s: killed"));
  EXPECT_GE(endless["processes_killed"].get<int>(), 1);
  EXPECT_EQ(endless["summary"]["fail"], doc["checks"].size());
  EXPECT_EQ(endless["result"], "fail");
}

// A submission that outlives --time-limit is killed with everything it started and reported as
// not graded, as is a path that is no directory; the exit status says so.
TEST_F(GradeTest, NotGradedInTimeIsExitOne) {
  add("endless", "all:\n\tsleep 3600\n");
  submissions_.push_back((scratch_ / "class" / "missing").string());
  const RunResult run = grade({"--time-limit", "2"});
  ASSERT_TRUE(run.status.exited_with(1)) << run.report;
  const Json doc = Json::parse(read_file(out() / "report.json"));
  expect_json_shape(doc, 2);
  EXPECT_EQ(doc["submissions"][0]["reason"], "not graded within the time limit of 2 s: killed");
  EXPECT_EQ(doc["submissions"][1]["reason"], "not a directory");
  EXPECT_THAT(run.out, HasSubstr("endless: not graded: not graded within the time limit"));
}

// Without root, a clear error and exit status 3 (the test drops to nobody when it is root).
TEST(GradeCli, NeedsRoot) {
  const std::vector<std::string> grade = {SOCKCALC_CONFORMANCE_BIN, "grade", "."};
  std::vector<std::string> args = {"--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  args.insert(args.end(), grade.begin(), grade.end());
  const RunResult run = ::geteuid() == 0 ? run_program("/usr/bin/setpriv", args)
                                         : run_program(grade[0], {"grade", "."});
  EXPECT_TRUE(run.status.exited_with(3)) << run.report;
  EXPECT_THAT(run.err, HasSubstr("grading needs root"));
}

// Usage errors: no submission, another mode's '--'.
TEST(GradeCli, UsageErrors) {
  const RunResult none = run_program(SOCKCALC_CONFORMANCE_BIN, {"grade"});
  EXPECT_TRUE(none.status.exited_with(2)) << none.report;
  EXPECT_THAT(none.err, HasSubstr("missing SUBMISSION"));
  const RunResult dash = run_program(SOCKCALC_CONFORMANCE_BIN, {"grade", "a", "--", "b"});
  EXPECT_TRUE(dash.status.exited_with(2)) << dash.report;
}

}  // namespace
}  // namespace sockcalc::testing
