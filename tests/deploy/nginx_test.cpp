// SPDX-License-Identifier: MIT
// tests/deploy/nginx_test.cpp -- internal to tests/deploy.
// Scale-out: three server programs behind a private nginx (stream module, UDP) configured from
// deploy/nginx/sockcalc-stream.conf.in; every answer checked, every backend seen serving, and
// the rate and latency through nginx measured against one server direct. Test thread only.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "integration.hpp"
#include "sockcalc/socket/datagram_socket.hpp"
#include "support/loadgen_run.hpp"

namespace sockcalc::integration {
namespace {

using protocol::Op;
using testing::expect_every_reply_right;
using testing::LoadRun;
using Clock = std::chrono::steady_clock;

constexpr int kBackends = 3;
// A free port picked by the kernel may be taken by someone else before nginx binds it.
constexpr int kPortAttempts = 3;
// Load: many client sockets (each a stream of UDP sessions through nginx), then one socket
// alone for the latency of a single hop. At most 128 requests are in flight: fewer than a
// server's socket holds with Debian's default receive buffer (212992 bytes; each small datagram
// is charged its whole kernel allocation), so that even a server starved of CPU on a busy
// machine drops none. 300 in flight did drop, and 200 did in a Debug build (docs/SCALING.md).
// A drop costs a 1 s retransmission and counts as a failure of that server in nginx (see the
// template). The count checks below hold either way; they are exact when nothing was
// retransmitted.
const std::vector<std::string> kManySockets = {"-c", "128", "-d", "2", "-w", "0.5", "-t", "1000"};
const std::vector<std::string> kOneSocket = {"-c", "1", "-d", "1", "-w", "0.2", "-t", "1000"};
// A loadgen run ends within duration + warm-up + 2 timeouts; the rest is start-up slack.
constexpr milliseconds kLoadgenLimit{30000};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

// Every `key` in `text` replaced by `value`.
std::string fill(std::string text, std::string_view key, const std::string& value) {
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

// The nginx program: on $PATH, or where Debian installs it (/usr/sbin is not on every PATH).
std::optional<std::string> find_nginx() {
  return testing::find_program("nginx", {"/usr/sbin", "/usr/local/sbin", "/sbin"});
}

// The line that gives this nginx its stream module: "" when built in, load_module when it is a
// dynamic module (Debian: package libnginx-mod-stream); nullopt with `why` when it has none.
std::optional<std::string> stream_module_line(const std::string& nginx, std::string& why) {
  const RunResult v = run_program(nginx, {"-V"});
  const std::string& info = v.err;  // nginx -V writes to stderr
  if (!v.status.exited_with(0)) {
    why = "nginx -V failed\n" + v.report;
    return std::nullopt;
  }
  if (info.find("--with-stream=dynamic") == std::string::npos) {
    if (info.find("--with-stream ") != std::string::npos) return std::string();
    why = "nginx is built without its stream module";
    return std::nullopt;
  }
  constexpr std::string_view kOption = "--modules-path=";
  const auto at = info.find(kOption);
  const std::string dir =
      at == std::string::npos
          ? std::string()
          : info.substr(at + kOption.size(), info.find_first_of(" \n", at) - at - kOption.size());
  const std::string module = dir + "/ngx_stream_module.so";
  if (dir.empty() || ::access(module.c_str(), R_OK) != 0) {
    why = "nginx's stream module is not installed (" + module + "; Debian: libnginx-mod-stream)";
    return std::nullopt;
  }
  return "load_module " + module + ";";
}

// A UDP port on ::1 that is free now: the kernel picks it for a socket we then close.
std::optional<std::uint16_t> free_udp_port() {
  auto s = DatagramSocket::bind(Address::loopback(Family::v6, 0));
  if (!s) return std::nullopt;
  auto local = s->local_address();
  if (!local) return std::nullopt;
  return local->port();
}

// Whether a UDP socket is bound to [::1]:port, from /proc/net/udp6: a readiness check that
// neither sends a datagram (the backends count every one) nor holds the port.
bool udp6_loopback_port_bound(std::uint16_t port) {
  auto table = read_file("/proc/net/udp6");
  if (!table) return false;
  // local_address: the 16 bytes of ::1 as four 32-bit words in host order, then the port.
  char key[64];
  std::snprintf(key, sizeof key, " 00000000000000000000000001000000:%04X ", port);
  return table->find(key) != std::string::npos;
}

// A private nginx in the foreground, one process, everything in `dir`, relaying
// [::1]:port() to the servers of `backends`.
class PrivateNginx {
 public:
  static Result<std::unique_ptr<PrivateNginx>> start(const std::string& nginx,
                                                     const std::string& module_line,
                                                     const std::string& dir,
                                                     const std::vector<Address>& backends) {
    auto templ = read_file(SOCKCALC_NGINX_TEMPLATE);
    if (!templ) return errno_error(ENOENT, "cannot read " + std::string(SOCKCALC_NGINX_TEMPLATE));
    std::string servers;
    for (const Address& b : backends) servers += "server " + b.to_string() + "; ";
    std::string last_failure;
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
      const auto port = free_udp_port();
      if (!port) return errno_error(EADDRNOTAVAIL, "cannot find a free UDP port on ::1");
      const std::string listen = Address::loopback(Family::v6, *port).to_string();
      const std::string stream = fill(fill(*templ, "@LISTEN@", listen), "@SERVERS@", servers);
      if (stream.find('@') != std::string::npos) {
        return Error{{}, "a placeholder of the template is left unfilled:\n" + stream};
      }
      const std::string main = module_line +
                               "\ndaemon off;\nmaster_process off;\nworker_processes 1;\n"
                               "pid " +
                               dir +
                               "/nginx.pid;\nerror_log stderr notice;\n"
                               "events { worker_connections 4096; }\n"
                               "stream { include " +
                               dir + "/sockcalc-stream.conf; }\n";
      if (!write_file(dir + "/sockcalc-stream.conf", stream) ||
          !write_file(dir + "/nginx.conf", main)) {
        return errno_error(EIO, "cannot write the nginx configuration in " + dir);
      }
      auto p = Process::start(nginx, {"-p", dir + "/", "-c", dir + "/nginx.conf", "-e", "stderr"});
      if (!p) return p.error();
      if (wait_until_bound(**p, *port)) {
        return std::unique_ptr<PrivateNginx>(new PrivateNginx(std::move(*p), *port, stream));
      }
      (*p)->terminate();
      last_failure = (*p)->report();
      // Someone took the port between our probe and nginx's bind: try another one.
      if (last_failure.find("Address already in use") == std::string::npos) break;
    }
    return Error{{}, "nginx did not start:\n" + last_failure};
  }

  [[nodiscard]] std::string port_arg() const { return std::to_string(port_); }
  [[nodiscard]] const std::string& stream_config() const { return stream_; }
  Process& process() { return *process_; }

 private:
  PrivateNginx(std::unique_ptr<Process> p, std::uint16_t port, std::string stream)
      : process_(std::move(p)), port_(port), stream_(std::move(stream)) {}

  // Until nginx has bound the port, or exits, or kPatience passes.
  static bool wait_until_bound(Process& p, std::uint16_t port) {
    const auto deadline = Clock::now() + kPatience;
    while (Clock::now() < deadline) {
      if (udp6_loopback_port_bound(port)) return true;
      if (p.wait_for_exit(milliseconds(10))) return false;  // it gave up: its stderr says why
    }
    return false;
  }

  std::unique_ptr<Process> process_;
  std::uint16_t port_;
  std::string stream_;
};

// Runs loadgen with `settings` against `port` on ::1 and checks every answer was right.
LoadRun run_loadgen(const std::vector<std::string>& settings, const std::string& port) {
  return expect_every_reply_right(
      run_program(SOCKCALC_LOADGEN_BIN, concat(settings, {"--json", "::1", port}), kLoadgenLimit));
}

// The counter `name` of a server's "received=... answered=..." stats line.
std::optional<std::uint64_t> counter(const std::string& line, const std::string& name) {
  const std::string spaced = " " + line;  // the first counter has no space before it
  const auto at = spaced.find(" " + name + "=");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(spaced.c_str() + at + name.size() + 2, nullptr, 10);
}

std::string figures(const LoadRun& r) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(0);
  out << r.requests_per_second << " requests/s, p50 " << r.p50_us << " us, p99 " << r.p99_us
      << " us";
  return out.str();
}

class DeployNginx : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& s : servers_) print_on_failure(s.get());
    if (nginx_) std::cerr << "nginx:\n" << nginx_->process().report();
  }

  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::unique_ptr<PrivateNginx> nginx_;
};

// P-1, P-7, P-12: a server keeps nothing between datagrams, so any of them may answer any
// request; nginx relays each request (a session of its own: proxy_responses 1) to the next
// server in turn.
TEST_F(DeployNginx, SpreadsRequestsOverEveryServerAndEveryAnswerIsRight) {
  const auto nginx = find_nginx();
  if (!nginx) GTEST_SKIP() << "nginx is not installed (Debian: nginx, libnginx-mod-stream)";
  std::string why;
  const auto module_line = stream_module_line(*nginx, why);
  if (!module_line) GTEST_SKIP() << why;

  std::vector<Address> backends;
  for (int i = 0; i < kBackends; ++i) {
    std::unique_ptr<ServerProcess> s;
    ASSERT_OK_AND_ASSIGN(s, start_server({"--threads", "1", "::1", "0"}));
    backends.push_back(s->address());
    servers_.push_back(std::move(s));
  }
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  ASSERT_OK_AND_ASSIGN(nginx_, PrivateNginx::start(*nginx, *module_line, dir->path(), backends));
  const std::string port = nginx_->port_arg();

  // The client program through nginx, one datagram per call (no retransmission allowed).
  const std::vector<std::uint32_t> operands = {7, 11, 4294967295u, 65536, 65536};
  double requests = 0;
  for (const bool product : {false, true}) {
    for (const bool string : {false, true}) {
      std::vector<std::string> args = {"-op", product ? "*" : "+", "--retries", "0", "-t", "3000"};
      if (string) args.emplace_back("-s");
      const RunResult r = run_client(concat(concat(args, {"::1", port}), as_args(operands)));
      EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report;
      EXPECT_EQ(r.out, expected_output(product ? Op::product : Op::sum, operands)) << r.report;
      ++requests;
    }
  }

  // Many client sockets, then one, through nginx; every answer checked by loadgen.
  const LoadRun many = run_loadgen(kManySockets, port);
  const LoadRun one = run_loadgen(kOneSocket, port);
  requests += many.requests + one.requests;
  const double retransmits = many.retransmits + one.retransmits;

  // Each backend's counters, now that the traffic through nginx is over.
  std::uint64_t served = 0;
  std::vector<std::uint64_t> received;
  for (auto& s : servers_) {
    s->process().send_signal(SIGUSR1);
    const auto line = s->process().wait_for_line("server: stats ", kPatience);
    ASSERT_TRUE(line.has_value()) << s->report();
    const auto r = counter(*line, "received");
    const auto a = counter(*line, "answered");
    const auto results = counter(*line, "results");
    ASSERT_TRUE(r && a && results) << *line;
    EXPECT_EQ(*a, *r) << "every datagram answered (P-7): " << *line;
    EXPECT_EQ(*results, *r) << "every request valid, every answer a result: " << *line;
    received.push_back(*r);
    served += *r;
  }
  // Every request reached a server at least once (it was answered), and no server saw more
  // datagrams than were sent: exact when nothing was retransmitted.
  EXPECT_GE(static_cast<double>(served), requests);
  EXPECT_LE(static_cast<double>(served), requests + retransmits);
  for (std::size_t i = 0; i < received.size(); ++i) {
    EXPECT_GT(received[i], 0u) << "server " << backends[i].to_string() << " served nothing";
    // Round robin: a fair share is a third; half of that is far from any plausible skew.
    EXPECT_GE(received[i] * 2 * kBackends, served)
        << "server " << backends[i].to_string() << " got too small a share";
  }

  // The same loads straight to one server, for comparison.
  const LoadRun many_direct = run_loadgen(kManySockets, servers_[0]->port_arg());
  const LoadRun one_direct = run_loadgen(kOneSocket, servers_[0]->port_arg());

  std::ostringstream shares;
  for (std::size_t i = 0; i < received.size(); ++i) shares << (i ? " " : "") << received[i];
  std::cout << "[ figures  ] measured on a shared, busy machine; loadgen " << kManySockets[1]
            << " sockets / 1 socket\n"
            << "[ figures  ] requests through nginx " << requests << ", retransmits " << retransmits
            << ", per server " << shares.str() << "\n"
            << "[ figures  ] through nginx, many sockets: " << figures(many) << "\n"
            << "[ figures  ] direct,        many sockets: " << figures(many_direct) << "\n"
            << "[ figures  ] through nginx, 1 socket:     " << figures(one) << "\n"
            << "[ figures  ] direct,        1 socket:     " << figures(one_direct) << std::endl;
  RecordProperty("nginx_rps", static_cast<int>(many.requests_per_second));
  RecordProperty("direct_rps", static_cast<int>(many_direct.requests_per_second));

  // Stopped by pid: nginx on SIGTERM (fast shutdown), the servers as always.
  EXPECT_TRUE(nginx_->process().terminate()) << nginx_->process().report();
  EXPECT_TRUE(nginx_->process().status().exited_with(0)) << nginx_->process().report();
  for (auto& s : servers_) {
    EXPECT_TRUE(s->stop()) << s->report();
    EXPECT_TRUE(s->process().status().exited_with(kServerOk)) << s->report();
  }
}

}  // namespace
}  // namespace sockcalc::integration
