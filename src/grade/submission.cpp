// SPDX-License-Identifier: MIT
// grade/submission.cpp -- implementation of grade/submission.hpp.
// The order of a grading: jail (with the copy), build, server checks, client checks. After each
// stage every process of the submission's user is killed, so that nothing of one stage (a build's
// daemon, a fork bomb) runs into the next; what was killed goes into the notes.
#include "sockcalc/grade/submission.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sockcalc/conformance/checks.hpp"
#include "sockcalc/conformance/client_checks.hpp"
#include "sockcalc/conformance/report.hpp"
#include "sockcalc/core/json_text.hpp"
#include "sockcalc/core/unique_fd.hpp"
#include "sockcalc/grade/jail.hpp"
#include "sockcalc/grade/sandbox_user.hpp"

namespace sockcalc::grade {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Output kept from the build and the server (the report shows its end).
constexpr std::size_t kMaxOutput = 64 * 1024;
constexpr std::size_t kShownOutput = 4 * 1024;
// The server must be listening within this after it starts (it is then checked anyway).
constexpr milliseconds kServerStart{3000};
constexpr milliseconds kPollSlice{20};
// A pipe this large holds a chatty server's output between two checks (Linux' default
// pipe-max-size).
constexpr int kServerPipeBytes = 1 << 20;
// "The work dir is full" above this share of its size.
constexpr double kFullShare = 0.95;

// The submission's directory name ("alice" for "class/alice/").
std::string submission_name(const std::string& source) {
  std::filesystem::path p = std::filesystem::path(source).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string tail(const std::string& text) {
  if (text.size() <= kShownOutput) return text;
  return "...\n" + text.substr(text.size() - kShownOutput);
}

std::string describe(const ChildExit& e) {
  if (e.exited) return "exit " + std::to_string(e.code);
  return "killed by signal " + std::to_string(e.signal) + " (" + ::strsignal(e.signal) + ")";
}

// A started program of the submission: its pipes and how it ended.
struct Program {
  ChildHandles h;
  std::string output;  // stdout and stderr, interleaved as read
  std::optional<ChildExit> exit;

  void read() {
    read_available(h.out_fd, output, kMaxOutput);
    read_available(h.err_fd, output, kMaxOutput);
  }
  bool ended() {
    read();
    if (!exit) exit = reap_child(h.pid, Reap::no_hang);
    return exit.has_value();
  }
  void close_all() {
    h.out_fd.reset();
    h.err_fd.reset();
    h.pidfd.reset();
  }
};

class Grading {
 public:
  Grading(std::string source, uid_t uid, const GradeOptions& o)
      : source_(std::move(source)),
        user_{.uid = uid, .limits = o.limits, .work_dir = kWorkDir},
        options_(o) {}

  std::string run();

 private:
  bool build();
  void check_server();
  void check_client();
  void kill_all(const std::string& after);
  void note(std::string text) { notes_.push_back(std::move(text)); }
  conformance::Report not_run(const std::string& mode, const std::string& why) const;
  std::string finish();

  std::string source_;
  SandboxUser user_;
  GradeOptions options_;
  Clock::time_point start_ = Clock::now();
  Json build_ = {{"status", "not_run"}, {"exit_code", nullptr}, {"seconds", 0}, {"output", ""}};
  Json server_ = {{"started", false}, {"listening", false}, {"ended", ""}, {"output", ""}};
  std::optional<conformance::Report> server_report_;
  std::optional<conformance::Report> client_report_;
  std::size_t killed_ = 0;
  std::vector<std::string> notes_;
};

void Grading::kill_all(const std::string& after) {
  const std::size_t n = kill_processes(user_.uid);
  killed_ += n;
  if (n > 0) {
    note(std::to_string(n) + (n == 1 ? " process" : " processes") + " still running after " +
         after + ": killed" +
         (n + 1 >= user_.limits.processes
              ? " (the process limit is " + std::to_string(user_.limits.processes) + ")"
              : ""));
  }
}

bool Grading::build() {
  const auto started = Clock::now();
  auto handles = start_with_pipes({"make"}, start_as(user_));
  if (!handles) {
    build_["status"] = "not_started";
    note(handles.error().message());
    return false;
  }
  Program make{std::move(*handles), {}, {}};
  const auto deadline = started + options_.limits.build_time;
  while (!make.ended() && Clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (int fd : {make.h.out_fd.get(), make.h.err_fd.get(), make.h.pidfd.get()}) {
      if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), static_cast<int>(kPollSlice.count()));
  }
  const bool timed_out = !make.exit;
  if (timed_out) {
    note("the build did not end within " + std::to_string(options_.limits.build_time.count()) +
         " s: killed");
  }
  kill_all(timed_out ? "the build's time limit" : "the build");
  make.read();
  make.close_all();
  build_["seconds"] = seconds_since(started);
  build_["output"] = tail(make.output);
  if (timed_out) {
    build_["status"] = "timed_out";
    return false;
  }
  build_["exit_code"] = make.exit->exited ? Json(make.exit->code) : Json(nullptr);
  const bool ok = make.exit->exited && make.exit->code == 0;
  build_["status"] = ok ? "ok" : "failed";
  if (!ok) note("the build failed: make " + describe(*make.exit));
  return ok;
}

// True once something of the submission listens on UDP port kServerPort (IPv6 or IPv4): this
// network namespace is the submission's alone.
bool listening() {
  char hex_port[8];
  std::snprintf(hex_port, sizeof hex_port, ":%04X", kServerPort);
  for (const char* table : {"/proc/net/udp6", "/proc/net/udp"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the heading
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local;
      if (fields >> slot >> local && local.size() > 5 &&
          local.compare(local.size() - 5, 5, hex_port) == 0) {
        return true;
      }
    }
  }
  return false;
}

void Grading::check_server() {
  const std::string why = "not run: ";
  if (!std::filesystem::exists(std::string(kWorkDir) + "/server")) {
    note("the build made no ./server");
    server_report_ = not_run("server", "the build made no ./server");
    return;
  }
  auto handles = start_with_pipes({"./server", "::", std::to_string(kServerPort)}, start_as(user_));
  if (!handles) {
    note(handles.error().message());
    server_report_ = not_run("server", handles.error().message());
    return;
  }
  Program server{std::move(*handles), {}, {}};
  for (const UniqueFd* fd : {&server.h.out_fd, &server.h.err_fd}) {
    ::fcntl(fd->get(), F_SETPIPE_SZ, kServerPipeBytes);
  }
  server_["started"] = true;
  const auto ready_by = Clock::now() + kServerStart;
  while (!listening() && !server.ended() && Clock::now() < ready_by) {
    std::this_thread::sleep_for(kPollSlice);
  }
  server_["listening"] = listening();
  if (!server_["listening"].get<bool>()) {
    note("the server was not listening on UDP port " + std::to_string(kServerPort) + " within " +
         std::to_string(kServerStart.count()) + " ms");
  }
  conformance::ServerOptions checks;
  checks.timeout = options_.server_timeout;
  checks.on_check = [&server](const conformance::CheckOutcome&) { server.read(); };
  server_report_ =
      conformance::run_server_checks(Address::loopback(Family::v6, kServerPort), checks);
  if (server.ended()) {
    server_["ended"] = describe(*server.exit);
    note("the server ended before the end of its checks: " + describe(*server.exit));
  } else {
    ::kill(server.h.pid, SIGKILL);  // by pid: not a leftover, the server itself
    server.exit = reap_child(server.h.pid, Reap::wait);
  }
  kill_all("the server checks (the server aside)");
  server.read();
  server.close_all();
  server_["output"] = tail(server.output);
}

void Grading::check_client() {
  if (!std::filesystem::exists(std::string(kWorkDir) + "/client")) {
    note("the build made no ./client");
    client_report_ = not_run("client", "the build made no ./client");
    return;
  }
  conformance::ClientOptions checks;
  checks.timeout = options_.client_timeout;
  checks.host = "::1";
  checks.starter = start_as(user_);
  auto report = conformance::run_client_checks({"./client"}, checks);
  if (!report) {
    note(report.error().message());
    client_report_ = not_run("client", report.error().message());
  } else {
    client_report_ = std::move(*report);
  }
  kill_all("the client checks");
}

conformance::Report Grading::not_run(const std::string& mode, const std::string& why) const {
  conformance::Report r;
  r.mode = mode;
  r.target = mode == "server" ? "./server :: " + std::to_string(kServerPort) : "./client";
  r.timeout_ms = static_cast<int>(
      (mode == "server" ? options_.server_timeout : options_.client_timeout).count());
  auto add = [&](const std::string& id, const std::string& rule, const std::string& title) {
    conformance::CheckOutcome o;
    o.id = id;
    o.rule = rule;
    o.title = title;
    conformance::fail(o, "", "not run: " + why);
    r.checks.push_back(std::move(o));
  };
  if (mode == "server") {
    for (const auto& k : conformance::server_checks()) add(k.id, k.rule, k.title);
  } else {
    for (const auto& k : conformance::client_checks()) add(k.id, k.rule, k.title);
  }
  return r;
}

std::string Grading::finish() {
  Json summary = {{"checks", 0}, {"pass", 0}, {"warn", 0}, {"fail", 0}, {"skip", 0}};
  bool passed = build_["status"] == "ok";
  for (const auto* r : {&*server_report_, &*client_report_}) {
    summary["checks"] = summary["checks"].get<std::size_t>() + r->checks.size();
    for (auto s : {conformance::Status::pass, conformance::Status::warn, conformance::Status::fail,
                   conformance::Status::skip}) {
      const std::string key(conformance::to_json(s));
      summary[key] = summary[key].get<std::size_t>() + r->count(s);
    }
    passed = passed && r->passed();
  }
  if (auto use = disk_use(kWorkDir); use && use->size > 0) {
    if (static_cast<double>(use->used) >= kFullShare * static_cast<double>(use->size)) {
      note("the work dir was full at the end: " + std::to_string(use->used >> 10) + " of " +
           std::to_string(use->size >> 10) + " KiB used");
    }
  }
  const Json doc = {{"name", submission_name(source_)},
                    {"path", source_},
                    {"graded", true},
                    {"reason", ""},
                    {"result", passed ? "pass" : "fail"},
                    {"seconds", seconds_since(start_)},
                    {"summary", summary},
                    {"build", build_},
                    {"server", server_},
                    {"server_checks", Json::parse(conformance::format_json(*server_report_))},
                    {"client_checks", Json::parse(conformance::format_json(*client_report_))},
                    {"processes_killed", killed_},
                    {"notes", notes_}};
  return json_text(doc);
}

std::string Grading::run() {
  if (build()) {
    check_server();
    check_client();
  } else {
    const std::string why = "the build " + build_["status"].get<std::string>();
    server_report_ = not_run("server", why);
    client_report_ = not_run("client", why);
  }
  return finish();
}

}  // namespace

std::string grade_in_jail(const std::string& source, uid_t uid, const GradeOptions& options) {
  const JailOptions jail{.source = source, .uid = uid, .disk_bytes = options.limits.disk_bytes};
  if (auto st = make_jail(jail); !st) {
    return not_graded(source, st.error().message());
  }
  return Grading(source, uid, options).run();
}

std::string not_graded(const std::string& source, const std::string& reason) {
  const Json doc = {
      {"name", submission_name(source)},
      {"path", source},
      {"graded", false},
      {"reason", reason},
      {"result", "not_graded"},
      {"seconds", 0},
      {"summary", {{"checks", 0}, {"pass", 0}, {"warn", 0}, {"fail", 0}, {"skip", 0}}},
      {"build", nullptr},
      {"server", nullptr},
      {"server_checks", nullptr},
      {"client_checks", nullptr},
      {"processes_killed", 0},
      {"notes", Json::array()}};
  return json_text(doc);
}

}  // namespace sockcalc::grade
