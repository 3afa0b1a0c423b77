// SPDX-License-Identifier: MIT
// tests/capture/pcap_option_test.cpp -- the programs' --pcap option end to end: a real server,
// client and linksim each write a capture of one exchange; tshark, with our dissector, reads
// them without a warning and names every field (the course's product-as-string example).
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capture/tshark.hpp"
#include "sockcalc/address/address.hpp"
#include "support/process.hpp"

using ::testing::HasSubstr;

namespace sockcalc {
namespace {

using capture_test::lines_of;
using capture_test::run_tshark;

class PcapOption : public ::testing::Test {
 protected:
  void SetUp() override {
    tshark_ = capture_test::find_tshark();
    if (!tshark_) GTEST_SKIP() << "tshark is not installed (make check installs it)";
  }

  // The fields tshark prints for each frame of `capture`, decoding `ports` (tshark's range
  // syntax: "10000" or "10000,10001") as calc, after the `leading` fields asked for.
  std::vector<std::string> fields(const std::string& capture, const std::string& ports,
                                  const std::vector<std::string>& leading = {}) {
    std::vector<std::string> args = {
        "-X", "lua_script:" CALC_LUA_PATH, "-o", "calc.ports:" + ports, "-T", "fields"};
    for (const auto& field : leading) args.insert(args.end(), {"-e", field});
    for (const char* field :
         {"calc.type", "calc.opcode", "calc.format", "calc.operand", "calc.result_str"}) {
      args.insert(args.end(), {"-e", field});
    }
    args.insert(args.end(), {"-E", "separator=|"});
    const auto run = run_tshark(*tshark_, dir_.path(), capture, args);
    EXPECT_TRUE(run.err.empty()) << run.err;
    return lines_of(run.out);
  }

  std::optional<std::string> tshark_;
  capture_test::ScratchDir dir_;
};

TEST_F(PcapOption, ServerAndClientCapturesDecodeTheCourseExample) {
  const std::string server_pcap = dir_.file("server.pcap");
  const std::string client_pcap = dir_.file("client.pcap");
  auto server =
      testing::ServerProcess::start(SOCKCALC_SERVER_BIN, {"--pcap", server_pcap, "::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  const auto client =
      testing::run_program(SOCKCALC_CLIENT_BIN, {"--pcap", client_pcap, "-op", "*", "-s", "::1",
                                                 (*server)->port_arg(), "1", "3", "5", "7", "9"});
  ASSERT_TRUE(client.status.exited_with(0)) << client.report;
  EXPECT_EQ(client.out, "Result: 945\n");
  ASSERT_TRUE((*server)->stop()) << (*server)->report();

  // -T fields prints values: type 0 = request, 1 = reply; opcode 1 = product; format 1 = string.
  const std::vector<std::string> expected = {"0|1|1|1,3,5,7,9|", "1||||945"};
  EXPECT_EQ(fields(server_pcap, (*server)->port_arg()), expected);
  EXPECT_EQ(fields(client_pcap, (*server)->port_arg()), expected);
}

// linksim sits between the client and the server: its capture holds each datagram twice, as it
// arrived and as it left, on both of its sides (client <-> linksim, linksim <-> server).
TEST_F(PcapOption, LinksimCapturesBothSidesOfTheLink) {
  const std::string pcap = dir_.file("linksim.pcap");
  auto server = testing::ServerProcess::start(SOCKCALC_SERVER_BIN, {"::1", "0"});
  ASSERT_TRUE(server) << server.error().message();
  auto linksim = testing::Process::start(
      SOCKCALC_LINKSIM_BIN,
      {"--pcap", pcap, "--seed", "1", "::1", "0", "::1", (*server)->port_arg()});
  ASSERT_TRUE(linksim) << linksim.error().message();
  const auto line = (*linksim)->wait_for_line("linksim: listening on ", testing::kPatience);
  ASSERT_TRUE(line) << (*linksim)->report();
  const auto relay = Address::parse(line->substr(0, line->find(',')));
  ASSERT_TRUE(relay) << *line;
  const std::string relay_port = std::to_string(relay->port());

  const auto client = testing::run_program(
      SOCKCALC_CLIENT_BIN, {"-op", "*", "-s", "::1", relay_port, "1", "3", "5", "7", "9"});
  ASSERT_TRUE(client.status.exited_with(0)) << client.report;
  EXPECT_EQ(client.out, "Result: 945\n");
  ASSERT_TRUE((*linksim)->terminate()) << (*linksim)->report();
  EXPECT_TRUE((*linksim)->wait_for_stderr("wrote 4 datagrams", testing::kPatience))
      << (*linksim)->report();

  const std::string server_port = (*server)->port_arg();
  const std::vector<std::string> expected = {
      "" + relay_port + "|0|1|1|1,3,5,7,9|",   // client -> linksim
      "" + server_port + "|0|1|1|1,3,5,7,9|",  // linksim -> server
      "|1||||945",                             // server -> linksim (source port: the server's)
      "|1||||945"};                            // linksim -> client
  auto frames = fields(pcap, relay_port + "," + server_port, {"udp.dstport"});
  ASSERT_EQ(frames.size(), 4u) << ::testing::PrintToString(frames);
  for (std::size_t reply : {2u, 3u}) frames[reply].erase(0, frames[reply].find('|'));
  EXPECT_EQ(frames, expected);
  const auto sources = fields(pcap, relay_port + "," + server_port, {"udp.srcport"});
  ASSERT_EQ(sources.size(), 4u);
  EXPECT_EQ(sources[2].substr(0, sources[2].find('|')), server_port);
  EXPECT_EQ(sources[3].substr(0, sources[3].find('|')), relay_port);
}

TEST_F(PcapOption, UnwritablePathIsOneClearError) {
  const auto run = testing::run_program(SOCKCALC_SERVER_BIN,
                                        {"--pcap", dir_.file("no/such/dir/x.pcap"), "::1", "0"});
  EXPECT_TRUE(run.status.exited_with(1)) << run.report;
  EXPECT_THAT(run.err, HasSubstr("cannot open pcap file")) << run.err;
}

}  // namespace
}  // namespace sockcalc
