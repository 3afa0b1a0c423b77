// SPDX-License-Identifier: MIT
// tests/environment/capture_failure_test.cpp -- internal to tests/environment.
// A --pcap capture that cannot be written (a file size limit, a reader gone, a full disk) ends
// the capture, said once, and never the service or the call (issue 10, section 5).
// Test thread only.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "environment.hpp"
#include "sockcalc/address/address.hpp"
#include "sockcalc/core/unique_fd.hpp"
#include "support/datagrams.hpp"

using ::testing::HasSubstr;

namespace sockcalc::environment {
namespace {

using testing::listening_address;
using testing::run_program;
using testing::ServerProcess;
using testing::TempDir;

constexpr std::string_view kStops = "; the capture stops here";
// The size `ulimit -f 1` allows: one block of 512 bytes.
constexpr std::size_t kSizeLimit = 512;

// The server's records of one exchange (request and reply, about 140 bytes) outgrow a 512-byte
// file within four exchanges.
TEST(CaptureFailure, ServerPastAFileSizeLimitSaysItOnceAndGoesOn) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string pcap = dir->path() + "/server.pcap";
  auto server = start_via_shell(kFileSizeLimited, SOCKCALC_SERVER_BIN,
                                {"--threads", "1", "--pcap", pcap, "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const auto line = (*server)->wait_for_line("server: listening on ", kPatience);
  ASSERT_TRUE(line) << (*server)->report();
  const auto address = Address::parse(listening_address(*line));
  ASSERT_TRUE(address) << *line;
  for (int i = 0; i < 8; ++i) {
    const RunResult client =
        run_program(SOCKCALC_CLIENT_BIN, {"--timeout", "200", "--retries", "2", "-op", "+", "::1",
                                          std::to_string(address->port()), "1", "2"});
    ASSERT_TRUE(client.status.exited_with(0)) << client.report << (*server)->report();
    EXPECT_EQ(client.out, "Result: 3\n");
  }
  ASSERT_TRUE((*server)->terminate()) << (*server)->report();
  EXPECT_TRUE((*server)->status().exited_with(0)) << (*server)->report();
  EXPECT_EQ(count((*server)->err(), kStops), 1u) << (*server)->report();
  EXPECT_THAT((*server)->err(), HasSubstr("cannot write pcap file " + pcap + ": file too large"))
      << (*server)->report();
  // What was written stays readable: whole records only, the one cut short removed.
  std::string why;
  const auto records = pcap_records(pcap, why);
  ASSERT_TRUE(records) << why;
  EXPECT_GE(*records, 2u);
  struct stat st {};
  ASSERT_EQ(::stat(pcap.c_str(), &st), 0);
  EXPECT_LE(static_cast<std::size_t>(st.st_size), kSizeLimit);
}

// A UDP socket on ::1 that plays the server, so that the test decides when the reply leaves.
class ScriptedServer {
 public:
  ScriptedServer() {
    fd_.reset(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    socklen_t len = sizeof a;
    if (!fd_.valid() || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin6_port);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

  // Waits up to kPatience for one request; remembers who sent it.
  bool receive() {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kPatience.count())) != 1) return false;
    std::array<std::byte, 512> buf{};
    peer_length_ = sizeof peer_;
    return ::recvfrom(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer_),
                      &peer_length_) > 0;
  }

  bool reply(const testing::Datagram& d) {
    return ::sendto(fd_.get(), d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&peer_),
                    peer_length_) == static_cast<ssize_t>(d.size());
  }

 private:
  UniqueFd fd_;
  std::uint16_t port_ = 0;
  sockaddr_storage peer_{};
  socklen_t peer_length_ = 0;
};

// The capture is a pipe whose reader leaves once the request is on its way: recording the
// reply fails (EPIPE), and the client still prints its result.
TEST(CaptureFailure, ClientSaysItOncePrintsItsResultAndExits5) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string fifo = dir->path() + "/client.pcap";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opened first, without blocking, so that the client's open for writing does not wait.
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ScriptedServer scripted;
  ASSERT_NE(scripted.port(), 0);
  auto client = Process::start(SOCKCALC_CLIENT_BIN,
                               {"--pcap", fifo, "--timeout", "3000", "--retries", "0", "-op", "+",
                                "::1", std::to_string(scripted.port()), "1", "2"});
  ASSERT_TRUE(client) << client.error().message();
  const bool asked = scripted.receive();
  ::close(reader);  // the reader leaves
  ASSERT_TRUE(asked) << (*client)->report();
  ASSERT_TRUE(scripted.reply(testing::encode_success(3, protocol::Format::integer)));
  ASSERT_TRUE((*client)->wait_for_exit(kPatience)) << (*client)->report();
  EXPECT_TRUE((*client)->status().exited_with(5)) << (*client)->report();
  EXPECT_EQ((*client)->out(), "Result: 3\n") << (*client)->report();
  EXPECT_EQ(count((*client)->err(), kStops), 1u) << (*client)->report();
  EXPECT_THAT((*client)->err(), HasSubstr("broken pipe")) << (*client)->report();
}

// A capture that cannot even start (/dev/full refuses the file header) stops the program at
// once, before it serves or asks anything.
TEST(CaptureFailure, CaptureOnAFullDeviceIsRefusedAtStart) {
  const RunResult server = run_program(SOCKCALC_SERVER_BIN, {"--pcap", "/dev/full", "::1", "0"});
  EXPECT_TRUE(server.status.exited_with(1)) << server.report;
  const RunResult client =
      run_program(SOCKCALC_CLIENT_BIN, {"--pcap", "/dev/full", "-op", "+", "::1", "9", "1", "2"});
  EXPECT_TRUE(client.status.exited_with(5)) << client.report;
  for (const RunResult* r : {&server, &client}) {
    EXPECT_THAT(r->err, HasSubstr("cannot write pcap file /dev/full: no space left on device"))
        << r->report;
  }
}

}  // namespace
}  // namespace sockcalc::environment
