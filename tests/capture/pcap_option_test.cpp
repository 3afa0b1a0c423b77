// tests/capture/pcap_option_test.cpp -- the programs' --pcap option end to end: a real server
// and client each write a capture of one exchange; tshark, with our dissector, reads both
// without a warning and names every field (the course's product-as-string example).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "capture/tshark.hpp"
#include "support/process.hpp"

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

  // The fields tshark prints for each frame of `capture`, decoding `port` as calc.
  std::vector<std::string> fields(const std::string& capture, std::uint16_t port) {
    const auto run =
        run_tshark(*tshark_, dir_.path(), capture,
                   {"-X", "lua_script:" CALC_LUA_PATH, "-o", "calc.ports:" + std::to_string(port),
                    "-T", "fields", "-e", "calc.type", "-e", "calc.opcode", "-e", "calc.format",
                    "-e", "calc.operand", "-e", "calc.result_str", "-E", "separator=|"});
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
  EXPECT_EQ(fields(server_pcap, (*server)->port()), expected);
  EXPECT_EQ(fields(client_pcap, (*server)->port()), expected);
}

TEST_F(PcapOption, UnwritablePathIsOneClearError) {
  const auto run = testing::run_program(SOCKCALC_SERVER_BIN,
                                        {"--pcap", dir_.file("no/such/dir/x.pcap"), "::1", "0"});
  EXPECT_TRUE(run.status.exited_with(1)) << run.report;
  EXPECT_NE(run.err.find("cannot open pcap file"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace sockcalc
