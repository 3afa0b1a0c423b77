// SPDX-License-Identifier: MIT
// tests/deploy/activation_program_test.cpp -- internal to tests/deploy.
// The server program under socket activation, passed a bound socket exactly as systemd passes
// one (fork, the socket at fd 3, LISTEN_FDS=1, LISTEN_PID=the child's pid, execve): served over
// IPv6, IPv4 and a Unix path, shared by several workers, refused when it cannot be served; and
// its log as journald gets it. Test thread only.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>

#include "integration.hpp"
#include "sockcalc/socket/datagram_socket.hpp"

using ::testing::HasSubstr;
using ::testing::Not;

namespace sockcalc::integration {
namespace {

using protocol::Op;
using testing::StartOptions;

const std::vector<std::uint32_t> kIntegers = {1, 3, 5, 7, 9};

// A socket as a .socket unit makes one: blocking (systemd's default, NonBlocking=no), bound to
// `local`, of `type`. The test keeps it open while the server runs, as systemd does.
DatagramSocket systemd_like_socket(const Address& local, int type = SOCK_DGRAM) {
  const int fd = ::socket(local.family(), type | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0) << "socket: " << std::strerror(errno);
  if (fd >= 0 && ::bind(fd, local.data(), local.length()) != 0) {
    ADD_FAILURE() << "cannot bind " << local.to_string() << ": " << std::strerror(errno);
  }
  auto socket = DatagramSocket::adopt(fd);
  EXPECT_TRUE(socket.ok()) << socket.error().message();
  // adopt() made it non-blocking; a .socket unit's socket is blocking (NonBlocking=no).
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return socket.ok() ? std::move(*socket) : DatagramSocket{};
}

Address local_of(const DatagramSocket& s) {
  auto a = s.local_address();
  EXPECT_TRUE(a.ok()) << a.error().message();
  return a.ok() ? *a : Address{};
}

StartOptions passing(const std::vector<const DatagramSocket*>& sockets) {
  StartOptions o;
  for (const DatagramSocket* s : sockets) o.listen_fds.push_back(s->fd());
  return o;
}

// The server started with no address, `socket` passed as systemd passes it.
Result<std::unique_ptr<ServerProcess>> start_activated(const DatagramSocket& socket,
                                                       const std::vector<std::string>& args = {}) {
  return ServerProcess::start(SOCKCALC_SERVER_BIN, args, passing({&socket}));
}

// The client's sum of kIntegers from `target`, checked against the codec.
void expect_sum_from(const std::vector<std::string>& target, const ServerProcess& server) {
  const RunResult r = run_client(concat(concat({"-op", "+"}, target), as_args(kIntegers)));
  EXPECT_TRUE(r.status.exited_with(kClientOk)) << r.report << "server:\n" << server.report();
  EXPECT_EQ(r.out, expected_output(Op::sum, kIntegers)) << r.report;
}

// Stops the server by pid and checks it exits 0 after counting `received` datagrams.
void expect_clean_stop(ServerProcess& server, std::uint64_t received) {
  ASSERT_TRUE(server.stop(SIGTERM)) << server.report();
  EXPECT_TRUE(server.process().status().exited_with(kServerOk)) << server.report();
  EXPECT_THAT(server.process().err(),
              HasSubstr("server: stopped; received=" + std::to_string(received) +
                        " answered=" + std::to_string(received) + " "))
      << server.report();
}

// A passed socket's server, expected to refuse it: exit status and message.
void expect_refused(const StartOptions& options, int status, std::string_view message) {
  auto p = Process::start(SOCKCALC_SERVER_BIN, {}, options);
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_TRUE((*p)->wait_for_exit(kPatience)) << (*p)->report();
  EXPECT_TRUE((*p)->status().exited_with(status)) << (*p)->report();
  EXPECT_THAT((*p)->err(), HasSubstr(message)) << (*p)->report();
  EXPECT_THAT((*p)->err(), Not(HasSubstr("listening on"))) << (*p)->report();
}

// P-1 over IPv6: the server serves fd 3 and says where it listens, with the real port of the
// socket it was given (what users and tests read).
TEST(DeployActivation, ServesAPassedIpv6Socket) {
  const DatagramSocket socket = systemd_like_socket(Address::loopback(Family::v6, 0));
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_activated(socket));
  EXPECT_EQ(server->address(), local_of(socket)) << server->report();
  EXPECT_NE(server->port(), 0);
  expect_sum_from({"::1", server->port_arg()}, *server);
  expect_clean_stop(*server, 1);
}

TEST(DeployActivation, ServesAPassedIpv4Socket) {
  const DatagramSocket socket = systemd_like_socket(Address::loopback(Family::v4, 0));
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_activated(socket));
  EXPECT_EQ(server->address(), local_of(socket)) << server->report();
  expect_sum_from({"127.0.0.1", server->port_arg()}, *server);
  expect_clean_stop(*server, 1);
}

// P-13 path: a Unix socket file bound by the service manager is served, and left in place on
// exit: it belongs to the manager, which keeps listening on it for the next start.
TEST(DeployActivation, ServesAPassedUnixSocketAndLeavesItsFile) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  const std::string path = dir->path() + "/calc.sock";
  auto local = Address::parse_unix("unix:" + path);
  ASSERT_TRUE(local.ok()) << local.error().message();
  const DatagramSocket socket = systemd_like_socket(*local);
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_activated(socket));
  EXPECT_EQ(server->address(), *local) << server->report();
  expect_sum_from({"unix:" + path}, *server);
  expect_clean_stop(*server, 1);
  struct stat st {};
  EXPECT_TRUE(::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
      << "the server removed a socket file it did not create";
}

// Every worker serves the one passed socket. systemd passes it blocking: whatever its mode, the
// workers must answer and still wake up for SIGTERM.
TEST(DeployActivation, WorkersShareABlockingPassedSocketAndStop) {
  const DatagramSocket socket = systemd_like_socket(Address::loopback(Family::v6, 0));
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_activated(socket, {"--threads", "3"}));
  constexpr int kCalls = 6;
  for (int i = 0; i < kCalls; ++i) expect_sum_from({"::1", server->port_arg()}, *server);
  expect_clean_stop(*server, kCalls);
}

// CPU seconds (user + system) the process `pid` has used so far, from /proc/PID/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which ends with the last ')': state is field 3, utime 14.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Whether the kept socket reads as readable with nothing queued: the sign of a socket shut
// down for reading (a receive would return at once, for ever).
bool reads_as_shut_down(const DatagramSocket& kept) {
  pollfd p{kept.fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

// systemd keeps the socket of a .socket unit and starts the next instance on the same fd. The
// first server's stop must leave that socket as it found it: a socket shut down for reading
// made the next instance spin on empty receives (0.95 s of CPU per idle second). Both servers
// answer, and the second one idles. UDP (one socket shared by the workers) and a Unix path,
// one and two workers.
TEST(DeployActivation, TheNextInstanceOnTheKeptSocketAnswersAndIdles) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  for (const char* kind : {"udp", "unix"}) {
    for (const char* threads : {"1", "2"}) {
      auto where = std::string(kind) == "udp"
                       ? Address::loopback(Family::v6, 0)
                       : Address::parse_unix("unix:" + dir->path() + "/again" + threads + ".sock");
      ASSERT_TRUE(where.ok()) << where.error().message();
      SCOPED_TRACE(where->to_string() + " --threads " + threads);
      const DatagramSocket socket = systemd_like_socket(*where);
      const Address local = local_of(socket);
      const std::vector<std::string> target =
          local.is_unix() ? std::vector<std::string>{local.to_string()}
                          : std::vector<std::string>{"::1", std::to_string(local.port())};
      for (int instance = 1; instance <= 2; ++instance) {
        std::unique_ptr<ServerProcess> server;
        ASSERT_OK_AND_ASSIGN(server, start_activated(socket, {"--threads", threads}));
        expect_sum_from(target, *server);
        if (instance == 2) {
          // Idle: a spinning worker would use about the whole interval.
          constexpr auto kIdle = std::chrono::milliseconds(500);
          const double before = cpu_seconds(server->process().pid());
          std::this_thread::sleep_for(kIdle);
          const double used = cpu_seconds(server->process().pid()) - before;
          EXPECT_LT(used, 0.1) << "CPU seconds used in 0.5 s idle\n" << server->report();
        }
        expect_clean_stop(*server, 1);
        EXPECT_FALSE(reads_as_shut_down(socket)) << "instance " << instance;
      }
    }
  }
}

TEST(DeployActivation, RefusesAStreamSocket) {
  const DatagramSocket tcp = systemd_like_socket(Address::loopback(Family::v6, 0), SOCK_STREAM);
  expect_refused(passing({&tcp}), kServerCannotStart,
                 "server: cannot serve fd 3: a stream socket, not a datagram socket");
}

TEST(DeployActivation, RefusesAnUnboundSocket) {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  auto unbound = DatagramSocket::adopt(fd);
  ASSERT_TRUE(unbound.ok()) << unbound.error().message();
  expect_refused(passing({&*unbound}), kServerCannotStart,
                 "server: cannot serve fd 3: the socket is not bound to an address");
}

// Two ListenDatagram= lines: serving one and leaving the other's clients waiting would be
// worse than failing at start, where `systemctl status` shows why.
TEST(DeployActivation, RefusesMoreThanOneSocket) {
  const DatagramSocket a = systemd_like_socket(Address::loopback(Family::v6, 0));
  const DatagramSocket b = systemd_like_socket(Address::loopback(Family::v4, 0));
  expect_refused(passing({&a, &b}), kServerCannotStart,
                 "server: socket activation passed 2 sockets; this server serves exactly one");
}

// Variables inherited from a parent they were meant for (LISTEN_PID names another process)
// pass nothing: no address is then a usage error, as when started by hand.
TEST(DeployActivation, VariablesForAnotherProcessAreIgnored) {
  StartOptions o;
  o.env = {"LISTEN_PID=1", "LISTEN_FDS=1"};
  expect_refused(o, kServerUsage, "server: missing ADDRESS and PORT (or unix:PATH)");
}

TEST(DeployActivation, NoAddressAndNoPassedSocketIsAUsageError) {
  expect_refused(StartOptions{}, kServerUsage, "server: missing ADDRESS and PORT (or unix:PATH)");
}

// Started by hand with an address, the server binds its own socket, whatever was passed.
TEST(DeployActivation, AnAddressOnTheCommandLineWins) {
  const DatagramSocket socket = systemd_like_socket(Address::loopback(Family::v6, 0));
  auto server = ServerProcess::start(SOCKCALC_SERVER_BIN, {"::1", "0"}, passing({&socket}));
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_NE((*server)->address(), local_of(socket)) << (*server)->report();
  expect_sum_from({"::1", (*server)->port_arg()}, **server);
  expect_clean_stop(**server, 1);
}

// What journald stores: stderr read from a pipe (not a terminal), one entry per line. Every
// line is one event, says who wrote it, and holds no terminal escape (no colour) and no
// timestamp of its own (the journal adds one). -v logs every datagram: the busiest log.
TEST(DeployActivation, LogIsOneServerLinePerEventWithoutColour) {
  const DatagramSocket socket = systemd_like_socket(Address::loopback(Family::v6, 0));
  std::unique_ptr<ServerProcess> server;
  ASSERT_OK_AND_ASSIGN(server, start_activated(socket, {"-v", "--threads", "2"}));
  constexpr int kCalls = 3;
  for (int i = 0; i < kCalls; ++i) expect_sum_from({"::1", server->port_arg()}, *server);
  server->process().send_signal(SIGUSR1);
  ASSERT_TRUE(server->process().wait_for_stderr("server: stats ", kPatience)) << server->report();
  expect_clean_stop(*server, kCalls);

  const std::string& err = server->process().err();
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back(), '\n') << "the last line is not finished";
  EXPECT_THAT(err, Not(HasSubstr("\x1b"))) << "an escape sequence in:\n" << err;
  EXPECT_THAT(err, Not(HasSubstr("\r")));
  std::size_t lines = 0;
  std::size_t from = 0;
  std::size_t to = 0;
  while ((to = err.find('\n', from)) != std::string::npos) {
    const std::string_view line(err.data() + from, to - from);
    EXPECT_TRUE(line.starts_with("server: ")) << "line " << lines << ": '" << line << "'";
    from = to + 1;
    ++lines;
  }
  // listening, a request and a reply per call, stats, stopped.
  EXPECT_EQ(lines, 1u + 2u * kCalls + 2u) << err;
}

}  // namespace
}  // namespace sockcalc::integration
